package io.github.yarnmemcg.lifecycle;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of the lifecycle, for metrics and logs. Thread-safe; read with {@link #snapshot()}. */
public final class LifecycleCounters {

  /** A consistent-enough copy of the counters at one moment. */
  public record Snapshot(long started, long completed, long cleaned, long drainedBytes, long drainNanos,
      long deleteRetries, long leftCharged, long oomKills, long givenUp, long pendingCleanups, long awaitingRetry,
      long swept, long writebackNudges) {}

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
        deleteRetries.sum(), leftCharged.sum(), oomKills.sum(), givenUp.sum(), pending.sum(), awaitingRetry.sum(), swept.sum(),
        writebackNudges.sum());
  }
}
