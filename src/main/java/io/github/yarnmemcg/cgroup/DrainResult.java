package io.github.yarnmemcg.cgroup;

/** What one drain did: reclaimable page cache before and after, kernel calls made, and time taken. */
public final class DrainResult {
  private final long pageCacheBefore;
  private final long pageCacheAfter;
  private final int steps;
  private final long nanos;
  private final MemoryStats after;

  public DrainResult(long pageCacheBefore, long pageCacheAfter, int steps, long nanos, MemoryStats after) {
    this.pageCacheBefore = pageCacheBefore;
    this.pageCacheAfter = pageCacheAfter;
    this.steps = steps;
    this.nanos = nanos;
    this.after = after;
  }

  public long pageCacheBefore() {
    return pageCacheBefore;
  }

  public long pageCacheAfter() {
    return pageCacheAfter;
  }

  public int steps() {
    return steps;
  }

  public long nanos() {
    return nanos;
  }

  public MemoryStats after() {
    return after;
  }

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

  @Override
  public String toString() {
    return "DrainResult[before=" + pageCacheBefore + ", after=" + pageCacheAfter + ", steps=" + steps + ", nanos="
        + nanos + "]";
  }
}
