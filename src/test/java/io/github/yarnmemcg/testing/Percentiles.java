package io.github.yarnmemcg.testing;

import java.util.Arrays;

/** Nearest-rank percentiles of measured durations, for the {@code [measure]} lines the ITs print. */
public final class Percentiles {
  private Percentiles() {}

  /** The p-th percentile (1..100) of {@code nanos}, in milliseconds. */
  public static double millis(long[] nanos, int p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int idx = Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[idx] / 1e6;
  }
}
