package io.github.yarnmemcg.lifecycle;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of the lifecycle, for metrics and logs. Thread-safe; read with {@link #snapshot()}. */
public final class LifecycleCounters {

  /** A consistent-enough copy of the counters at one moment. */
  public static final class Snapshot {
    private final long started;
    private final long completed;
    private final long cleaned;
    private final long evictedBytes;
    private final long freedWithoutEviction;
    private final long chargedAtRemoval;
    private final long drainNanos;
    private final long deleteRetries;
    private final long leftCharged;
    private final long oomKills;
    private final long givenUp;
    private final long pendingCleanups;
    private final long waiting;
    private final long awaitingRetry;
    private final long swept;
    private final long writebackNudges;
    private final long memoryStallMicros;
    private final long retired;
    private final long retiredBytes;
    private final long released;
    private final long drainedOverBudget;
    private final long evictedOverBudget;

    Snapshot(LifecycleCounters c) {
      this.started = c.started.sum();
      this.completed = c.completed.sum();
      this.cleaned = c.cleaned.sum();
      this.evictedBytes = c.evictedBytes.sum();
      this.freedWithoutEviction = c.freedWithoutEviction.sum();
      this.chargedAtRemoval = c.chargedAtRemoval.sum();
      this.drainNanos = c.drainNanos.sum();
      this.deleteRetries = c.deleteRetries.sum();
      this.leftCharged = c.leftCharged.sum();
      this.oomKills = c.oomKills.sum();
      this.givenUp = c.givenUp.sum();
      this.pendingCleanups = c.pending.sum();
      this.waiting = c.waiting.sum();
      this.awaitingRetry = c.awaitingRetry.sum();
      this.swept = c.swept.sum();
      this.writebackNudges = c.writebackNudges.sum();
      this.memoryStallMicros = c.memoryStallMicros.sum();
      this.retired = c.retired.sum();
      this.retiredBytes = c.retiredBytes.sum();
      this.released = c.released.sum();
      this.drainedOverBudget = c.drainedOverBudget.sum();
      this.evictedOverBudget = c.evictedOverBudget.sum();
    }

    public long started() {
      return started;
    }

    public long completed() {
      return completed;
    }

    public long cleaned() {
      return cleaned;
    }

    public long evictedBytes() {
      return evictedBytes;
    }

    public long freedWithoutEviction() {
      return freedWithoutEviction;
    }

    public long chargedAtRemoval() {
      return chargedAtRemoval;
    }

    public long drainNanos() {
      return drainNanos;
    }

    public long deleteRetries() {
      return deleteRetries;
    }

    public long leftCharged() {
      return leftCharged;
    }

    public long oomKills() {
      return oomKills;
    }

    public long givenUp() {
      return givenUp;
    }

    public long pendingCleanups() {
      return pendingCleanups;
    }

    public long waiting() {
      return waiting;
    }

    public long awaitingRetry() {
      return awaitingRetry;
    }

    public long swept() {
      return swept;
    }

    public long writebackNudges() {
      return writebackNudges;
    }

    /** Time finished containers spent with all their tasks stalled on memory (PSI full total; cgroup v2 only). */
    public long memoryStallMicros() {
      return memoryStallMicros;
    }

    /** Finished containers' cgroups retired now: empty, unprotected, holding page cache someone may read again. */
    public long retired() {
      return retired;
    }

    /** Page cache and shmem the retired cgroups held when last looked at. */
    public long retiredBytes() {
      return retiredBytes;
    }

    /** Retired cgroups removed once their page cache had gone without eviction (below the release threshold). */
    public long released() {
      return released;
    }

    /** Retired cgroups drained because more were retired than the budget allows. */
    public long drainedOverBudget() {
      return drainedOverBudget;
    }

    /** Page cache evicted from those: the part of {@link #evictedBytes} the budget decided. */
    public long evictedOverBudget() {
      return evictedOverBudget;
    }

    @Override
    public String toString() {
      return "Counters[started=" + started + ", completed=" + completed + ", cleaned=" + cleaned + ", evicted="
          + evictedBytes + ", freedWithoutEviction=" + freedWithoutEviction + ", chargedAtRemoval=" + chargedAtRemoval
          + ", leftCharged=" + leftCharged + ", givenUp=" + givenUp + ", pending=" + pendingCleanups + ", waiting="
          + waiting + ", awaitingRetry=" + awaitingRetry + ", swept=" + swept + ", nudges=" + writebackNudges
          + ", memoryStallMicros=" + memoryStallMicros + ", retired=" + retired + ", retiredBytes=" + retiredBytes
          + ", released=" + released + ", drainedOverBudget=" + drainedOverBudget + ", evictedOverBudget="
          + evictedOverBudget + "]";
    }
  }

  final LongAdder started = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder cleaned = new LongAdder();
  final LongAdder evictedBytes = new LongAdder();
  final LongAdder freedWithoutEviction = new LongAdder();
  final LongAdder chargedAtRemoval = new LongAdder();
  final LongAdder drainNanos = new LongAdder();
  final LongAdder deleteRetries = new LongAdder();
  final LongAdder leftCharged = new LongAdder();
  final LongAdder oomKills = new LongAdder();
  final LongAdder givenUp = new LongAdder();
  final LongAdder pending = new LongAdder();
  final LongAdder waiting = new LongAdder();
  final LongAdder awaitingRetry = new LongAdder();
  final LongAdder swept = new LongAdder();
  final LongAdder writebackNudges = new LongAdder();
  final LongAdder memoryStallMicros = new LongAdder();
  final LongAdder retired = new LongAdder();
  final LongAdder retiredBytes = new LongAdder();
  final LongAdder released = new LongAdder();
  final LongAdder drainedOverBudget = new LongAdder();
  final LongAdder evictedOverBudget = new LongAdder();

  public Snapshot snapshot() {
    return new Snapshot(this);
  }
}
