package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Pressure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of one container's cgroup on the completion path: its OOM watch and elastic tracking stop first, its final
 * figures (memory, the sampled peak where the kernel keeps none, pressure) are read once, leftover processes are
 * signalled, and its {@link Cleanup} begins; everything slower is the cleanup's, in the background. A second
 * completion of the same container, or one racing it, gets the cleanup already under way and reports nothing, so
 * that no kill is counted and no final line logged twice.
 */
final class Completions {

  private static final Logger LOG = LoggerFactory.getLogger(Completions.class);

  private final CgroupDriver driver;
  private final Cleanups cleanups;
  private final LifecycleCounters counters;
  private final NodeRoot nodeRoot;
  private final OomWiring oom;

  Completions(CgroupDriver driver, Cleanups cleanups, NodeRoot nodeRoot, OomWiring oom) {
    this.driver = driver;
    this.cleanups = cleanups;
    this.counters = cleanups.counters;
    this.nodeRoot = nodeRoot;
    this.oom = oom;
  }

  Completion complete(String containerId, Path cgroup) {
    // First, so that a report under way ends before the final figures are read, and none is made twice.
    long reported = oom.ended(containerId);
    Cleanup running = cleanups.underWay(containerId);
    if (running != null) {
      return new Completion(cgroup, Optional.empty(), running.future, reported, false);
    }
    if (!driver.fs().isDirectory(cgroup)) {
      return new Completion(cgroup, Optional.empty(),
          CompletableFuture.completedFuture(CleanupResult.absent(containerId)), reported, false);
    }
    PeakSampler sampler = nodeRoot.peaks();
    Optional<MemoryStats> last = stats(cgroup);
    if (sampler != null) {
      last = last.map(s -> sampler.finalPeak(containerId, s));
      if (!last.isPresent()) {
        sampler.forget(containerId);
      }
    }
    Optional<Pressure> pressure = pressure(cgroup);
    try {
      driver.signalKill(cgroup);
    } catch (IOException e) {
      LOG.warn("{}: cannot signal leftover processes now, the cleanup will retry: {}", containerId, e.getMessage());
    }
    Cleanup cleanup = new Cleanup(cleanups, containerId, cgroup);
    Cleanup begun = cleanups.begin(cleanup);
    if (begun != cleanup) {
      // Another completion of the same container got there first: it reports the final figures.
      return new Completion(cgroup, Optional.empty(), begun.future, reported, false);
    }
    last.ifPresent(s -> {
      if (s.oomKill() > reported) {
        counters.oomKills.add(s.oomKill() - reported);
      }
      LOG.info("{}: memcg final: limit={} MiB peak={} MiB{} anon={} MiB cache={} MiB shmem={} MiB failcnt={}"
          + " oom_kill={}{}; cleanup: {}", containerId, MemoryStats.mib(s.limit()), MemoryStats.mib(s.peak()),
          sampler != null ? " (" + Completion.SAMPLED + ")" : "",
          MemoryStats.mib(s.anon()), MemoryStats.mib(s.file()), MemoryStats.mib(s.shmem()), s.limitHits(), s.oomKill(),
          pressure.map(p -> "; memory pressure " + p).orElse(""),
          cleanups.policy() == CleanupPolicy.AFTER_APPLICATION ? "waits for " + cleanup.applicationId + " to end"
              : cleanups.policy().name().toLowerCase(Locale.ROOT));
    });
    pressure.ifPresent(p -> counters.memoryStallMicros.add(p.fullTotalMicros()));
    return new Completion(cgroup, last, cleanup.future, reported, sampler != null);
  }

  /** The cgroup's memory now, or empty when it is gone. */
  Optional<MemoryStats> stats(Path cgroup) {
    try {
      return Optional.of(driver.stats(cgroup));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The cgroup's memory pressure now; empty when it is gone or the kernel reports none (v1). */
  Optional<Pressure> pressure(Path cgroup) {
    try {
      return driver.memoryPressure(cgroup);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
