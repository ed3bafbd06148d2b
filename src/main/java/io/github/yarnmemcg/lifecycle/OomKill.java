package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.MemoryStats;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import org.apache.commons.io.FileUtils;

/**
 * Kernel OOM kills in a running container, as {@link OomWatcher} learned of them: how many since the last report, the
 * count so far, and the container's memory figures read at that moment.
 */
public final class OomKill {

  private final String containerId;
  private final Path cgroup;
  private final long newKills;
  private final long totalKills;
  private final MemoryStats stats;
  private final Instant seenAt;
  private final long seenAtNanos;

  OomKill(String containerId, Path cgroup, long newKills, long totalKills, MemoryStats stats, Instant seenAt,
      long seenAtNanos) {
    this.containerId = containerId;
    this.cgroup = cgroup;
    this.newKills = newKills;
    this.totalKills = totalKills;
    this.stats = stats;
    this.seenAt = seenAt;
    this.seenAtNanos = seenAtNanos;
  }

  public String containerId() {
    return containerId;
  }

  public long newKills() {
    return newKills;
  }

  public long totalKills() {
    return totalKills;
  }

  /** The container's figures read right after the kill was seen (usage, peak, limit and the memory.stat counters). */
  public MemoryStats stats() {
    return stats;
  }

  public Instant seenAt() {
    return seenAt;
  }

  /** When the kill was seen, as a {@link System#nanoTime()} value, for latency measurements. */
  public long seenAtNanos() {
    return seenAtNanos;
  }

  /**
   * The one wording of it, for the container's diagnostics and the log: it begins as the completion's report does
   * ({@link Completion#oomKill}), so that operators and scripts grep for one phrase whichever reported the kill.
   */
  public String message() {
    return String.format(Locale.ROOT, "Container killed by the kernel OOM killer in its memory cgroup %s: limit %s MiB,"
        + " peak %s, %d process(es) OOM-killed at %s (%d so far); usage %s MiB, anon %s MiB, shmem %s MiB,"
        + " page cache %s MiB; limit hit %s times.", cgroup, wholeMib(stats.limit()), peak(), newKills,
        seenAt, totalKills, MemoryStats.mib(stats.usage()), MemoryStats.mib(stats.anon()),
        MemoryStats.mib(stats.shmem()), MemoryStats.mib(stats.pageCache()), MemoryStats.count(stats.limitHits()));
  }

  /** The kernel's peak, or where it keeps none (v2 before 5.19) the limit the kernel counted the use reaching. */
  private String peak() {
    if (stats.peak() == MemoryStats.UNKNOWN && stats.limitHits() > 0) {
      return wholeMib(stats.limit()) + " MiB (the limit, reached; the kernel keeps no peak)";
    }
    return wholeMib(stats.peak()) + " MiB";
  }

  private static String wholeMib(long bytes) {
    return bytes == MemoryStats.UNKNOWN ? "?" : bytes >= 1L << 62 ? "max" : Long.toString(bytes / ONE_MB);
  }

  @Override
  public String toString() {
    return containerId + ": " + message();
  }
}
