package io.github.yarnmemcg.cgroup;

/** What one drain did: reclaimable page cache before and after, kernel calls made, and time taken. */
public record DrainResult(long pageCacheBefore, long pageCacheAfter, int steps, long nanos, MemoryStats after) {

  /** True when no reclaimable page cache is left, so removing the cgroup will not leave it dying. */
  public boolean complete() {
    return pageCacheAfter == 0;
  }

  public long drainedBytes() {
    return Math.max(0, pageCacheBefore - pageCacheAfter);
  }
}
