package io.github.yarnmemcg.demo;

import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Per-kind peaks of every container cgroup under a root. cgroup v1 keeps only a peak of anon and page cache
 * together ({@code memory.max_usage_in_bytes}) and v2 the same in {@code memory.peak}, so the peak of each
 * kind is the highest of {@code memory.stat} readings taken every {@code periodMillis} while the containers
 * run (and of the final reading at completion, which the caller adds); a burst shorter than the period can be
 * missed.
 */
final class PeakSampler implements AutoCloseable {

  /** The highest anon, reclaimable page cache and shmem seen for one container. */
  record Peak(long anon, long pageCache, long shmem) {
    Peak max(Peak o) {
      return new Peak(Math.max(anon, o.anon), Math.max(pageCache, o.pageCache), Math.max(shmem, o.shmem));
    }

    static Peak of(MemoryStats s) {
      return new Peak(Math.max(0, s.anon()), s.pageCache(), Math.max(0, s.shmem()));
    }
  }

  private final ContainerMemcgs memcgs;
  private final Map<String, Peak> peaks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "demo-peak-sampler");
    t.setDaemon(true);
    return t;
  });

  PeakSampler(ContainerMemcgs memcgs, long periodMillis) {
    this.memcgs = memcgs;
    timer.scheduleAtFixedRate(this::sample, 0, periodMillis, TimeUnit.MILLISECONDS);
  }

  private void sample() {
    try {
      for (String id : memcgs.containerIds()) {
        // A cgroup removed between the listing and the reading has no figures: skipped.
        memcgs.stats(id).ifPresent(s -> add(id, s));
      }
    } catch (IOException e) {
      // The root being listed while a cgroup goes away; the next sample reads again.
    }
  }

  void add(String containerId, MemoryStats s) {
    peaks.merge(containerId, Peak.of(s), Peak::max);
  }

  Peak peak(String containerId) {
    return peaks.getOrDefault(containerId, new Peak(0, 0, 0));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
