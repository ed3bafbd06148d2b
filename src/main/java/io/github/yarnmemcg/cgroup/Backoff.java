package io.github.yarnmemcg.cgroup;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The one retry policy of the kernel layer: exponential backoff that starts in microseconds, because most
 * transient cgroup states (a task still exiting, an rmdir racing the last uncharge) clear almost at once,
 * and is capped so that a long wait costs few system calls.
 */
public final class Backoff {

  /** 20 µs, doubling, capped at 100 ms. */
  public static final Backoff STANDARD = new Backoff(Duration.ofNanos(20_000), Duration.ofMillis(100));

  private final Duration first;
  private final Duration cap;

  public Backoff(Duration first, Duration cap) {
    if (first.isNegative() || first.isZero() || cap.compareTo(first) < 0
        || cap.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("backoff needs 0 < first <= cap <= 292 years, got " + first + " and " + cap);
    }
    this.first = first;
    this.cap = cap;
  }

  public Duration first() {
    return first;
  }

  public Duration cap() {
    return cap;
  }

  /** The delay before retry number {@code attempt} (0 for the first retry). */
  public long delayNanos(int attempt) {
    long f = first.toNanos();
    long c = cap.toNanos();
    // Shifting only while first << attempt stays at or below the cap, so it never overflows.
    return attempt >= 63 || f > (c >> attempt) ? c : f << attempt;
  }

  /**
   * Waits before retry number {@code attempt}, never past {@code deadlineNanos} ({@link System#nanoTime}).
   *
   * @return false, without waiting, when the deadline has already passed
   */
  public boolean pause(int attempt, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    LockSupport.parkNanos(Math.min(left, delayNanos(attempt)));
    return !Thread.currentThread().isInterrupted();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Backoff && ((Backoff) o).first.equals(first) && ((Backoff) o).cap.equals(cap);
  }

  @Override
  public int hashCode() {
    return 31 * first.hashCode() + cap.hashCode();
  }

  @Override
  public String toString() {
    return "Backoff[first=" + first + ", cap=" + cap + "]";
  }
}
