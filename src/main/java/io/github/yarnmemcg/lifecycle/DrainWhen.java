package io.github.yarnmemcg.lifecycle;

import java.util.Locale;

/**
 * When a finished container's page cache may be evicted before its cgroup is removed, as the operator sets it
 * ({@code yarn.nodemanager.memcg.drain.when}). The page cache of a finished container is often still in use: a
 * MapReduce shuffle reads the map outputs after the maps have exited, the next container reads the same jars.
 */
public enum DrainWhen {
  /**
   * Measured at start ({@link ReparentProbe}): where the kernel moves a removed cgroup's pages to its parent, never;
   * elsewhere, as {@link #OVER_BUDGET}.
   */
  AUTO("auto"),
  /**
   * Only when more finished containers' cgroups are retired than the budget allows: a retired cgroup (empty,
   * unprotected) is removed without eviction once its page cache is gone (its files deleted, or reclaimed by the
   * kernel), and the one least likely to be read again is drained when the budget is exceeded.
   */
  OVER_BUDGET("over-budget"),
  /**
   * Only once the container's application has ended on this node and the NodeManager has deleted its local
   * directories (which frees their pages without any eviction), or when a waiting cap is reached.
   */
  APPLICATION_END("application-end"),
  /** At once when the container exits: its cgroup is gone within the drain budget, whatever that costs. */
  CONTAINER_EXIT("container-exit");

  private final String value;

  DrainWhen(String value) {
    this.value = value;
  }

  /** The value as written in yarn-site.xml. */
  public String value() {
    return value;
  }

  /** @throws IllegalArgumentException for anything but the four values */
  public static DrainWhen parse(String value) {
    for (DrainWhen w : values()) {
      if (w.value.equals(value.trim().toLowerCase(Locale.ROOT))) {
        return w;
      }
    }
    throw new IllegalArgumentException("expected auto, over-budget, application-end or container-exit");
  }
}
