package io.github.yarnmemcg.lifecycle;

import java.util.Collection;
import java.util.Comparator;

/**
 * Which retired cgroup is drained first when more are retired than the budget allows: the one least likely to be read
 * again, judged from what the kernel shows. A page cache page read a second time moves to the active list of the memcg
 * it is charged to, so a retired cgroup whose {@code active_file} grew since it retired had its pages read by someone
 * else after its container exited. As the kernel's own two lists do, cgroups never seen read again go first, the
 * longest-retired of them first; then those seen read again, the one read longest ago first.
 */
final class RetiredOrder {

  /** What the order needs to know of one retired cgroup. Times are {@link System#nanoTime} readings. */
  interface Retiree {
    long retiredSince();

    /** Whether its pages were seen read again since it retired. */
    boolean reused();

    /** When they were last seen read again; meaningful only when {@link #reused}. */
    long lastReuse();
  }

  static final Comparator<Retiree> DRAIN_FIRST = (a, b) -> {
    if (a.reused() != b.reused()) {
      return a.reused() ? 1 : -1;
    }
    int c = a.reused() ? Long.compare(a.lastReuse() - b.lastReuse(), 0) : 0;
    return c != 0 ? c : Long.compare(a.retiredSince() - b.retiredSince(), 0);
  };

  private RetiredOrder() {}

  /** The one to drain first, or null when there is none. */
  static <T extends Retiree> T first(Collection<T> retired) {
    T first = null;
    for (T r : retired) {
      if (first == null || DRAIN_FIRST.compare(r, first) < 0) {
        first = r;
      }
    }
    return first;
  }
}
