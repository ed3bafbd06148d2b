package io.github.yarnmemcg.cgroup;

import static io.github.yarnmemcg.cgroup.AbstractCgroupDriver.get;
import static io.github.yarnmemcg.cgroup.AbstractCgroupDriver.readValue;
import static io.github.yarnmemcg.cgroup.MemoryStats.UNKNOWN;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How {@link V2Driver} reads a cgroup v2 memory cgroup's figures: {@code memory.stat}, {@code memory.events}, the
 * one-value files, and {@code cpu.stat}, which is read first to flush the kernel's per-CPU statistics; its memory
 * pressure and its dying descendants. Apart from the driver because a reading has a kernel story of its own (when
 * the statistics are current) that nothing which writes a cgroup needs.
 */
final class V2Stats {
  private V2Stats() {}

  /** Every figure of {@link MemoryStats}, for the report of one cgroup. */
  static MemoryStats stats(CgroupDirectory d) throws IOException {
    Map<String, Long> events = KeyValues.parse(d.read("memory.events"));
    flushStats(d);
    return fromStat(d.read("memory.stat"))
        .swap(readValue(d, "memory.swap.current"))
        .usage(readValue(d, "memory.current"))
        .peak(readValue(d, "memory.peak"))
        .limit(readValue(d, "memory.max"))
        .limitHits(get(events, "max"))
        .oom(get(events, "oom"))
        .oomKill(get(events, "oom_kill"))
        .build();
  }

  /** The {@code memory.stat} counters and swap, the statistics flushed first. */
  static MemoryStats memoryStat(CgroupDirectory cgroup) throws IOException {
    flushStats(cgroup);
    return memoryStatFlushed(cgroup);
  }

  /** The {@code memory.stat} counters and swap, right after something flushed the statistics. */
  static MemoryStats memoryStatFlushed(CgroupDirectory cgroup) throws IOException {
    return fromStat(cgroup.read("memory.stat")).swap(readValue(cgroup, "memory.swap.current")).build();
  }

  /**
   * The CPU time of every task that ever ran in the cgroup ({@code usage_usec} of {@code cpu.stat}), or
   * {@link MemoryStats#UNKNOWN} without the file; reading it flushes the statistics, as {@link #flushStats} does.
   */
  static long cpuMicros(CgroupDirectory d) throws IOException {
    try {
      return KeyValues.select(d.read("cpu.stat"), "usage_usec")[0];
    } catch (NoSuchFileException e) {
      return UNKNOWN;
    }
  }

  /**
   * Reads the cgroup's {@code cpu.stat} (a core file of every non-root v2 cgroup) for its side effect: where one
   * rstat tree serves every controller (6.1), its reader flushes the per-CPU counts of the cgroup's subtree, memory's
   * included, through {@code cgroup_rstat_flush_hold()}, which waits for the rstat lock; so the {@code memory.stat}
   * read next is current. {@code memory.stat} alone is not on 6.1: its {@code mem_cgroup_flush_stats()} flushes only
   * past a global count of updates and returns at once when another CPU holds {@code stats_flush_lock} (a trylock,
   * mm/memcontrol.c). A drain that read a file deleted a moment before as still cached counted it as evicted once its
   * reclaim found nothing: measured in a 6.1 guest with 8 readers of 8 cgroups started together just after their 8
   * MiB files were deleted, 6 readings in 1280 still showed the 8 MiB, none in 320 with this read first. Where each
   * controller has its own tree (7.3) this flushes CPU time only, and there {@code memory.stat} itself waits for the
   * lock, skipping its flush only below a small per-memcg count of updates. Without the file (a cgroup removed
   * meanwhile) the {@code memory.stat} read reports it.
   */
  private static void flushStats(CgroupDirectory cgroup) throws IOException {
    try {
      cgroup.read("cpu.stat");
    } catch (NoSuchFileException e) {
      // Nothing to flush through: memory.stat is read as it is.
    }
  }

  /** The counters of {@code memory.stat}; v2 keeps swap in a file of its own. */
  private static MemoryStats.Builder fromStat(String memoryStat) {
    long[] v = KeyValues.select(memoryStat, STAT_KEYS);
    return MemoryStats.builder().anon(v[0]).file(v[1]).shmem(v[2]).mappedFile(v[3]).activeFile(v[4])
        .inactiveFile(v[5]).dirty(v[6]).writeback(v[7]);
  }

  /** The {@code memory.stat} keys of anon, file, shmem, mapped, active and inactive file, dirty, writeback. */
  private static final String[] STAT_KEYS = {"anon", "file", "shmem", "file_mapped", "active_file", "inactive_file",
      "file_dirty", "file_writeback"};

  /** The cgroup's memory pressure, or empty without PSI for cgroups. */
  static Optional<Pressure> memoryPressure(CgroupFs fs, Path cgroup) throws IOException {
    try {
      return Pressure.parse(fs.read(cgroup.resolve("memory.pressure")));
    } catch (NoSuchFileException | CgroupIoException e) {
      // No PSI in this kernel or the cgroup is gone (ENOENT), or psi=0 on the command line (the file exists and
      // reading it fails with EOPNOTSUPP): either way there is no figure.
      return Optional.empty();
    }
  }

  /** From {@code cgroup.stat}: dying memory css where the kernel reports them (6.12+), else dying cgroups. */
  static long dyingMemcgs(String cgroupStat) {
    Map<String, Long> stat = KeyValues.parse(cgroupStat);
    long memory = get(stat, "nr_dying_subsys_memory");
    return memory != UNKNOWN ? memory : get(stat, "nr_dying_descendants");
  }
}
