package io.github.yarnmemcg.lifecycle;

import java.time.Duration;

/** A finished container's cgroup waiting for its application to end: what {@code stats} and the demo show. */
public final class WaitingCgroup {
  private final String containerId;
  private final String applicationId;
  private final Duration waited;

  WaitingCgroup(String containerId, String applicationId, Duration waited) {
    this.containerId = containerId;
    this.applicationId = applicationId;
    this.waited = waited;
  }

  public String containerId() {
    return containerId;
  }

  public String applicationId() {
    return applicationId;
  }

  public Duration waited() {
    return waited;
  }
}
