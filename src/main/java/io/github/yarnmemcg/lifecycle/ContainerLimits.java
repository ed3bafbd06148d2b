package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The limits a container's cgroup gets from its memory size and type, at its creation and on every resize: the hard
 * limit (none of its own in elastic mode, where the node limit and the {@link NodeOomGuard} hold it), swap, the soft
 * limit, swappiness and the opportunistic throttle. Apart from the lifecycle because the order of the writes is
 * the rule here: a resize must never leave the hard limit below the soft one, nor below what only an OOM kill could
 * free.
 */
final class ContainerLimits {

  private final CgroupDriver driver;
  private final LifecycleSettings settings;
  private final NodeRoot root;
  private final OomWiring oom;

  ContainerLimits(CgroupDriver driver, LifecycleSettings settings, NodeRoot root, OomWiring oom) {
    this.driver = driver;
    this.settings = settings;
    this.root = root;
    this.oom = oom;
  }

  /**
   * Creates a container's cgroup with all its limits, or not at all: a cgroup this call made is removed again when
   * a limit cannot be written, so that no container runs in a cgroup without them.
   */
  void create(String containerId, Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    boolean created = root.create(containerId, cgroup);
    try {
      apply(cgroup, memoryBytes, guaranteed);
      driver.setOomKillsAll(cgroup);
    } catch (IOException | RuntimeException e) {
      if (created) {
        try {
          driver.delete(cgroup, System.nanoTime() + settings.deleteTimeout().toNanos());
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** All limits, the hard one first. */
  void apply(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    driver.setLimits(cgroup, oom.isElastic() ? Long.MAX_VALUE : memoryBytes, settings.swapBytes(memoryBytes));
    applySoft(cgroup, memoryBytes, guaranteed);
  }

  /**
   * A new size for a running container: raising sets the hard limit first, lowering last, and lowering below the
   * anonymous memory and shmem it holds is refused.
   */
  void resize(String containerId, Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("container " + containerId + " cannot be resized to " + memoryBytes
          + " bytes");
    }
    Optional<NodeOomGuard> guard = oom.elastic();
    if (guard.isPresent()) {
      // No limit of its own to change: the guard judges it against its new request.
      guard.get().resized(containerId, memoryBytes, guaranteed);
      apply(cgroup, memoryBytes, guaranteed);
      return;
    }
    MemoryStats now = driver.stats(cgroup);
    boolean lowering = now.limit() != MemoryStats.UNKNOWN && memoryBytes < now.limit();
    if (lowering && now.containerMemory() > memoryBytes) {
      throw new IOException("refusing to lower the memory limit of " + containerId + " to " + memoryBytes / ONE_MB
          + " MiB: its processes use " + now.containerMemory() / ONE_MB + " MiB of anonymous memory and shmem,"
          + " which the kernel could only free by OOM-killing them");
    }
    try {
      if (lowering) {
        applySoft(cgroup, memoryBytes, guaranteed);
        driver.setLimits(cgroup, memoryBytes, settings.swapBytes(memoryBytes));
      } else {
        apply(cgroup, memoryBytes, guaranteed);
      }
    } catch (IOException e) {
      throw new IOException("the kernel refused memory limit " + memoryBytes / ONE_MB + " MiB for " + containerId
          + " (it uses " + now.usage() / ONE_MB + " MiB now): " + e.getMessage(), e);
    }
  }

  private void applySoft(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    int softPercent = guaranteed ? settings.softLimitPercent() : LifecycleSettings.OPPORTUNISTIC_SOFT_LIMIT_PERCENT;
    driver.setSoftLimit(cgroup, memoryBytes / 100 * softPercent);
    driver.setSwappiness(cgroup, guaranteed ? settings.swappiness() : LifecycleSettings.OPPORTUNISTIC_SWAPPINESS);
    int highPercent = guaranteed ? 0 : settings.opportunisticHighPercent();
    driver.setThrottleLimit(cgroup, highPercent == 0 ? Long.MAX_VALUE : memoryBytes / 100 * highPercent);
  }
}
