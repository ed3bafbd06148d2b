package io.github.yarnmemcg.lifecycle;

import java.time.Duration;
import java.util.Objects;

/**
 * How container cgroups are limited and cleaned. Built and validated by the NodeManager adapter from
 * {@code yarn.nodemanager.memcg.*}; the constructor itself only rejects values that cannot work at all.
 *
 * @param drainEnabled reclaim a container's page cache before removing its cgroup
 * @param drainTimeout how long one cleanup may wait for page cache to go (dirty pages wait for writeback)
 * @param deleteTimeout how long rmdir is retried on EBUSY before the cgroup goes to the reaper
 * @param killTimeout how long leftover processes may take to die after SIGKILL
 * @param softLimitPercent soft limit of a guaranteed container, in percent of its hard limit
 * @param swappiness {@code memory.swappiness} of a guaranteed container (v1 only)
 * @param cleanupThreads threads that drain and delete in the background
 * @param reaperGiveUp how long the reaper keeps retrying a cgroup before counting it as given up
 * @param drainWhen when page cache may be evicted; the constructor sets {@link DrainWhen#CONTAINER_EXIT}, the
 *     lifecycle's behaviour without an application signal, and {@link #withDrainWhen} the rest
 * @param maxWait how long a finished container's cgroup may wait for its application to end
 * @param maxWaiting how many cgroups may wait at once; beyond it the longest-waiting one is drained
 * @param retire the budget of retired cgroups and when one goes (policy {@link CleanupPolicy#RETIRE})
 */
public final class LifecycleSettings {

  /** Hadoop's own values for opportunistic containers: no soft limit, swap them first. */
  public static final int OPPORTUNISTIC_SOFT_LIMIT_PERCENT = 0;
  public static final int OPPORTUNISTIC_SWAPPINESS = 100;
  /** The caps on waiting cgroups; why these values: the README's settings table. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofHours(1);
  public static final int DEFAULT_MAX_WAITING = 512;
  /** No swap besides a container's memory: it stays within its YARN allocation. */
  public static final int DEFAULT_SWAP_PERCENT = 0;
  /** {@link #swapPercent()} for no swap limit at all. */
  public static final int UNLIMITED_SWAP = -1;

  private final boolean drainEnabled;
  private final Duration drainTimeout;
  private final Duration deleteTimeout;
  private final Duration killTimeout;
  private final int softLimitPercent;
  private final int swappiness;
  private final int cleanupThreads;
  private final Duration reaperGiveUp;
  private final DrainWhen drainWhen;
  private final Duration maxWait;
  private final int maxWaiting;
  private final int opportunisticHighPercent;
  private final int swapPercent;
  private final RetireSettings retire;

  public LifecycleSettings(boolean drainEnabled, Duration drainTimeout, Duration deleteTimeout, Duration killTimeout,
      int softLimitPercent, int swappiness, int cleanupThreads, Duration reaperGiveUp) {
    this(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness, cleanupThreads,
        reaperGiveUp, DrainWhen.CONTAINER_EXIT, DEFAULT_MAX_WAIT, DEFAULT_MAX_WAITING, 0, DEFAULT_SWAP_PERCENT,
        RetireSettings.defaults());
  }

  private LifecycleSettings(boolean drainEnabled, Duration drainTimeout, Duration deleteTimeout, Duration killTimeout,
      int softLimitPercent, int swappiness, int cleanupThreads, Duration reaperGiveUp, DrainWhen drainWhen,
      Duration maxWait, int maxWaiting, int opportunisticHighPercent, int swapPercent, RetireSettings retire) {
    if (softLimitPercent < 0 || softLimitPercent > 100 || swappiness < 0 || swappiness > 100 || cleanupThreads < 1
        || maxWaiting < 0 || maxWait.isNegative() || opportunisticHighPercent < 0 || opportunisticHighPercent > 100
        || swapPercent < UNLIMITED_SWAP) {
      throw new IllegalArgumentException("invalid lifecycle settings " + softLimitPercent + "% " + swappiness
          + " " + cleanupThreads + " " + maxWaiting + " " + maxWait + " " + opportunisticHighPercent + "% swap "
          + swapPercent + "%");
    }
    this.drainEnabled = drainEnabled;
    this.drainTimeout = drainTimeout;
    this.deleteTimeout = deleteTimeout;
    this.killTimeout = killTimeout;
    this.softLimitPercent = softLimitPercent;
    this.swappiness = swappiness;
    this.cleanupThreads = cleanupThreads;
    this.reaperGiveUp = reaperGiveUp;
    this.drainWhen = drainWhen;
    this.maxWait = maxWait;
    this.maxWaiting = maxWaiting;
    this.opportunisticHighPercent = opportunisticHighPercent;
    this.swapPercent = swapPercent;
    this.retire = Objects.requireNonNull(retire, "retire");
  }

  /** These settings with the drain's timing: when it may evict, and the caps on cgroups waiting to. */
  public LifecycleSettings withDrainWhen(DrainWhen when, Duration maxWait, int maxWaiting) {
    return new LifecycleSettings(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness,
        cleanupThreads, reaperGiveUp, when, maxWait, maxWaiting, opportunisticHighPercent, swapPercent, retire);
  }

  /** These settings with this budget of retired cgroups. */
  public LifecycleSettings withRetire(RetireSettings budget) {
    return new LifecycleSettings(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness,
        cleanupThreads, reaperGiveUp, drainWhen, maxWait, maxWaiting, opportunisticHighPercent, swapPercent, budget);
  }

  /** The budget of retired cgroups and when one goes. */
  public RetireSettings retire() {
    return retire;
  }

  /**
   * These settings with opportunistic containers throttled from {@code percent} of their memory on (v2
   * {@code memory.high}); 0 leaves them unthrottled up to the hard limit.
   */
  public LifecycleSettings withOpportunisticHighPercent(int percent) {
    return new LifecycleSettings(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness,
        cleanupThreads, reaperGiveUp, drainWhen, maxWait, maxWaiting, percent, swapPercent, retire);
  }

  /**
   * These settings with containers allowed {@code percent} of their memory in swap besides it ({@link #UNLIMITED_SWAP}:
   * as much as the kernel gives).
   */
  public LifecycleSettings withSwapPercent(int percent) {
    return new LifecycleSettings(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness,
        cleanupThreads, reaperGiveUp, drainWhen, maxWait, maxWaiting, opportunisticHighPercent, percent, retire);
  }

  /** Swap a container may use besides its memory, in percent of it; {@link #UNLIMITED_SWAP}: no limit. */
  public int swapPercent() {
    return swapPercent;
  }

  /** The swap limit of a container with this much memory; {@code Long.MAX_VALUE}: none. */
  public long swapBytes(long memoryBytes) {
    if (swapPercent == UNLIMITED_SWAP || memoryBytes > Long.MAX_VALUE / 10_000) {
      return Long.MAX_VALUE;
    }
    return memoryBytes * swapPercent / 100;
  }

  /** Where opportunistic containers are throttled, in percent of their memory; 0: not before the hard limit. */
  public int opportunisticHighPercent() {
    return opportunisticHighPercent;
  }

  public boolean drainEnabled() {
    return drainEnabled;
  }

  public Duration drainTimeout() {
    return drainTimeout;
  }

  public Duration deleteTimeout() {
    return deleteTimeout;
  }

  public Duration killTimeout() {
    return killTimeout;
  }

  public int softLimitPercent() {
    return softLimitPercent;
  }

  public int swappiness() {
    return swappiness;
  }

  public int cleanupThreads() {
    return cleanupThreads;
  }

  public Duration reaperGiveUp() {
    return reaperGiveUp;
  }

  public DrainWhen drainWhen() {
    return drainWhen;
  }

  public Duration maxWait() {
    return maxWait;
  }

  public int maxWaiting() {
    return maxWaiting;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LifecycleSettings)) {
      return false;
    }
    LifecycleSettings other = (LifecycleSettings) o;
    return Objects.equals(drainEnabled, other.drainEnabled)
        && Objects.equals(drainTimeout, other.drainTimeout)
        && Objects.equals(deleteTimeout, other.deleteTimeout)
        && Objects.equals(killTimeout, other.killTimeout)
        && Objects.equals(softLimitPercent, other.softLimitPercent)
        && Objects.equals(swappiness, other.swappiness)
        && Objects.equals(cleanupThreads, other.cleanupThreads)
        && Objects.equals(reaperGiveUp, other.reaperGiveUp)
        && drainWhen == other.drainWhen
        && Objects.equals(maxWait, other.maxWait)
        && maxWaiting == other.maxWaiting
        && opportunisticHighPercent == other.opportunisticHighPercent
        && swapPercent == other.swapPercent
        && retire.equals(other.retire);
  }

  @Override
  public int hashCode() {
    return Objects.hash(drainEnabled, drainTimeout, deleteTimeout, killTimeout, softLimitPercent, swappiness,
        cleanupThreads, reaperGiveUp, drainWhen, maxWait, maxWaiting, opportunisticHighPercent, swapPercent, retire);
  }
}
