package io.github.yarnmemcg.lifecycle;

/**
 * How the cleanup of one container cgroup ended.
 *
 * @param removed the directory is gone
 * @param drainedBytes page cache reclaimed before rmdir
 * @param leftCharged page cache and shmem still charged at rmdir (the kernel keeps such a cgroup as a dying memcg)
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

  public CleanupResult(String containerId, Outcome outcome, boolean removed, long drainedBytes, long leftCharged,
      long nanos, int deleteRetries, int attempts) {
    this.containerId = containerId;
    this.outcome = outcome;
    this.removed = removed;
    this.drainedBytes = drainedBytes;
    this.leftCharged = leftCharged;
    this.nanos = nanos;
    this.deleteRetries = deleteRetries;
    this.attempts = attempts;
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

  public long drainedBytes() {
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


  public enum Outcome {
    /** Drained (if enabled) and removed. */
    CLEANED,
    /** There was no cgroup to clean. */
    ABSENT,
    /** The container was started again (relaunch) before its cleanup ended; the cgroup lives on. */
    SUPERSEDED,
    /** The reaper ran out of time; the cgroup is counted as given up. */
    GIVEN_UP
  }
}
