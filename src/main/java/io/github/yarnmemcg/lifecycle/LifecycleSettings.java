package io.github.yarnmemcg.lifecycle;

import java.time.Duration;
import java.util.Objects;

/**
 * How container cgroups are limited and cleaned, built with {@link #builder()} (every setting starts at its default)
 * and validated by the NodeManager adapter from {@code yarn.nodemanager.memcg.*}; {@link Builder#build()} itself
 * only rejects values that cannot work at all.
 *
 * @param drainEnabled reclaim a container's page cache before removing its cgroup
 * @param drainTimeout how long one cleanup may wait for page cache to go (dirty pages wait for writeback)
 * @param deleteTimeout how long rmdir is retried on EBUSY before the cgroup goes to the reaper
 * @param killTimeout how long leftover processes may take to die after SIGKILL
 * @param softLimitPercent soft limit of a guaranteed container, in percent of its hard limit
 * @param swappiness {@code memory.swappiness} of a guaranteed container (v1 only)
 * @param cleanupThreads threads that drain and delete in the background
 * @param reaperGiveUp how long the reaper keeps retrying a cgroup before counting it as given up
 * @param drainWhen when page cache may be evicted; by default {@link DrainWhen#CONTAINER_EXIT}, the lifecycle's
 *     behaviour without an application signal
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

  /** Settings with every default ({@link Builder}'s), to change with {@link #toBuilder}. */
  public static LifecycleSettings defaults() {
    return builder().build();
  }

  /** A builder holding every default; each setting has its one default here. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings, to build a copy with some changed. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.drainEnabled = drainEnabled;
    b.drainTimeout = drainTimeout;
    b.deleteTimeout = deleteTimeout;
    b.killTimeout = killTimeout;
    b.softLimitPercent = softLimitPercent;
    b.swappiness = swappiness;
    b.cleanupThreads = cleanupThreads;
    b.reaperGiveUp = reaperGiveUp;
    b.drainWhen = drainWhen;
    b.maxWait = maxWait;
    b.maxWaiting = maxWaiting;
    b.opportunisticHighPercent = opportunisticHighPercent;
    b.swapPercent = swapPercent;
    b.retire = retire;
    return b;
  }

  private LifecycleSettings(Builder b) {
    if (b.softLimitPercent < 0 || b.softLimitPercent > 100 || b.swappiness < 0 || b.swappiness > 100
        || b.cleanupThreads < 1 || b.maxWaiting < 0 || b.maxWait.isNegative() || b.opportunisticHighPercent < 0
        || b.opportunisticHighPercent > 100 || b.swapPercent < UNLIMITED_SWAP) {
      throw new IllegalArgumentException("invalid lifecycle settings " + b.softLimitPercent + "% " + b.swappiness
          + " " + b.cleanupThreads + " " + b.maxWaiting + " " + b.maxWait + " " + b.opportunisticHighPercent
          + "% swap " + b.swapPercent + "%");
    }
    this.drainEnabled = b.drainEnabled;
    this.drainTimeout = Objects.requireNonNull(b.drainTimeout, "drainTimeout");
    this.deleteTimeout = Objects.requireNonNull(b.deleteTimeout, "deleteTimeout");
    this.killTimeout = Objects.requireNonNull(b.killTimeout, "killTimeout");
    this.softLimitPercent = b.softLimitPercent;
    this.swappiness = b.swappiness;
    this.cleanupThreads = b.cleanupThreads;
    this.reaperGiveUp = Objects.requireNonNull(b.reaperGiveUp, "reaperGiveUp");
    this.drainWhen = Objects.requireNonNull(b.drainWhen, "drainWhen");
    this.maxWait = b.maxWait;
    this.maxWaiting = b.maxWaiting;
    this.opportunisticHighPercent = b.opportunisticHighPercent;
    this.swapPercent = b.swapPercent;
    this.retire = Objects.requireNonNull(b.retire, "retire");
  }

  /** These settings with the drain's timing: when it may evict, and the caps on cgroups waiting to. */
  public LifecycleSettings withDrainWhen(DrainWhen when, Duration maxWait, int maxWaiting) {
    return toBuilder().drainWhen(when).maxWait(maxWait).maxWaiting(maxWaiting).build();
  }

  /** These settings with this budget of retired cgroups. */
  public LifecycleSettings withRetire(RetireSettings budget) {
    return toBuilder().retire(budget).build();
  }

  /** The budget of retired cgroups and when one goes. */
  public RetireSettings retire() {
    return retire;
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

  /**
   * Lifecycle settings one by one, each starting at its default: the drain on, 60 s to drain, 5 s to delete and to
   * kill, soft limit 90 %, swappiness 0, 2 cleanup threads, 1 h before the reaper gives up, evicting at container exit
   * (the lifecycle's behaviour without an application signal), waiting at most 1 h and 512 cgroups, opportunistic
   * containers unthrottled, no swap, and {@link RetireSettings#defaults()}.
   */
  public static final class Builder {
    private boolean drainEnabled = true;
    private Duration drainTimeout = Duration.ofSeconds(60);
    private Duration deleteTimeout = Duration.ofSeconds(5);
    private Duration killTimeout = Duration.ofSeconds(5);
    private int softLimitPercent = 90;
    private int swappiness = 0;
    private int cleanupThreads = 2;
    private Duration reaperGiveUp = Duration.ofHours(1);
    private DrainWhen drainWhen = DrainWhen.CONTAINER_EXIT;
    private Duration maxWait = DEFAULT_MAX_WAIT;
    private int maxWaiting = DEFAULT_MAX_WAITING;
    private int opportunisticHighPercent = 0;
    private int swapPercent = DEFAULT_SWAP_PERCENT;
    private RetireSettings retire = RetireSettings.defaults();

    private Builder() {}

    /** Reclaim a container's page cache before removing its cgroup. */
    public Builder drainEnabled(boolean enabled) {
      this.drainEnabled = enabled;
      return this;
    }

    /** How long one cleanup may wait for page cache to go (dirty pages wait for writeback). */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = timeout;
      return this;
    }

    /** How long rmdir is retried on EBUSY before the cgroup goes to the reaper. */
    public Builder deleteTimeout(Duration timeout) {
      this.deleteTimeout = timeout;
      return this;
    }

    /** How long leftover processes may take to die after SIGKILL. */
    public Builder killTimeout(Duration timeout) {
      this.killTimeout = timeout;
      return this;
    }

    /** Soft limit of a guaranteed container, in percent of its hard limit. */
    public Builder softLimitPercent(int percent) {
      this.softLimitPercent = percent;
      return this;
    }

    /** {@code memory.swappiness} of a guaranteed container (v1 only). */
    public Builder swappiness(int swappiness) {
      this.swappiness = swappiness;
      return this;
    }

    /** Threads that drain and delete in the background. */
    public Builder cleanupThreads(int threads) {
      this.cleanupThreads = threads;
      return this;
    }

    /** How long the reaper keeps retrying a cgroup before counting it as given up. */
    public Builder reaperGiveUp(Duration giveUp) {
      this.reaperGiveUp = giveUp;
      return this;
    }

    /** When page cache may be evicted. */
    public Builder drainWhen(DrainWhen when) {
      this.drainWhen = when;
      return this;
    }

    /** How long a finished container's cgroup may wait for its application to end. */
    public Builder maxWait(Duration maxWait) {
      this.maxWait = maxWait;
      return this;
    }

    /** How many cgroups may wait at once; beyond it the longest-waiting one is drained. */
    public Builder maxWaiting(int maxWaiting) {
      this.maxWaiting = maxWaiting;
      return this;
    }

    /**
     * Opportunistic containers throttled from {@code percent} of their memory on (v2 {@code memory.high}); 0 leaves
     * them unthrottled up to the hard limit.
     */
    public Builder opportunisticHighPercent(int percent) {
      this.opportunisticHighPercent = percent;
      return this;
    }

    /** Swap a container may use besides its memory, in percent of it ({@link #UNLIMITED_SWAP}: no limit). */
    public Builder swapPercent(int percent) {
      this.swapPercent = percent;
      return this;
    }

    /** The budget of retired cgroups and when one goes. */
    public Builder retire(RetireSettings retire) {
      this.retire = retire;
      return this;
    }

    /** @throws IllegalArgumentException for values that cannot work at all */
    public LifecycleSettings build() {
      return new LifecycleSettings(this);
    }
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
