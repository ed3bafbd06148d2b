package io.github.yarnmemcg.lifecycle;

/**
 * How the cleanup of one container cgroup ended.
 *
 * @param removed the directory is gone
 * @param drainedBytes page cache the plugin evicted (reclaimed before rmdir)
 * @param leftCharged page cache and shmem still charged at rmdir: moved to the parent on a kernel that does so,
 *     else keeping the cgroup a dying memcg
 * @param cachedAtExit page cache charged once the container's processes were gone
 * @param freedWithoutEviction of that, what went before any drain: deleted by the application, or reclaimed by the
 *     kernel under pressure
 * @param waitedNanos how long the empty cgroup waited for its application to end
 * @param nanos time from completion to the end of the cleanup
 * @param deleteRetries rmdir retries on EBUSY
 * @param attempts cleanup attempts, more than 1 when the reaper retried
 */
public final class CleanupResult {
  private final String containerId;
  private final Outcome outcome;
  private final boolean removed;
  private final long drainedBytes;
  private final long leftCharged;
  private final long nanos;
  private final int deleteRetries;
  private final int attempts;
  private final long cachedAtExit;
  private final long freedWithoutEviction;
  private final long waitedNanos;

  public CleanupResult(String containerId, Outcome outcome, boolean removed, long drainedBytes, long leftCharged,
      long nanos, int deleteRetries, int attempts, long cachedAtExit, long freedWithoutEviction, long waitedNanos) {
    this.containerId = containerId;
    this.outcome = outcome;
    this.removed = removed;
    this.drainedBytes = drainedBytes;
    this.leftCharged = leftCharged;
    this.nanos = nanos;
    this.deleteRetries = deleteRetries;
    this.attempts = attempts;
    this.cachedAtExit = cachedAtExit;
    this.freedWithoutEviction = freedWithoutEviction;
    this.waitedNanos = waitedNanos;
  }

  public String containerId() {
    return containerId;
  }

  public Outcome outcome() {
    return outcome;
  }

  public boolean removed() {
    return removed;
  }

  public long evictedBytes() {
    return drainedBytes;
  }

  public long leftCharged() {
    return leftCharged;
  }

  public long nanos() {
    return nanos;
  }

  public int deleteRetries() {
    return deleteRetries;
  }

  public int attempts() {
    return attempts;
  }

  public long cachedAtExit() {
    return cachedAtExit;
  }

  public long freedWithoutEviction() {
    return freedWithoutEviction;
  }

  public long waitedNanos() {
    return waitedNanos;
  }

  /** Absent: there was no cgroup to clean. */
  static CleanupResult absent(String containerId) {
    return new CleanupResult(containerId, Outcome.ABSENT, true, 0, 0, 0, 0, 0, 0, 0, 0);
  }


  public enum Outcome {
    /** Removed, after whatever drain the node's policy asks for. */
    CLEANED,
    /** There was no cgroup to clean. */
    ABSENT,
    /** The container was started again (relaunch) before its cleanup ended; the cgroup lives on. */
    SUPERSEDED,
    /** The reaper ran out of time; the cgroup is counted as given up. */
    GIVEN_UP
  }
}
