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
public record CleanupResult(String containerId, Outcome outcome, boolean removed, long drainedBytes,
    long leftCharged, long nanos, int deleteRetries, int attempts) {

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
