package io.github.yarnmemcg.cgroup;

import java.util.Collections;
import java.util.List;

/**
 * What the container monitor reads of one cgroup on every pass: the {@code memory.stat} counters and the processes,
 * read in one visit to the cgroup's directory.
 */
public final class MemorySample {
  private final MemoryStats stats;
  private final List<Long> pids;

  public MemorySample(MemoryStats stats, List<Long> pids) {
    this.stats = stats;
    this.pids = Collections.unmodifiableList(pids);
  }

  /** As {@link CgroupDriver#memoryStat}: usage, peak, limit and event counts are unknown. */
  public MemoryStats stats() {
    return stats;
  }

  public List<Long> pids() {
    return pids;
  }
}
