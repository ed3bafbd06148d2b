package io.github.yarnmemcg.lifecycle;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of the lifecycle, for metrics and logs. Thread-safe; read with {@link #snapshot()}. */
public final class LifecycleCounters {

  /** A consistent-enough copy of the counters at one moment. */
  public static final class Snapshot {
    private final long started;
    private final long completed;
    private final long cleaned;
    private final long drainedBytes;
    private final long drainNanos;
    private final long deleteRetries;
    private final long leftCharged;
    private final long oomKills;
    private final long givenUp;
    private final long pendingCleanups;
    private final long awaitingRetry;
    private final long swept;
    private final long writebackNudges;

    public Snapshot(long started, long completed, long cleaned, long drainedBytes, long drainNanos,
        long deleteRetries, long leftCharged, long oomKills, long givenUp, long pendingCleanups, long awaitingRetry,
        long swept, long writebackNudges) {
      this.started = started;
      this.completed = completed;
      this.cleaned = cleaned;
      this.drainedBytes = drainedBytes;
      this.drainNanos = drainNanos;
      this.deleteRetries = deleteRetries;
      this.leftCharged = leftCharged;
      this.oomKills = oomKills;
      this.givenUp = givenUp;
      this.pendingCleanups = pendingCleanups;
      this.awaitingRetry = awaitingRetry;
      this.swept = swept;
      this.writebackNudges = writebackNudges;
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

    public long drainedBytes() {
      return drainedBytes;
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

    public long awaitingRetry() {
      return awaitingRetry;
    }

    public long swept() {
      return swept;
    }

    public long writebackNudges() {
      return writebackNudges;
    }
  }

  final LongAdder started = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder cleaned = new LongAdder();
  final LongAdder drainedBytes = new LongAdder();
  final LongAdder drainNanos = new LongAdder();
  final LongAdder deleteRetries = new LongAdder();
  final LongAdder leftCharged = new LongAdder();
  final LongAdder oomKills = new LongAdder();
  final LongAdder givenUp = new LongAdder();
  final LongAdder pending = new LongAdder();
  final LongAdder awaitingRetry = new LongAdder();
  final LongAdder swept = new LongAdder();
  final LongAdder writebackNudges = new LongAdder();

  public Snapshot snapshot() {
    return new Snapshot(started.sum(), completed.sum(), cleaned.sum(), drainedBytes.sum(), drainNanos.sum(),
        deleteRetries.sum(), leftCharged.sum(), oomKills.sum(), givenUp.sum(), pending.sum(), awaitingRetry.sum(),
        swept.sum(), writebackNudges.sum());
  }
}
