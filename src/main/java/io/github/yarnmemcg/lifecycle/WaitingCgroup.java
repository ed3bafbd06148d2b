package io.github.yarnmemcg.lifecycle;

import java.time.Duration;
import java.util.Optional;

/**
 * A finished container's cgroup kept after its container exited, waiting for its application to end or retired:
 * what {@code stats}, the tests and the demo show.
 */
public final class WaitingCgroup {
  private final String containerId;
  private final String applicationId;
  private final Duration waited;
  private final boolean retired;
  private final long held;
  private final Optional<Duration> reusedAgo;

  WaitingCgroup(String containerId, String applicationId, Duration waited, boolean retired, long held,
      Optional<Duration> reusedAgo) {
    this.containerId = containerId;
    this.applicationId = applicationId;
    this.waited = waited;
    this.retired = retired;
    this.held = held;
    this.reusedAgo = reusedAgo;
  }

  public String containerId() {
    return containerId;
  }

  public String applicationId() {
    return applicationId;
  }

  /** How long since it began to wait or retired. */
  public Duration waited() {
    return waited;
  }

  /** Retired (policy {@link CleanupPolicy#RETIRE}) rather than waiting for its application. */
  public boolean retired() {
    return retired;
  }

  /** Of a retired cgroup, the page cache and shmem it held when last looked at; 0 otherwise. */
  public long held() {
    return held;
  }

  /** How long ago its pages were last seen read again by someone else, if ever since it retired. */
  public Optional<Duration> reusedAgo() {
    return reusedAgo;
  }
}
