package io.github.yarnmemcg.lifecycle;

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
  private static final long MIB = FileUtils.ONE_MB;

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
   * The one wording of it, for the container's diagnostics and the log. It says "the kernel OOM killer", as the
   * completion's report does, so that operators grep for one phrase.
   */
  public String message() {
    return String.format(Locale.ROOT, "The kernel OOM killer killed %d process(es) in this container's memory cgroup"
        + " %s at %s (%d so far): limit %s MiB, usage %s MiB, peak %s MiB; anon %s MiB, shmem %s MiB, page cache %s MiB;"
        + " limit hit %s times.", newKills, cgroup, seenAt, totalKills, mib(stats.limit()), mib(stats.usage()),
        mib(stats.peak()), mib(stats.anon()), mib(stats.shmem()), mib(stats.pageCache()), count(stats.limitHits()));
  }

  private static String mib(long bytes) {
    return bytes == MemoryStats.UNKNOWN ? "?" : bytes == Long.MAX_VALUE ? "max"
        : String.format(Locale.ROOT, "%.1f", bytes / (double) MIB);
  }

  private static String count(long n) {
    return n == MemoryStats.UNKNOWN ? "?" : Long.toString(n);
  }

  @Override
  public String toString() {
    return containerId + ": " + message();
  }
}
