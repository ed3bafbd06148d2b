package io.github.yarnmemcg.lifecycle;

import java.util.Objects;

/**
 * A cgroup's CPU: its weight under contention (v2 {@code cpu.weight}) and, optionally, a hard bandwidth cap of
 * {@code quotaMicros} in every {@code periodMicros} ({@code cpu.max}; a negative quota is no cap).
 */
public final class CpuShare {
  private final int weight;
  private final long quotaMicros;
  private final long periodMicros;

  public CpuShare(int weight, long quotaMicros, long periodMicros) {
    if (weight < 1 || weight > 10_000 || periodMicros < 1_000 || periodMicros > 1_000_000) {
      throw new IllegalArgumentException("invalid CPU share: weight " + weight + ", period " + periodMicros + " us");
    }
    this.weight = weight;
    this.quotaMicros = quotaMicros;
    this.periodMicros = periodMicros;
  }

  /** A weight without a bandwidth cap. */
  public static CpuShare weighted(int weight) {
    return new CpuShare(weight, -1, 100_000);
  }

  public int weight() {
    return weight;
  }

  /** CPU time allowed per period, or negative for no cap. */
  public long quotaMicros() {
    return quotaMicros;
  }

  public long periodMicros() {
    return periodMicros;
  }

  public boolean capped() {
    return quotaMicros >= 0;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CpuShare)) {
      return false;
    }
    CpuShare other = (CpuShare) o;
    return weight == other.weight && quotaMicros == other.quotaMicros && periodMicros == other.periodMicros;
  }

  @Override
  public int hashCode() {
    return Objects.hash(weight, quotaMicros, periodMicros);
  }

  @Override
  public String toString() {
    return "cpu.weight " + weight + ", cpu.max " + (capped() ? quotaMicros : "max") + " " + periodMicros;
  }
}
