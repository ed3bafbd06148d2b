package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupIoException;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.DrainResult;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemorySample;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.PrivilegedKill;
import io.github.yarnmemcg.cgroup.Pressure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * A stand-in for the kernel, for unit tests of the lifecycle's logic: a {@link CgroupDriver} that holds each cgroup's
 * contents in memory, as the test sets them (processes, clean, dirty, writeback and pinned page cache, shmem, active
 * file pages, an rmdir that meets EBUSY), fails the calls the test names with the errno kind it names, and records
 * every call made, with the value written and the processes present then. It models no kernel: a drain frees the
 * clean pages at once and nothing else, a kill empties the cgroup unless told it survives, rmdir of a cgroup with
 * processes is EBUSY. The cgroups are plain directories under a test's temporary directory, reached through
 * {@link CgroupFs#standIn}, because the lifecycle asks the door whether a cgroup still exists. What the real kernel
 * does is the ITs' to prove.
 */
public final class StandInDriver implements CgroupDriver {

  /** The calls a test can see and make fail. */
  public enum Op {
    CREATE, KILL, SIGNAL_KILL, DRAIN, DELETE, SET_LIMITS, SET_HARD_LIMIT, SET_SOFT_LIMIT, SET_THROTTLE_LIMIT,
    SET_SWAPPINESS, SET_OOM_KILLS_ALL, MEMORY_STAT, STATS
  }

  /**
   * One call as the stand-in saw it.
   *
   * @param value the bytes written, or the deadline of a kill, drain or delete; -1 for a read
   * @param processes how many processes were in the cgroup when it was called
   * @param at when, on the test's clock
   */
  public record Call(Op op, Path cgroup, long value, int processes, long at) {}

  /** What one cgroup holds: set by the test, changed by the calls. */
  public static final class Cgroup {
    private final List<Long> pids = new ArrayList<>();
    private long clean;
    private long dirty;
    private long writeback;
    private long pinned;
    private long shmem;
    private long anon;
    private long activeFile;
    private boolean survivesKill;
    private int busyRmdirs;
    private long softLimit = -1;

    public synchronized Cgroup processes(long... ids) {
      pids.clear();
      for (long id : ids) {
        pids.add(id);
      }
      return this;
    }

    /** Clean page cache, which a drain frees. */
    public synchronized Cgroup pageCache(long bytes) {
      clean = bytes;
      return this;
    }

    /** Dirty page cache: no drain frees it before {@link #flush}. */
    public synchronized Cgroup dirty(long bytes) {
      dirty = bytes;
      return this;
    }

    /** Page cache under writeback: no drain frees it before {@link #flush}. */
    public synchronized Cgroup writeback(long bytes) {
      writeback = bytes;
      return this;
    }

    /** Page cache no drain frees (a journal holds it, another process maps it). */
    public synchronized Cgroup pinned(long bytes) {
      pinned = bytes;
      return this;
    }

    public synchronized Cgroup shmem(long bytes) {
      shmem = bytes;
      return this;
    }

    public synchronized Cgroup anon(long bytes) {
      anon = bytes;
      return this;
    }

    /** File pages on the active list: growing, they say someone read the pages again. */
    public synchronized Cgroup activeFile(long bytes) {
      activeFile = bytes;
      return this;
    }

    /** A kill leaves the processes in place (stuck in the kernel, say). */
    public synchronized Cgroup survivesKill(boolean survives) {
      survivesKill = survives;
      return this;
    }

    /**
     * The next {@code n} rmdirs meet EBUSY: one delete retries through them and returns their count, as the real
     * driver does within its deadline; {@link Integer#MAX_VALUE} makes every delete fail.
     */
    public synchronized Cgroup busyRmdirs(int n) {
      busyRmdirs = n;
      return this;
    }

    /** The flusher writes the dirty and writeback pages: they become clean. */
    public synchronized Cgroup flush() {
      clean += dirty + writeback;
      dirty = 0;
      writeback = 0;
      return this;
    }

    /** Page cache of every kind, shmem apart. */
    public synchronized long pageCache() {
      return clean + dirty + writeback + pinned;
    }

    public synchronized long softLimit() {
      return softLimit;
    }

    public synchronized List<Long> pids() {
      return new ArrayList<>(pids);
    }

    synchronized MemoryStats stats() {
      long file = pageCache() + shmem;
      long active = Math.min(activeFile, file);
      return MemoryStats.builder().anon(anon).file(file).shmem(shmem).mappedFile(0).activeFile(active)
          .inactiveFile(file - active).dirty(dirty).writeback(writeback).swap(0).usage(anon + file)
          .limitHits(0).oom(0).oomKill(0).build();
    }
  }

  private record Fault(Op op, Path cgroup, CgroupIoException.Kind kind) {}

  private final MemoryMount mount;
  private final CgroupFs fs;
  private final LongSupplier clock;
  private final Map<Path, Cgroup> cgroups = new HashMap<>();
  private final List<Call> calls = new ArrayList<>();
  private final Map<Fault, Integer> faults = new HashMap<>();

  /**
   * Cgroups of this version, as directories under {@code directory} (a test's temporary directory), with calls timed
   * by {@code clock} (the test's, which deadlines passed in are read against).
   */
  public StandInDriver(Path directory, CgroupVersion version, LongSupplier clock) {
    this.mount = new MemoryMount(directory.toAbsolutePath().normalize(), version);
    this.fs = CgroupFs.standIn(directory);
    this.clock = clock;
  }

  /** The cgroup at this path, created as a directory (with its parents) if it is not there yet. */
  public synchronized Cgroup cgroup(Path path) throws IOException {
    Path p = normal(path);
    if (!fs.isDirectory(p)) {
      Files.createDirectories(p);
    }
    return cgroups.computeIfAbsent(p, k -> new Cgroup());
  }

  /** Makes the next {@code times} calls of {@code op} on the cgroup fail with this kind of refusal. */
  public synchronized void fail(Op op, Path cgroup, CgroupIoException.Kind kind, int times) {
    faults.put(new Fault(op, normal(cgroup), kind), times);
  }

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return new ArrayList<>(calls);
  }

  /** The calls of this kind so far, in order. */
  public synchronized List<Call> calls(Op op) {
    return calls.stream().filter(c -> c.op() == op).toList();
  }

  /** Forgets the calls so far. */
  public synchronized void clearCalls() {
    calls.clear();
  }

  private static Path normal(Path p) {
    return p.toAbsolutePath().normalize();
  }

  /** Records the call, then throws if the test made it fail. */
  private Cgroup call(Op op, Path cgroup, long value) throws IOException {
    Path p = normal(cgroup);
    Cgroup c = cgroups.get(p);
    calls.add(new Call(op, p, value, c == null ? 0 : c.pids().size(), clock.getAsLong()));
    for (Map.Entry<Fault, Integer> f : faults.entrySet()) {
      if (f.getKey().op() == op && f.getKey().cgroup().equals(p) && f.getValue() > 0) {
        f.setValue(f.getValue() == Integer.MAX_VALUE ? Integer.MAX_VALUE : f.getValue() - 1);
        throw new CgroupIoException(op.name().toLowerCase(Locale.ROOT), p, "refused by the stand-in", f.getKey().kind(), null);
      }
    }
    return c;
  }

  private Cgroup existing(Op op, Path cgroup, long value) throws IOException {
    Cgroup c = call(op, cgroup, value);
    if (c == null || !fs.isDirectory(normal(cgroup))) {
      throw new NoSuchFileException(cgroup.toString());
    }
    return c;
  }

  @Override
  public MemoryMount mount() {
    return mount;
  }

  @Override
  public CgroupFs fs() {
    return fs;
  }

  @Override
  public synchronized boolean create(Path cgroup) throws IOException {
    call(Op.CREATE, cgroup, -1);
    boolean made = fs.mkdir(normal(cgroup));
    cgroups.computeIfAbsent(normal(cgroup), k -> new Cgroup());
    return made;
  }

  @Override
  public void enableMemoryForChildren(Path cgroup) {}

  @Override
  public boolean memoryEnabledForChildren(Path cgroup) {
    return true;
  }

  @Override
  public synchronized void setHardLimit(Path cgroup, long bytes) throws IOException {
    existing(Op.SET_HARD_LIMIT, cgroup, bytes);
  }

  @Override
  public synchronized void setLimits(Path cgroup, long hardBytes, long swapBytes) throws IOException {
    existing(Op.SET_LIMITS, cgroup, hardBytes);
  }

  @Override
  public boolean swapLimited(Path cgroup) {
    return true;
  }

  @Override
  public synchronized void setSoftLimit(Path cgroup, long bytes) throws IOException {
    Cgroup c = existing(Op.SET_SOFT_LIMIT, cgroup, bytes);
    synchronized (c) {
      c.softLimit = bytes;
    }
  }

  @Override
  public synchronized void setThrottleLimit(Path cgroup, long bytes) throws IOException {
    existing(Op.SET_THROTTLE_LIMIT, cgroup, bytes);
  }

  @Override
  public synchronized void setSwappiness(Path cgroup, int swappiness) throws IOException {
    existing(Op.SET_SWAPPINESS, cgroup, swappiness);
  }

  @Override
  public synchronized void setOomKillsAll(Path cgroup) throws IOException {
    existing(Op.SET_OOM_KILLS_ALL, cgroup, 1);
  }

  @Override
  public Path procsFile(Path cgroup) {
    return cgroup.resolve("cgroup.procs");
  }

  @Override
  public synchronized void addProcess(Path cgroup, long pid) throws IOException {
    Cgroup c = cgroups.get(normal(cgroup));
    if (c == null) {
      throw new NoSuchFileException(cgroup.toString());
    }
    synchronized (c) {
      c.pids.add(pid);
    }
  }

  @Override
  public synchronized List<Long> pids(Path cgroup) {
    Cgroup c = cgroups.get(normal(cgroup));
    return c == null || !fs.isDirectory(normal(cgroup)) ? List.of() : c.pids();
  }

  @Override
  public KernelInterfaces interfaces(Path cgroup) {
    return KernelInterfaces.of(KernelInterfaces.Drain.RECLAIM, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.OFF);
  }

  @Override
  public synchronized void signalKill(Path cgroup) throws IOException {
    Cgroup c = existing(Op.SIGNAL_KILL, cgroup, -1);
    synchronized (c) {
      if (!c.survivesKill) {
        c.pids.clear();
      }
    }
  }

  /** The stand-in's processes have no owner: every kill succeeds or fails as the test set it. */
  @Override
  public void killOtherUsersThrough(PrivilegedKill kill) {
  }

  @Override
  public synchronized boolean killAll(Path cgroup, long deadlineNanos) throws IOException {
    Cgroup c = call(Op.KILL, cgroup, deadlineNanos);
    if (c == null) {
      return true;
    }
    synchronized (c) {
      if (!c.survivesKill) {
        c.pids.clear();
      }
      return c.pids.isEmpty();
    }
  }

  @Override
  public synchronized DrainResult drain(Path cgroup, long deadlineNanos) throws IOException {
    Cgroup c = existing(Op.DRAIN, cgroup, deadlineNanos);
    synchronized (c) {
      long before = c.pageCache();
      c.clean = 0;
      return new DrainResult(before, c.pageCache(), 1, 0, c.stats());
    }
  }

  @Override
  public synchronized int delete(Path cgroup, long deadlineNanos) throws IOException {
    Cgroup c = call(Op.DELETE, cgroup, deadlineNanos);
    Path p = normal(cgroup);
    if (!fs.isDirectory(p)) {
      return 0;
    }
    if (c != null) {
      synchronized (c) {
        if (!c.pids.isEmpty() || c.busyRmdirs == Integer.MAX_VALUE) {
          throw new CgroupIoException("rmdir", p, "Device or resource busy", CgroupIoException.Kind.OTHER, null);
        }
      }
    }
    fs.rmdir(p);
    cgroups.remove(p);
    int retries = c == null ? 0 : c.busyRmdirs;
    if (c != null) {
      c.busyRmdirs = 0;
    }
    return retries;
  }

  @Override
  public synchronized MemoryStats stats(Path cgroup) throws IOException {
    return existing(Op.STATS, cgroup, -1).stats();
  }

  @Override
  public synchronized MemoryStats memoryStat(Path cgroup) throws IOException {
    return existing(Op.MEMORY_STAT, cgroup, -1).stats();
  }

  @Override
  public MemoryStats memoryStat(CgroupFs.Located cgroup) throws IOException {
    return memoryStat(cgroup.path());
  }

  @Override
  public long usage(CgroupFs.Located cgroup) throws IOException {
    return memoryStat(cgroup.path()).usage();
  }

  @Override
  public MemorySample sample(CgroupFs.Located cgroup) throws IOException {
    return new MemorySample(memoryStat(cgroup.path()), pids(cgroup.path()), MemoryStats.UNKNOWN);
  }

  @Override
  public Optional<Pressure> memoryPressure(Path cgroup) {
    return Optional.empty();
  }

  @Override
  public String oomKillsFile() {
    return mount.version() == CgroupVersion.V2 ? "memory.events" : "memory.oom_control";
  }

  @Override
  public boolean oomKillsNotified() {
    return false;
  }

  @Override
  public long ownPageCache(Path cgroup) {
    return MemoryStats.UNKNOWN;
  }

  @Override
  public synchronized long unreclaimable(Path cgroup) {
    Path p = normal(cgroup);
    long sum = 0;
    for (Map.Entry<Path, Cgroup> e : cgroups.entrySet()) {
      if (e.getKey().startsWith(p)) {
        synchronized (e.getValue()) {
          sum += e.getValue().anon + e.getValue().shmem;
        }
      }
    }
    return sum;
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
  public long dyingMemcgs() {
    return 0;
  }

  @Override
  public long dyingMemcgsUnder(Path cgroup) {
    return mount.version() == CgroupVersion.V2 ? 0 : MemoryStats.UNKNOWN;
  }
}
