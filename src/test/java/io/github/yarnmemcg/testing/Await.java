package io.github.yarnmemcg.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one way tests wait for what the kernel or a NodeManager does on its own time (a process joining a cgroup,
 * a cleanup removing one, a container ending): poll from 1 ms, doubling to 200 ms, until the condition holds or
 * the time is up, then fail saying what never happened. Never a fixed sleep. Tests keep the product's
 * {@code Backoff} out of their own waits, so a change to the product's retry policy cannot change what a test
 * tolerates.
 */
public final class Await {
  private static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long CAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  /** A condition that may read the kernel or a cluster. */
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A reading that is empty until what it reads has happened. */
  public interface Probe<T> {
    Optional<T> read() throws Exception;
  }

  private Await() {}

  /** Waits until {@code condition} holds; fails the test with {@code what} once {@code timeout} has passed. */
  public static void until(String what, Duration timeout, Condition condition) throws Exception {
    if (!within(timeout, condition)) {
      fail("waited " + timeout.toMillis() + " ms for " + what);
    }
  }

  /** Like {@link #until}, with the message built only when it fails (it may read the state that was wrong). */
  public static void until(Supplier<String> what, Duration timeout, Condition condition) throws Exception {
    if (!within(timeout, condition)) {
      fail("waited " + timeout.toMillis() + " ms for " + what.get());
    }
  }

  /** Waits until {@code probe} reads a value and returns it; fails the test with {@code what} at the timeout. */
  public static <T> T value(String what, Duration timeout, Probe<T> probe) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long pause = FIRST_NANOS; ; pause = Math.min(CAP_NANOS, pause * 2)) {
      Optional<T> v = probe.read();
      if (v.isPresent()) {
        return v.get();
      }
      if (!pause(pause, deadline)) {
        return fail("waited " + timeout.toMillis() + " ms for " + what);
      }
    }
  }

  /** Whether {@code condition} came to hold within {@code timeout}: for measuring, where not holding is a figure. */
  public static boolean within(Duration timeout, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long pause = FIRST_NANOS; ; pause = Math.min(CAP_NANOS, pause * 2)) {
      if (condition.holds()) {
        return true;
      }
      if (!pause(pause, deadline)) {
        return condition.holds();
      }
    }
  }

  private static boolean pause(long nanos, long deadline) throws InterruptedException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    TimeUnit.NANOSECONDS.sleep(Math.min(nanos, left));
    return true;
  }
}
