package io.github.yarnmemcg.cgroup;

import static io.github.yarnmemcg.cgroup.MemoryStats.UNKNOWN;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Optional;

/** The cgroup v1 memory controller: {@code memory.*} files of the legacy hierarchy. */
public final class V1Driver extends AbstractCgroupDriver {

  static final Path PROC_CGROUPS = Paths.get("/proc/cgroups");

  V1Driver(MemoryMount mount, CgroupFs fs) {
    super(mount, fs);
  }

  @Override
  public void enableMemoryForChildren(Path cgroup) {
    // v1 hierarchies have every controller of the mount in every cgroup.
  }

  @Override
  public boolean memoryEnabledForChildren(Path cgroup) {
    return true;
  }

  @Override
  public void setHardLimit(Path cgroup, long bytes) throws IOException {
    write(cgroup.resolve("memory.limit_in_bytes"), Long.toString(bytes));
  }

  /** What memsw's limit has above memory's and the swap's: one page. */
  static final long MEMSW_HEADROOM = 4096;

  @Override
  public void setLimits(Path cgroup, long hardBytes, long swapBytes) throws IOException {
    if (!swapLimited(cgroup)) {
      setHardLimit(cgroup, hardBytes);
      return;
    }
    Path memsw = cgroup.resolve("memory.memsw.limit_in_bytes");
    boolean unlimited = hardBytes == Long.MAX_VALUE || swapBytes == Long.MAX_VALUE
        || hardBytes > Long.MAX_VALUE - swapBytes - MEMSW_HEADROOM;
    // One page above memory plus swap, so that the memory limit is the one the kernel meets first: at equal limits
    // it meets memsw's, and memory.failcnt (the container's "limit hit" count) stays 0 (measured on 6.18).
    String both = unlimited ? "-1" : Long.toString(hardBytes + swapBytes + MEMSW_HEADROOM);
    // The kernel refuses memsw below the memory limit (EINVAL) at every write: raise memsw first, lower it last.
    long current = Long.parseLong(read(cgroup.resolve("memory.limit_in_bytes")).trim());
    if (hardBytes > current) {
      write(memsw, both);
      setHardLimit(cgroup, hardBytes);
    } else {
      setHardLimit(cgroup, hardBytes);
      write(memsw, both);
    }
  }

  @Override
  public boolean swapLimited(Path cgroup) {
    return fs().exists(cgroup.resolve("memory.memsw.limit_in_bytes"));
  }

  @Override
  public void setSoftLimit(Path cgroup, long bytes) throws IOException {
    write(cgroup.resolve("memory.soft_limit_in_bytes"), Long.toString(bytes));
  }

  @Override
  public void setThrottleLimit(Path cgroup, long bytes) {
    // v1 has no throttle limit; its soft limit only orders reclaim under global pressure.
  }

  @Override
  public void setSwappiness(Path cgroup, int swappiness) throws IOException {
    write(cgroup.resolve("memory.swappiness"), Integer.toString(swappiness));
  }

  @Override
  public void setOomKillsAll(Path cgroup) {
    // cgroup v1 has no group OOM kill: the kernel kills the largest task and the container decides the rest.
  }

  @Override
  public DrainResult drain(Path cgroup, long deadlineNanos) throws IOException {
    return drain(cgroup, deadlineNanos, this::forceEmpty);
  }

  private void forceEmpty(Path cgroup, MemoryStats current) throws IOException {
    try {
      write(cgroup.resolve("memory.force_empty"), "0");
    } catch (CgroupIoException e) {
      // Current kernels end force_empty early only on a signal (EINTR), older ones with EBUSY while tasks leave:
      // whatever the errno, the caller re-reads memory.stat, measures progress and retries within its deadline.
      if (e.kind() == CgroupIoException.Kind.PERMISSION_DENIED) {
        throw e;
      }
    }
  }

  /**
   * v1 always drains with {@code memory.force_empty} and keeps its own high mark; its freezer is a hierarchy of its own,
   * so processes are killed one by one; PSI is not per cgroup there.
   */
  @Override
  public KernelInterfaces interfaces(Path cgroup) {
    return KernelInterfaces.of(KernelInterfaces.Drain.FORCE_EMPTY, KernelInterfaces.Kill.SIGNAL_EACH,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.NOT_ON_V1);
  }

  /**
   * User pages only: v1 counts kernel memory apart as well ({@code memory.kmem.usage_in_bytes}, where the kernel has
   * it), and kernel objects a finished container left (its files' inodes and dentries) do not hold a removed memcg,
   * while its pages do: a drain is over when no user page is charged.
   */
  @Override
  long charge(Path cgroup) throws IOException {
    long usage = super.charge(cgroup);
    if (usage == UNKNOWN || usage == 0) {
      return usage;
    }
    try {
      return Math.max(0, usage - KeyValues.parseValue(read(cgroup.resolve("memory.kmem.usage_in_bytes"))));
    } catch (java.nio.file.NoSuchFileException e) {
      // A kernel without kernel memory accounting apart: the whole usage bounds the pages.
      return usage;
    }
  }

  /**
   * User pages only (kernel memory is counted apart, {@code memory.kmem.usage_in_bytes}); on a kernel without that
   * file the usage includes kernel memory, and the drain then waits for what it cannot tell apart: the safe side.
   */
  @Override
  boolean chargeCountsKernelMemory() {
    return false;
  }

  @Override
  String usageFile() {
    return "memory.usage_in_bytes";
  }

  @Override
  public MemoryStats stats(Path cgroup) throws IOException {
    try (CgroupDirectory d = fs().directory(cgroup)) {
      Map<String, Long> oom = KeyValues.parse(d.read("memory.oom_control"));
      // v1 counts no OOM events apart from the kills: oom stays unknown.
      return fromStat(d.read("memory.stat"))
          .usage(readValue(d, "memory.usage_in_bytes"))
          .peak(readValue(d, "memory.max_usage_in_bytes"))
          .limit(readValue(d, "memory.limit_in_bytes"))
          .limitHits(limitHits(readValue(d, "memory.failcnt"), readValue(d, "memory.memsw.failcnt")))
          .oomKill(get(oom, "oom_kill"))
          .build();
    }
  }

  @Override
  MemoryStats memoryStat(CgroupDirectory cgroup) throws IOException {
    return fromStat(cgroup.read("memory.stat")).build();
  }

  @Override
  MemorySample sample(CgroupDirectory d, Path cgroup) throws IOException {
    return sampleWithPids(d, cgroup);
  }

  /**
   * Times the cgroup hit a limit: memory's, and memory plus swap's where the kernel counts those (a container allowed
   * swap can meet that one first; at swap-percent 0 memsw sits one page above memory, so memory's is met first).
   */
  static long limitHits(long memory, long memoryAndSwap) {
    if (memory == UNKNOWN) {
      return memoryAndSwap;
    }
    return memoryAndSwap == UNKNOWN ? memory : memory + memoryAndSwap;
  }

  /** The counters of {@code memory.stat}, swap included on v1. */
  private static MemoryStats.Builder fromStat(String memoryStat) {
    long[] v = KeyValues.select(memoryStat, STAT_KEYS);
    return MemoryStats.builder().anon(v[0]).file(v[1]).shmem(v[2]).mappedFile(v[3]).activeFile(v[4])
        .inactiveFile(v[5]).dirty(v[6]).writeback(v[7]).swap(v[8]);
  }

  /** The {@code memory.stat} keys of anon, file, shmem, mapped, active and inactive file, dirty, writeback, swap. */
  private static final String[] STAT_KEYS = {"rss", "cache", "shmem", "mapped_file", "active_file", "inactive_file",
      "dirty", "writeback", "swap"};

  @Override
  public long unreclaimable(Path cgroup) throws IOException {
    long[] v = KeyValues.select(read(cgroup.resolve("memory.stat")), "total_rss", "total_shmem");
    return Math.max(0, v[0]) + Math.max(0, v[1]);
  }

  @Override
  public boolean underOom(Path cgroup) throws IOException {
    Long under = KeyValues.parse(read(cgroup.resolve("memory.oom_control"))).get("under_oom");
    return under != null && under == 1;
  }

  @Override
  public boolean holdOffOomKiller(Path cgroup, boolean holdOff) throws IOException {
    write(cgroup.resolve("memory.oom_control"), holdOff ? "1" : "0");
    return true;
  }

  /** v1 memory cgroups have no pressure file (PSI is a cgroup v2 interface). */
  @Override
  public Optional<Pressure> memoryPressure(Path cgroup) {
    return Optional.empty();
  }

  @Override
  public String oomKillsFile() {
    return "memory.oom_control";
  }

  @Override
  public boolean oomKillsNotified() {
    return false;
  }

  /** v1's {@code memory.stat} counters without the {@code total_} prefix are the cgroup's own. */
  @Override
  public long ownPageCache(Path cgroup) throws IOException {
    return memoryStat(cgroup).file();
  }

  @Override
  public long dyingMemcgsUnder(Path cgroup) {
    return UNKNOWN;
  }

  /** v1 has no dying count: the kernel's memory cgroup count in /proc/cgroups minus the live directories. */
  @Override
  public long dyingMemcgs() throws IOException {
    long total = MemoryStats.UNKNOWN;
    // procfs, not cgroupfs: the kernel's count of memory cgroups, live and dying.
    String procCgroups = new String(Files.readAllBytes(PROC_CGROUPS), StandardCharsets.US_ASCII);
    for (String line : procCgroups.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].equals("memory")) {
        total = Long.parseLong(f[2]);
      }
    }
    if (total == MemoryStats.UNKNOWN) {
      throw new IOException(PROC_CGROUPS + " has no memory controller line");
    }
    return total - fs().countDirectories(mount().path());
  }
}
