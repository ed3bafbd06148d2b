package io.github.yarnmemcg.cgroup;

import java.util.Locale;
import java.util.Optional;

/**
 * A cgroup's memory pressure (PSI, {@code memory.pressure} on cgroup v2): the share of wall time in which some or all
 * of its tasks were stalled waiting for memory, averaged over the last 10 and 60 seconds (percent), and the total
 * stall time since the cgroup was created (microseconds).
 */
public final class Pressure {
  private final double someAvg10;
  private final double someAvg60;
  private final long someTotalMicros;
  private final double fullAvg10;
  private final double fullAvg60;
  private final long fullTotalMicros;

  public Pressure(double someAvg10, double someAvg60, long someTotalMicros, double fullAvg10, double fullAvg60,
      long fullTotalMicros) {
    this.someAvg10 = someAvg10;
    this.someAvg60 = someAvg60;
    this.someTotalMicros = someTotalMicros;
    this.fullAvg10 = fullAvg10;
    this.fullAvg60 = fullAvg60;
    this.fullTotalMicros = fullTotalMicros;
  }

  public double someAvg10() {
    return someAvg10;
  }

  public double someAvg60() {
    return someAvg60;
  }

  public long someTotalMicros() {
    return someTotalMicros;
  }

  public double fullAvg10() {
    return fullAvg10;
  }

  public double fullAvg60() {
    return fullAvg60;
  }

  public long fullTotalMicros() {
    return fullTotalMicros;
  }

  /**
   * Parses the kernel's two lines ({@code some avg10=0.00 avg60=0.00 avg300=0.00 total=0}, then {@code full ...});
   * empty when either line or one of its fields is missing or malformed, so that a kernel's different text is never
   * read as "no pressure".
   */
  public static Optional<Pressure> parse(String text) {
    double[] some = null;
    double[] full = null;
    for (String line : text.split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length >= 5 && (f[0].equals("some") || f[0].equals("full"))) {
        double[] v = fields(f);
        if (v == null) {
          return Optional.empty();
        }
        if (f[0].equals("some")) {
          some = v;
        } else {
          full = v;
        }
      }
    }
    if (some == null || full == null) {
      return Optional.empty();
    }
    return Optional.of(new Pressure(some[0], some[1], (long) some[2], full[0], full[1], (long) full[2]));
  }

  /** avg10, avg60 and total of one line, or null. */
  private static double[] fields(String[] f) {
    double[] v = {Double.NaN, Double.NaN, Double.NaN};
    for (int i = 1; i < f.length; i++) {
      int eq = f[i].indexOf('=');
      if (eq < 0) {
        return null;
      }
      String key = f[i].substring(0, eq);
      int slot = key.equals("avg10") ? 0 : key.equals("avg60") ? 1 : key.equals("total") ? 2 : -1;
      if (slot >= 0) {
        try {
          v[slot] = slot == 2 ? Long.parseLong(f[i].substring(eq + 1)) : Double.parseDouble(f[i].substring(eq + 1));
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return Double.isNaN(v[0]) || Double.isNaN(v[1]) || Double.isNaN(v[2]) ? null : v;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "some avg10=%.2f avg60=%.2f total=%.1f ms, full avg10=%.2f avg60=%.2f"
        + " total=%.1f ms", someAvg10, someAvg60, someTotalMicros / 1e3, fullAvg10, fullAvg60, fullTotalMicros / 1e3);
  }
}
