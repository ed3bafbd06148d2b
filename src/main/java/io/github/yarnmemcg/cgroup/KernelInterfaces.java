package io.github.yarnmemcg.cgroup;

import java.util.Objects;

/**
 * Which kernel interface the driver uses for each of its functions on this node: the best one the kernel offers,
 * decided by the files it shows in a container-level cgroup (several exist only below the top of the hierarchy), never
 * by its version string, because distributions backport interfaces. Said by the NodeManager's start-up line and by
 * the doctor, so that an operator sees what a node without, say, {@code memory.reclaim} does instead.
 */
public final class KernelInterfaces {

  /** How a finished container's page cache is reclaimed before its cgroup is removed. */
  public enum Drain {
    /** v1 {@code memory.force_empty}. */
    FORCE_EMPTY("memory.force_empty"),
    /** v2 {@code memory.reclaim} in steps (Linux 5.19+). */
    RECLAIM("memory.reclaim"),
    /**
     * v2 without {@code memory.reclaim}: {@code memory.high} set to 0 on the emptied cgroup, which makes the kernel
     * reclaim it down to nothing before the write returns, without the OOM event a zero {@code memory.max} counts; the
     * previous value is written back afterwards. Never done while a process is in the cgroup.
     */
    HIGH_ZERO("memory.high set to 0 while the cgroup is empty (no memory.reclaim before Linux 5.19)");

    private final String description;

    Drain(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  /** How every process of a cgroup is killed. */
  public enum Kill {
    /** v2 {@code cgroup.kill} (Linux 5.14+): the kernel kills the whole cgroup, forks included. */
    CGROUP_KILL("cgroup.kill"),
    /**
     * v2 without {@code cgroup.kill}: {@code cgroup.freeze} (Linux 5.2+) first, so that nothing in the cgroup runs and
     * so none forks, then SIGKILL to each process listed, then thaw; frozen processes die of SIGKILL.
     */
    FREEZE_THEN_SIGNAL("cgroup.freeze, then SIGKILL to each process, then thaw (no cgroup.kill before Linux 5.14)"),
    /** SIGKILL to each process listed, repeated until none is left (v1, whose freezer is a hierarchy of its own). */
    SIGNAL_EACH("SIGKILL to each process in cgroup.procs, repeated until none is left");

    private final String description;

    Kill(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  /** Where a container's peak memory comes from. */
  public enum Peak {
    /** v2 {@code memory.peak} (Linux 5.19+) or v1 {@code memory.max_usage_in_bytes}: the kernel's own high mark. */
    KERNEL("the kernel's high mark"),
    /** Neither: the highest {@code memory.current} the plugin read, sampled, so a short spike can be missed. */
    SAMPLED("sampled memory.current (no memory.peak before Linux 5.19)");

    private final String description;

    Peak(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  /** Whether containers' memory pressure (PSI) can be read. */
  public enum Psi {
    /** v2 {@code memory.pressure} reads. */
    ON("memory.pressure"),
    /**
     * cgroup v2 without a readable {@code memory.pressure}: the kernel was built without PSI, or booted with it off
     * ({@code psi=0}, or RHEL's kernels, which need {@code psi=1}); some kernels then hide the file, others fail
     * reading it.
     */
    OFF("off: the kernel was built or booted without PSI (RHEL's kernels need psi=1 on the command line)"),
    /** cgroup v1, which has no per-cgroup pressure file. */
    NOT_ON_V1("none on cgroup v1");

    private final String description;

    Psi(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  private final Drain drain;
  private final Kill kill;
  private final Peak peak;
  private final Psi psi;

  private KernelInterfaces(Drain drain, Kill kill, Peak peak, Psi psi) {
    this.drain = Objects.requireNonNull(drain, "drain");
    this.kill = Objects.requireNonNull(kill, "kill");
    this.peak = Objects.requireNonNull(peak, "peak");
    this.psi = Objects.requireNonNull(psi, "psi");
  }

  public static KernelInterfaces of(Drain drain, Kill kill, Peak peak, Psi psi) {
    return new KernelInterfaces(drain, kill, peak, psi);
  }

  public Drain drain() {
    return drain;
  }

  public Kill kill() {
    return kill;
  }

  public Peak peak() {
    return peak;
  }

  public Psi psi() {
    return psi;
  }

  /** One line for the log and the doctor: "drain: ..., kill: ..., peak: ..., pressure: ...". */
  public String describe() {
    return "drain: " + drain.description() + "; kill: " + kill.description() + "; peak: " + peak.description()
        + "; pressure: " + psi.description();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof KernelInterfaces)) {
      return false;
    }
    KernelInterfaces k = (KernelInterfaces) o;
    return drain == k.drain && kill == k.kill && peak == k.peak && psi == k.psi;
  }

  @Override
  public int hashCode() {
    return Objects.hash(drain, kill, peak, psi);
  }

  @Override
  public String toString() {
    return describe();
  }
}
