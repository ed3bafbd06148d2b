package io.github.yarnmemcg.lifecycle;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link StepScheduler} driven by the test: time stands still until the test moves it, and every step runs on the
 * test's own thread when its time comes, in the order of their times (then of their scheduling). A backoff of a minute
 * or a wait of an hour thus takes a few milliseconds, and what ran is the same on every run.
 */
final class ManualScheduler implements StepScheduler {

  /** Far from zero: the cleanup uses 0 as "not yet" for a few of its times. */
  private static final long START = Duration.ofDays(3).toNanos();
  /** More steps than any test needs: a step that keeps scheduling itself at once is a bug, not a long test. */
  private static final int RUNAWAY = 100_000;

  private record Task(long due, long seq, Runnable step, long period) {}

  private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
      ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private long now = START;
  private long seq;
  private boolean shutdown;

  @Override
  public synchronized boolean now(Runnable step) {
    return at(now, step, 0);
  }

  @Override
  public synchronized boolean later(long delayNanos, Runnable step) {
    return at(now + Math.max(0, delayNanos), step, 0);
  }

  @Override
  public synchronized void every(Duration interval, Runnable task) {
    at(now + interval.toNanos(), task, interval.toNanos());
  }

  private boolean at(long due, Runnable step, long period) {
    if (shutdown) {
      return false;
    }
    queue.add(new Task(due, seq++, step, period));
    return true;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized void shutdown(Duration grace) {
    shutdown = true;
    queue.clear();
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  /** How long since this scheduler was made. */
  synchronized Duration elapsed() {
    return Duration.ofNanos(now - START);
  }

  /** Runs every step due now, including those they schedule for now. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves time on by {@code d}, running each step due meanwhile at its own time. */
  void advance(Duration d) {
    long until;
    synchronized (this) {
      until = now + d.toNanos();
    }
    for (int ran = 0; ; ran++) {
      Task t;
      synchronized (this) {
        if (queue.isEmpty() || queue.peek().due > until) {
          now = until;
          return;
        }
        t = queue.poll();
        now = t.due;
        if (t.period > 0) {
          queue.add(new Task(now + t.period, seq++, t.step, t.period));
        }
      }
      if (ran > RUNAWAY) {
        throw new IllegalStateException("more than " + RUNAWAY + " steps in " + d + ": a step reschedules itself");
      }
      t.step.run();
    }
  }

  /** Steps waiting for their time, the periodic ones included. */
  synchronized int pending() {
    return queue.size();
  }
}
