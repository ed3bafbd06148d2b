package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.MemoryStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peak memory of running containers on kernels that keep none (cgroup v2 before 5.19 has no
 * {@code memory.peak}): every container's memory use read every {@link #PERIOD}, the highest kept. A spike shorter
 * than the period can be missed, so a peak from here is always called sampled; a container whose use reached its
 * limit ({@code memory.events max}) did reach it, which {@link #finalPeak} takes into account.
 */
final class PeakSampler {

  /** How often each running container's use is read: one small file per container and period. */
  static final Duration PERIOD = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(PeakSampler.class);

  private final CgroupDriver driver;
  private final Map<String, Tracked> running = new ConcurrentHashMap<>();

  private static final class Tracked {
    final CgroupFs.Located cgroup;
    volatile long highest = MemoryStats.UNKNOWN;

    Tracked(CgroupFs.Located cgroup) {
      this.cgroup = cgroup;
    }
  }

  PeakSampler(CgroupDriver driver) {
    this.driver = driver;
  }

  /** Samples this container from now on (again from zero for a relaunch under the same id). */
  void track(String containerId, Path cgroup) throws IOException {
    running.put(containerId, new Tracked(driver.fs().locate(cgroup)));
  }

  /** One reading of every tracked container; run every {@link #PERIOD}. */
  void sampleAll() {
    for (Map.Entry<String, Tracked> e : running.entrySet()) {
      Tracked t = e.getValue();
      try {
        long now = driver.usage(t.cgroup);
        if (now > t.highest) {
          t.highest = now;
        }
      } catch (IOException ex) {
        LOG.debug("{}: cannot sample memory use: {}", e.getKey(), ex.toString());
      }
    }
  }

  /**
   * Stops sampling the container and returns its figures with the sampled peak: the highest of the samples, the use
   * in these final figures, and the limit when the kernel counted the use reaching it. Figures that have a kernel
   * peak are returned as they are.
   */
  MemoryStats finalPeak(String containerId, MemoryStats last) {
    Tracked t = running.remove(containerId);
    if (last.peak() != MemoryStats.UNKNOWN) {
      return last;
    }
    long peak = Math.max(t == null ? MemoryStats.UNKNOWN : t.highest, last.usage());
    if (last.limitHits() > 0 && last.limit() != MemoryStats.UNKNOWN && last.limit() < 1L << 62) {
      peak = Math.max(peak, last.limit());
    }
    return last.withPeak(peak);
  }

  /** Forgets a container without figures (its cgroup could not be read). */
  void forget(String containerId) {
    running.remove(containerId);
  }
}
