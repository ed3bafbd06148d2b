package io.github.yarnmemcg.lifecycle;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where every background step of the lifecycle runs: a small pool of cleanup threads for the work that touches
 * the kernel (kill, drain, rmdir) and one timer thread that only hands steps back to the pool after a delay, so
 * that no waiting step ever holds a cleanup thread. A full pool queue is met by trying again a second later,
 * never by running on the caller's thread (the NodeManager's completion path).
 */
final class CleanupScheduler implements StepScheduler {

  private static final int QUEUE = 4096;
  private static final long QUEUE_FULL_RETRY_MS = 1_000;

  private final ThreadPoolExecutor cleaners;
  private final ScheduledExecutorService timer;

  CleanupScheduler(int threads) {
    cleaners = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
        daemon("yarn-memcg-cleanup"));
    cleaners.allowCoreThreadTimeOut(true);
    timer = Executors.newSingleThreadScheduledExecutor(daemon("yarn-memcg-reaper"));
  }

  @Override
  public boolean now(Runnable step) {
    try {
      cleaners.execute(step);
      return true;
    } catch (RejectedExecutionException e) {
      return later(QUEUE_FULL_RETRY_MS * 1_000_000, step);
    }
  }

  @Override
  public boolean later(long delayNanos, Runnable step) {
    try {
      timer.schedule(() -> now(step), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return true;
    } catch (RejectedExecutionException shutdown) {
      return false;
    }
  }

  /** Runs a light task (a sweep: it only hands cleanups to the pool) on the timer thread at this interval. */
  @Override
  public void every(Duration interval, Runnable task) {
    timer.scheduleWithFixedDelay(task, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean isShutdown() {
    return timer.isShutdown();
  }

  /** Stops the timer at once and gives the steps under way up to {@code grace} to end. */
  @Override
  public void shutdown(Duration grace) {
    timer.shutdownNow();
    cleaners.shutdown();
    try {
      if (!cleaners.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        cleaners.shutdownNow();
      }
    } catch (InterruptedException e) {
      cleaners.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
