package io.github.yarnmemcg.bench;

/**
 * One measured figure of one contender. {@code p99} is NaN for a figure measured once (a count after a run).
 * For rates (MiB/s) the p99 column holds the rate at the 99th percentile of time per MiB: the slow tail.
 */
record Row(String figure, String contender, int n, double p50, double p99, String unit, String note) {

  static Row once(String figure, String contender, double value, String unit, String note) {
    return new Row(figure, contender, 1, value, Double.NaN, unit, note);
  }
}
