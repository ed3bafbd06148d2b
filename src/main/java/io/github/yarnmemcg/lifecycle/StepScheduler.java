package io.github.yarnmemcg.lifecycle;

import java.time.Duration;

/**
 * When and where the lifecycle's background steps run, and the clock their delays and ages are measured on
 * ({@link System#nanoTime} values). {@link CleanupScheduler} is the one the plugin runs; the unit tests put a
 * hand-driven one in its place, so that rules measured in seconds and hours are checked in milliseconds.
 */
interface StepScheduler {

  /** Runs the step on a cleanup thread as soon as one is free. @return false once shut down */
  boolean now(Runnable step);

  /** Runs the step on a cleanup thread after the delay. @return false once shut down */
  boolean later(long delayNanos, Runnable step);

  /** Runs a light task (a sweep: it only hands cleanups to the pool) at this interval. */
  void every(Duration interval, Runnable task);

  boolean isShutdown();

  /** Stops at once and gives the steps under way up to {@code grace} to end. */
  void shutdown(Duration grace);

  /** The time now, as {@link System#nanoTime} reads it. */
  long nanoTime();
}
