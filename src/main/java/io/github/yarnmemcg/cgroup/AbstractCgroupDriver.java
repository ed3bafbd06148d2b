package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What both cgroup versions do the same way, through the one door to cgroupfs: pids, kill, rmdir, drain loop. */
abstract class AbstractCgroupDriver implements CgroupDriver {

  private final MemoryMount mount;
  private final CgroupFs fs;
  private volatile PrivilegedKill otherUsers;

  AbstractCgroupDriver(MemoryMount mount, CgroupFs fs) {
    this.mount = mount;
    this.fs = fs;
  }

  @Override
  public MemoryMount mount() {
    return mount;
  }

  @Override
  public CgroupFs fs() {
    return fs;
  }

  /**
   * The figures of a drain step, bounded by the kernel's charge counter ({@code memory.current},
   * {@code memory.usage_in_bytes}) where it reads less than {@code memory.stat} shows page cache. That counter is the
   * page counter every charge goes through, exact once the per-CPU charge caches are drained (a {@code memory.high}
   * write and {@code memory.force_empty} drain them); {@code memory.stat} before Linux 5.13 folds each CPU's changes
   * in only past 32 pages and never on a timer, so an idle drained cgroup can show up to 32 pages per CPU that are
   * gone. Measured on 5.10 (v2): 132 KiB of file in {@code memory.stat} for as long as it was read, with
   * {@code memory.current} at 0, or at 4 KiB (a page of kernel objects the container left, which does not hold a
   * removed memcg there) that no reclaim lowered. So: a counter at 0 means nothing is charged; a counter below the
   * statistics bounds the page cache; and when such a counter did not move across a reclaim step, what it still counts
   * is not page cache the drain can free, and the drain is over.
   */
  static MemoryStats boundedByCharge(MemoryStats s, long charge, long previousCharge) {
    if (s.pageCache() <= 0 || charge == MemoryStats.UNKNOWN) {
      return s;
    }
    if (charge == 0) {
      return s.withNothingCharged();
    }
    if (charge >= s.pageCache()) {
      return s;
    }
    return s.withPageCacheAtMost(charge == previousCharge ? 0 : charge);
  }

  /**
   * Whether {@link #charge} also counts kernel memory, so that a charge no reclaim lowers may be kernel objects rather
   * than pages (v2); where it counts user pages only (v1), such a charge is pages, which the drain keeps waiting for.
   */
  boolean chargeCountsKernelMemory() {
    return true;
  }

  /** The cgroup's charge counter, or {@link MemoryStats#UNKNOWN} without one. */
  long charge(Path cgroup) throws IOException {
    try {
      return KeyValues.parseValue(read(cgroup.resolve(usageFile())));
    } catch (NoSuchFileException e) {
      return MemoryStats.UNKNOWN;
    }
  }

  /** One reclaim call; EAGAIN/EBUSY-style partial results must not throw. */
  interface DrainStep {
    void reclaim(Path cgroup, MemoryStats current) throws IOException;
  }

  @Override
  public boolean create(Path cgroup) throws IOException {
    return fs.mkdir(cgroup);
  }
  @Override
  public Path procsFile(Path cgroup) {
    return cgroup.resolve("cgroup.procs");
  }

  @Override
  public void addProcess(Path cgroup, long pid) throws IOException {
    write(procsFile(cgroup), Long.toString(pid));
  }

  @Override
  public List<Long> pids(Path cgroup) throws IOException {
    try (CgroupDirectory d = fs.directory(cgroup)) {
      return pids(d, cgroup);
    } catch (NoSuchFileException e) {
      return new ArrayList<>();
    }
  }

  private List<Long> pids(CgroupDirectory d, Path cgroup) throws IOException {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : d.read("cgroup.procs").split("\n")) {
        if (!line.trim().isEmpty()) {
          pids.add(Long.parseLong(line.trim()));
        }
      }
    } catch (NoSuchFileException e) {
      return new ArrayList<>();
    } catch (NumberFormatException e) {
      throw new IOException("unexpected content in " + procsFile(cgroup) + ": " + e.getMessage(), e);
    }
    return pids;
  }

  /** The {@code memory.stat} counters of an open cgroup directory. */
  abstract MemoryStats memoryStat(CgroupDirectory cgroup) throws IOException;

  @Override
  public MemoryStats memoryStat(Path cgroup) throws IOException {
    try (CgroupDirectory d = fs.directory(cgroup)) {
      return memoryStat(d);
    }
  }

  @Override
  public MemoryStats memoryStat(CgroupFs.Located cgroup) throws IOException {
    try (CgroupDirectory d = fs.directory(cgroup)) {
      return memoryStat(d);
    }
  }

  @Override
  public MemorySample sample(CgroupFs.Located cgroup) throws IOException {
    try (CgroupDirectory d = fs.directory(cgroup)) {
      return sample(d, cgroup.path());
    }
  }

  /** The file of the cgroup's memory use now. */
  abstract String usageFile();

  @Override
  public long usage(CgroupFs.Located cgroup) throws IOException {
    try (CgroupDirectory d = fs.directory(cgroup)) {
      return KeyValues.parseValue(d.read(usageFile()));
    }
  }

  /** The monitor's reading of an open cgroup directory. */
  abstract MemorySample sample(CgroupDirectory d, Path cgroup) throws IOException;

  /** The processes of an open cgroup directory, for a {@link MemorySample} that counts CPU per process. */
  MemorySample sampleWithPids(CgroupDirectory d, Path cgroup) throws IOException {
    return new MemorySample(memoryStat(d), pids(d, cgroup), MemoryStats.UNKNOWN);
  }

  @Override
  public void signalKill(Path cgroup) throws IOException {
    signalEach(cgroup);
  }

  @Override
  public void killOtherUsersThrough(PrivilegedKill kill) {
    this.otherUsers = kill;
  }

  /**
   * SIGKILL to each process listed now (not this JVM); children forked after the listing are not among them. A
   * process of another user, which the kernel does not let a NodeManager that is not root signal, is signalled
   * through the {@link PrivilegedKill} when one is installed.
   */
  void signalEach(Path cgroup) throws IOException {
    List<Long> pids = pids(cgroup);
    pids.remove(Processes.self());
    Processes.kill(pids);
    PrivilegedKill privileged = otherUsers;
    if (privileged != null) {
      for (long pid : pids) {
        Optional<String> user = Processes.foreignOwner(pid);
        if (user.isPresent()) {
          privileged.kill(pid, user.get());
        }
      }
    }
  }

  @Override
  public boolean killAll(Path cgroup, long deadlineNanos) throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (pids(cgroup).isEmpty()) {
        return true;
      }
      signalKill(cgroup);
      if (!Backoff.STANDARD.pause(attempt, deadlineNanos)) {
        return pids(cgroup).isEmpty();
      }
    }
  }

  /** Reclaims with {@code step} until no page cache is left or the deadline passes (see {@link #drain}). */
  DrainResult drain(Path cgroup, long deadlineNanos, DrainStep step) throws IOException {
    long start = System.nanoTime();
    MemoryStats s = memoryStat(cgroup);
    long before = s.pageCache();
    int steps = 0;
    int stalls = 0;
    long charge = MemoryStats.UNKNOWN;
    while (s.pageCache() > 0) {
      long previous = s.pageCache();
      step.reclaim(cgroup, s);
      steps++;
      s = memoryStat(cgroup);
      long previousCharge = charge;
      charge = s.pageCache() > 0 ? charge(cgroup) : MemoryStats.UNKNOWN;
      s = boundedByCharge(s, charge, chargeCountsKernelMemory() ? previousCharge : MemoryStats.UNKNOWN);
      // Pages the flusher has not cleaned yet cannot go: wait for it rather than spin on the kernel.
      if (s.pageCache() > 0 && s.pageCache() >= previous && !Backoff.STANDARD.pause(stalls++, deadlineNanos)) {
        break;
      }
      if (System.nanoTime() - deadlineNanos > 0) {
        break;
      }
    }
    return new DrainResult(before, s.pageCache(), steps, System.nanoTime() - start, s);
  }

  @Override
  public int delete(Path cgroup, long deadlineNanos) throws IOException {
    for (int retries = 0; ; retries++) {
      try {
        fs.rmdir(cgroup);
        return retries;
      } catch (NoSuchFileException e) {
        return retries;
      } catch (CgroupIoException e) {
        throw e;
      } catch (IOException e) {
        // Permission and absence are ruled out by the exception's class; cgroupfs then refuses rmdir only with
        // EBUSY (processes, exiting tasks or child cgroups still inside), which clears: retried while the
        // directory is still there, re-read each time. The JDK's message is translated, so it is never compared.
        CgroupIoException err = CgroupIoException.of("rmdir (after " + retries + " retries)", cgroup, e);
        if (err.kind() == CgroupIoException.Kind.PERMISSION_DENIED) {
          throw err;
        }
        if (!fs.isDirectory(cgroup)) {
          return retries;
        }
        if (!Backoff.STANDARD.pause(retries, deadlineNanos)) {
          throw err;
        }
      }
    }
  }

  void write(Path file, String value) throws IOException {
    fs.write(file, value);
  }

  String read(Path file) throws IOException {
    return fs.read(file);
  }

  /** A single-value file, or {@link MemoryStats#UNKNOWN} when this kernel does not have it. */
  static long readValue(CgroupDirectory cgroup, String file) throws IOException {
    try {
      return KeyValues.parseValue(cgroup.read(file));
    } catch (NoSuchFileException e) {
      return MemoryStats.UNKNOWN;
    }
  }

  static long get(java.util.Map<String, Long> values, String key) {
    return values.getOrDefault(key, MemoryStats.UNKNOWN);
  }
}
