package io.github.yarnmemcg.cgroup;

/** What one drain did: reclaimable page cache before and after, kernel calls made, and time taken. */
public record DrainResult(long pageCacheBefore, long pageCacheAfter, int steps, long nanos, MemoryStats after) {

  /** True when no reclaimable page cache is left: the drain did all it can. */
  public boolean complete() {
    return pageCacheAfter == 0;
  }

  /**
   * What still pins the memcg: page cache the drain could not free plus shmem (a tmpfs file that outlives the
   * container), which no drain frees. Zero means removing the cgroup will not leave it dying.
   */
  public long leftCharged() {
    return pageCacheAfter + Math.max(0, after.shmem());
  }

  public long drainedBytes() {
    return Math.max(0, pageCacheBefore - pageCacheAfter);
  }
}
