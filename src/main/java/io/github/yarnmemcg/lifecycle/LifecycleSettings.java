package io.github.yarnmemcg.lifecycle;

import java.time.Duration;

/**
 * How container cgroups are limited and cleaned. Built and validated by the NodeManager adapter from
 * {@code yarn.nodemanager.memcg.*}; the record itself only rejects values that cannot work at all.
 *
 * @param drainEnabled reclaim a container's page cache before removing its cgroup
 * @param drainTimeout how long one cleanup may wait for page cache to go (dirty pages wait for writeback)
 * @param deleteTimeout how long rmdir is retried on EBUSY before the cgroup goes to the reaper
 * @param killTimeout how long leftover processes may take to die after SIGKILL
 * @param softLimitPercent soft limit of a guaranteed container, in percent of its hard limit
 * @param swappiness {@code memory.swappiness} of a guaranteed container (v1 only)
 * @param cleanupThreads threads that drain and delete in the background
 * @param reaperGiveUp how long the reaper keeps retrying a cgroup before counting it as given up
 */
public record LifecycleSettings(
    boolean drainEnabled,
    Duration drainTimeout,
    Duration deleteTimeout,
    Duration killTimeout,
    int softLimitPercent,
    int swappiness,
    int cleanupThreads,
    Duration reaperGiveUp) {

  /** Hadoop's own values for opportunistic containers: no soft limit, swap them first. */
  public static final int OPPORTUNISTIC_SOFT_LIMIT_PERCENT = 0;
  public static final int OPPORTUNISTIC_SWAPPINESS = 100;

  public LifecycleSettings {
    if (softLimitPercent < 0 || softLimitPercent > 100 || swappiness < 0 || swappiness > 100 || cleanupThreads < 1) {
      throw new IllegalArgumentException("invalid lifecycle settings " + softLimitPercent + "% " + swappiness
          + " " + cleanupThreads);
    }
  }
}
