package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delayStartsAtFirstAndDoubles() {
    Backoff b = new Backoff(Duration.ofNanos(1_000), Duration.ofMillis(1));
    assertEquals(1_000, b.delayNanos(0));
    assertEquals(2_000, b.delayNanos(1));
    assertEquals(4_000, b.delayNanos(2));
    assertEquals(8_000, b.delayNanos(3));
    assertEquals(512_000, b.delayNanos(9));
  }

  @Test
  void delayCapsAtCap() {
    Backoff b = new Backoff(Duration.ofNanos(1_000), Duration.ofMillis(1));
    assertEquals(1_000_000, b.delayNanos(10));
    assertEquals(1_000_000, b.delayNanos(11));
    assertEquals(1_000_000, b.delayNanos(50));
  }

  @Test
  void standardStartsAt20MicrosAndCapsAt100Millis() {
    assertEquals(20_000, Backoff.STANDARD.delayNanos(0));
    assertEquals(40_000, Backoff.STANDARD.delayNanos(1));
    assertEquals(100_000_000, Backoff.STANDARD.delayNanos(30));
  }

  @Test
  void neverOverflowsForHugeAttempts() {
    for (Backoff b : List.of(Backoff.STANDARD, new Backoff(Duration.ofNanos(1), Duration.ofNanos(1)),
        new Backoff(Duration.ofNanos(1), Duration.ofNanos(Long.MAX_VALUE)),
        new Backoff(Duration.ofMillis(1), Duration.ofDays(1)),
        new Backoff(Duration.ofMillis(100), Duration.ofNanos(Long.MAX_VALUE)),
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)))) {
      long first = b.first().toNanos();
      long cap = b.cap().toNanos();
      long previous = 0;
      for (int attempt : new int[] {0, 1, 20, 39, 40, 41, 62, 63, 64, 65, 100, 1000, Integer.MAX_VALUE}) {
        long d = b.delayNanos(attempt);
        assertTrue(d >= first && d <= cap, b + " attempt " + attempt + " gave " + d);
        assertTrue(d >= previous, b + " attempt " + attempt + " gave " + d + " after " + previous);
        previous = d;
      }
    }
  }

  @Test
  void standardAtAttempt1000IsTheCap() {
    assertEquals(Duration.ofMillis(100).toNanos(), Backoff.STANDARD.delayNanos(1000));
  }

  @Test
  void delaysNeverDecreaseAndStayWithinFirstAndCap() {
    long[] firsts = {1, 7, 1_000, 20_000, 999_999, 1_000_000, 123_456_789};
    long[] caps = {1_000_000, 100_000_000, 60_000_000_000L, 3_600_000_000_000L};
    for (long first : firsts) {
      for (long cap : caps) {
        if (cap < first) {
          continue;
        }
        Backoff b = new Backoff(Duration.ofNanos(first), Duration.ofNanos(cap));
        long previous = 0;
        for (int attempt = 0; attempt <= 1000; attempt++) {
          long d = b.delayNanos(attempt);
          assertTrue(d >= first && d <= cap, b + " attempt " + attempt + " gave " + d);
          assertTrue(d >= previous, b + " attempt " + attempt + " gave " + d + " after " + previous);
          previous = d;
        }
        if (cap / first <= (1L << 40)) {
          assertEquals(cap, b.delayNanos(1000), b.toString());
        }
      }
    }
  }

  @Test
  void firstEqualToCapIsAllowed() {
    Backoff b = new Backoff(Duration.ofMillis(5), Duration.ofMillis(5));
    assertEquals(5_000_000, b.delayNanos(0));
    assertEquals(5_000_000, b.delayNanos(1000));
  }

  @Test
  void rejectsZeroOrNegativeFirst() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofNanos(-1), Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(-5), Duration.ofMillis(1)));
  }

  @Test
  void rejectsCapBelowFirst() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofMillis(2), Duration.ofMillis(1)));
    assertTrue(e.getMessage().contains("PT0.002S") && e.getMessage().contains("PT0.001S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofNanos(2), Duration.ofNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(1), Duration.ofMillis(-1)));
  }

  @Test
  void pauseReturnsFalseAtOnceWhenDeadlinePassed() {
    // A one-hour first delay: if pause slept at all the test would hang, so returning proves it did not.
    Backoff slow = new Backoff(Duration.ofHours(1), Duration.ofHours(1));
    long now = System.nanoTime();
    assertFalse(slow.pause(0, now));
    assertFalse(slow.pause(5, now - 1));
    assertFalse(slow.pause(1000, now - Duration.ofHours(2).toNanos()));
  }

  @Test
  void pauseReturnsTrueWhenDeadlineAhead() {
    Backoff tiny = new Backoff(Duration.ofNanos(1), Duration.ofNanos(1_000));
    assertTrue(tiny.pause(0, System.nanoTime() + Duration.ofSeconds(30).toNanos()));
  }

  @Test
  void pauseReturnsFalseWhenInterrupted() {
    Backoff tiny = new Backoff(Duration.ofNanos(1), Duration.ofNanos(1_000));
    Thread.currentThread().interrupt();
    try {
      assertFalse(tiny.pause(0, System.nanoTime() + Duration.ofSeconds(30).toNanos()));
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void overflowingShiftStillGivesCap() {
    Backoff b = new Backoff(Duration.ofNanos((1L << 24) + 1), Duration.ofHours(1));
    assertEquals(Duration.ofHours(1).toNanos(), b.delayNanos(39));
    assertEquals(Duration.ofHours(1).toNanos(), b.delayNanos(40));
  }

  @Test
  void capBeyondLongNanosIsRejected() {
    Duration huge = Duration.ofDays(365L * 300);
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(1), huge));
  }

  @Test
  void tinyFirstReachesAHugeCap() {
    Backoff b = new Backoff(Duration.ofNanos(1), Duration.ofHours(1));
    assertEquals(Duration.ofHours(1).toNanos(), b.delayNanos(100));
  }
}
