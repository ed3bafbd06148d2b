package io.github.yarnmemcg.cgroup;

import static io.github.yarnmemcg.cgroup.MemoryStats.UNKNOWN;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The cgroup v2 memory controller: {@code memory.*} files of the unified hierarchy, written, killed and drained here;
 * its readings are {@link V2Stats}', and the cpu controller in the same cgroups is {@link V2CpuDriver}.
 */
public final class V2Driver extends AbstractCgroupDriver {

  /** One {@code memory.reclaim} request at most, so that a step returns and progress can be measured. */
  static final long RECLAIM_STEP_BYTES = 256L << 20;

  private final Optional<CpuDriver> cpu;

  V2Driver(MemoryMount mount, CgroupFs fs) {
    super(mount, fs);
    this.cpu = Optional.of(new V2CpuDriver(fs));
  }

  @Override
  public Optional<CpuDriver> cpu() {
    return cpu;
  }

  @Override
  public void enableMemoryForChildren(Path cgroup) throws IOException {
    V2Controllers.enableForChildren(fs(), cgroup, "memory");
  }

  @Override
  public boolean memoryEnabledForChildren(Path cgroup) throws IOException {
    return V2Controllers.lists(fs(), cgroup, "cgroup.subtree_control", "memory");
  }

  @Override
  public void setHardLimit(Path cgroup, long bytes) throws IOException {
    write(cgroup.resolve("memory.max"), bytes == Long.MAX_VALUE ? "max" : Long.toString(bytes));
  }

  @Override
  public void setLimits(Path cgroup, long hardBytes, long swapBytes) throws IOException {
    setHardLimit(cgroup, hardBytes);
    if (swapLimited(cgroup)) {
      // Independent of memory.max on v2: the two limits never constrain each other's writes.
      write(cgroup.resolve("memory.swap.max"), swapBytes == Long.MAX_VALUE ? "max" : Long.toString(swapBytes));
    }
  }

  @Override
  public boolean swapLimited(Path cgroup) {
    return fs().exists(cgroup.resolve("memory.swap.max"));
  }

  @Override
  public long unreclaimable(Path cgroup) throws IOException {
    long[] v = KeyValues.select(read(cgroup.resolve("memory.stat")), "anon", "shmem");
    return Math.max(0, v[0]) + Math.max(0, v[1]);
  }

  @Override
  public boolean underOom(Path cgroup) {
    return false;
  }

  @Override
  public boolean holdOffOomKiller(Path cgroup, boolean holdOff) {
    return false;
  }

  @Override
  public void setSoftLimit(Path cgroup, long bytes) throws IOException {
    write(cgroup.resolve("memory.low"), Long.toString(bytes));
  }

  @Override
  public void setThrottleLimit(Path cgroup, long bytes) throws IOException {
    write(cgroup.resolve("memory.high"), bytes == Long.MAX_VALUE ? "max" : Long.toString(bytes));
  }

  @Override
  public void setSwappiness(Path cgroup, int swappiness) {
    // cgroup v2 has no per-cgroup swappiness; memory.swap.max is the operator's business.
  }

  @Override
  public void setOomKillsAll(Path cgroup) throws IOException {
    write(cgroup.resolve("memory.oom.group"), "1");
  }

  @Override
  public KernelInterfaces interfaces(Path cgroup) throws IOException {
    return KernelInterfaces.of(drainVia(cgroup), killVia(cgroup),
        fs().exists(cgroup.resolve("memory.peak")) ? KernelInterfaces.Peak.KERNEL : KernelInterfaces.Peak.SAMPLED,
        memoryPressure(cgroup).isPresent() ? KernelInterfaces.Psi.ON : KernelInterfaces.Psi.OFF);
  }

  private KernelInterfaces.Drain drainVia(Path cgroup) {
    return fs().exists(cgroup.resolve("memory.reclaim")) ? KernelInterfaces.Drain.RECLAIM
        : KernelInterfaces.Drain.HIGH_ZERO;
  }

  private KernelInterfaces.Kill killVia(Path cgroup) {
    if (fs().exists(cgroup.resolve("cgroup.kill"))) {
      return KernelInterfaces.Kill.CGROUP_KILL;
    }
    return fs().exists(cgroup.resolve("cgroup.freeze")) ? KernelInterfaces.Kill.FREEZE_THEN_SIGNAL
        : KernelInterfaces.Kill.SIGNAL_EACH;
  }

  @Override
  public void signalKill(Path cgroup) throws IOException {
    switch (killVia(cgroup)) {
      case CGROUP_KILL:
        write(cgroup.resolve("cgroup.kill"), "1");
        return;
      case FREEZE_THEN_SIGNAL:
        freezeThenSignal(cgroup);
        return;
      default:
        signalEach(cgroup);
    }
  }

  /**
   * Kills without {@code cgroup.kill} and without a race against fork: a process listed and signalled could otherwise
   * fork a child that is in no list yet. Frozen, nothing in the cgroup runs, and a child forked while the freeze
   * spreads starts frozen (it inherits the cgroup's state); frozen processes still die of SIGKILL. The wait for
   * {@code frozen 1} is bounded ({@link #FREEZE_WAIT_NANOS}): a process in uninterruptible sleep freezes only when it
   * returns, and what is listed is signalled anyway ({@link #killAll} repeats). Never while this JVM is inside: it
   * would freeze itself.
   */
  void freezeThenSignal(Path cgroup) throws IOException {
    List<Long> pids = pids(cgroup);
    if (pids.isEmpty()) {
      return;
    }
    if (pids.contains(Processes.self())) {
      signalEach(cgroup);
      return;
    }
    Path freeze = cgroup.resolve("cgroup.freeze");
    write(freeze, "1");
    try {
      long deadline = System.nanoTime() + FREEZE_WAIT_NANOS;
      for (int attempt = 0; !frozen(cgroup) && Backoff.STANDARD.pause(attempt, deadline); attempt++) {
        // waits for the last process to stop
      }
      // Listed again until none is left (or a few rounds): a process not yet frozen when the list was read may have
      // forked since, and its child, frozen, is in the next list; a process with SIGKILL pending forks no more.
      for (int round = 0; round < KILL_ROUNDS; round++) {
        List<Long> left = pids(cgroup);
        if (left.isEmpty()) {
          break;
        }
        Processes.kill(left);
      }
    } finally {
      try {
        write(freeze, "0");
      } catch (NoSuchFileException e) {
        // The cgroup was removed meanwhile: nothing is left frozen.
      }
    }
  }

  /** How many times the processes of a frozen cgroup are listed and signalled before it is thawed. */
  static final int KILL_ROUNDS = 3;

  /** How long a freeze may take to reach every process before they are signalled anyway. */
  static final long FREEZE_WAIT_NANOS = 200_000_000L;

  private boolean frozen(Path cgroup) throws IOException {
    return get(KeyValues.parse(read(cgroup.resolve("cgroup.events"))), "frozen") == 1;
  }

  @Override
  public DrainResult drain(Path cgroup, long deadlineNanos) throws IOException {
    return drainVia(cgroup) == KernelInterfaces.Drain.RECLAIM ? drain(cgroup, deadlineNanos, this::reclaim)
        : drainThroughHigh(cgroup, deadlineNanos);
  }

  private void reclaim(Path cgroup, MemoryStats current) throws IOException {
    long bytes = Math.min(Math.max(current.pageCache(), 4096), RECLAIM_STEP_BYTES);
    try {
      write(cgroup.resolve("memory.reclaim"), Long.toString(bytes));
    } catch (CgroupIoException e) {
      // EAGAIN: the kernel reclaimed less than asked. That is partial success, measured by the caller.
      if (e.kind() != CgroupIoException.Kind.TRY_AGAIN) {
        throw e;
      }
    }
  }

  /**
   * The drain of a kernel without {@code memory.reclaim} (before 5.19): each step writes 0 to {@code memory.high},
   * whose write reclaims the cgroup down to the new value before it returns (up to 16 rounds of reclaim, fewer when
   * nothing more can go, such as dirty pages before the flusher writes them; the loop then waits for them as a reclaim
   * drain does). A zero {@code memory.max} would also reclaim but counts an {@code oom} event. Only in a cgroup with no
   * process, which a zero limit would throttle; the previous value is written back in any case.
   */
  DrainResult drainThroughHigh(Path cgroup, long deadlineNanos) throws IOException {
    List<Long> pids = pids(cgroup);
    if (!pids.isEmpty()) {
      throw new CgroupIoException("drain through memory.high", cgroup, "processes " + pids + " are still in it",
          CgroupIoException.Kind.OTHER, null);
    }
    Path high = cgroup.resolve("memory.high");
    String previous = read(high).trim();
    try {
      return drain(cgroup, deadlineNanos, (c, s) -> write(high, "0"));
    } finally {
      try {
        write(high, previous);
      } catch (NoSuchFileException e) {
        // Removed meanwhile: nothing to restore.
      }
    }
  }

  @Override
  String usageFile() {
    return "memory.current";
  }

  @Override
  public MemoryStats stats(Path cgroup) throws IOException {
    try (CgroupDirectory d = fs().directory(cgroup)) {
      return V2Stats.stats(d);
    }
  }

  @Override
  MemoryStats memoryStat(CgroupDirectory cgroup) throws IOException {
    return V2Stats.memoryStat(cgroup);
  }

  @Override
  MemorySample sample(CgroupDirectory d, Path cgroup) throws IOException {
    long cpuMicros = V2Stats.cpuMicros(d);
    // cpu.stat counts every task that ever ran in the cgroup; the process list is read only where it is missing.
    // Reading it has just flushed the statistics (see V2Stats.flushStats).
    return cpuMicros == UNKNOWN ? sampleWithPids(d, cgroup)
        : new MemorySample(V2Stats.memoryStatFlushed(d), Collections.<Long>emptyList(), cpuMicros);
  }

  /** The root's {@code cgroup.stat}: dying memory css where the kernel reports it (6.12+), else dying cgroups. */
  @Override
  public long dyingMemcgs() throws IOException {
    return dyingMemcgsUnder(mount().path());
  }

  @Override
  public Optional<Pressure> memoryPressure(Path cgroup) throws IOException {
    return V2Stats.memoryPressure(fs(), cgroup);
  }

  @Override
  public String oomKillsFile() {
    return "memory.events";
  }

  @Override
  public boolean oomKillsNotified() {
    return true;
  }

  @Override
  public long ownPageCache(Path cgroup) {
    return UNKNOWN;
  }

  @Override
  public long dyingMemcgsUnder(Path cgroup) throws IOException {
    return V2Stats.dyingMemcgs(fs().read(cgroup.resolve("cgroup.stat")));
  }
}
