package io.github.yarnmemcg.cgroup;

import java.util.Collections;
import java.util.List;

/**
 * What the container monitor reads of one cgroup on every pass, in one visit to its directory: the {@code memory.stat}
 * counters, and the CPU time where the cgroup itself counts it (v2 {@code cpu.stat}), else the processes whose
 * times the caller adds up (v1, whose memory hierarchy counts no CPU).
 */
public final class MemorySample {
  private final MemoryStats stats;
  private final List<Long> pids;
  private final long cpuMicros;

  public MemorySample(MemoryStats stats, List<Long> pids, long cpuMicros) {
    this.stats = stats;
    this.pids = Collections.unmodifiableList(pids);
    this.cpuMicros = cpuMicros;
  }

  /** As {@link CgroupDriver#memoryStat}: usage, peak, limit and event counts are unknown. */
  public MemoryStats stats() {
    return stats;
  }

  /** The processes in the cgroup when {@link #cpuMicros} is unknown; else empty (not read). */
  public List<Long> pids() {
    return pids;
  }

  /** CPU time used by everything that ever ran in the cgroup, in microseconds, or {@link MemoryStats#UNKNOWN}. */
  public long cpuMicros() {
    return cpuMicros;
  }
}
