package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.MemoryStats;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.io.FileUtils;

/** What {@link ContainerMemcgs#complete} saw synchronously, and the background cleanup it started. */
public final class Completion {

  private final Path cgroup;
  private final Optional<MemoryStats> finalStats;
  private final CompletableFuture<CleanupResult> cleanup;
  /** How a peak the plugin sampled is named wherever it is reported. */
  static final String SAMPLED = "sampled every " + PeakSampler.PERIOD.getSeconds() + " s, the kernel keeps no peak";

  private final long reportedKills;
  private final boolean peakSampled;

  Completion(Path cgroup, Optional<MemoryStats> finalStats, CompletableFuture<CleanupResult> cleanup,
      long reportedKills, boolean peakSampled) {
    this.cgroup = cgroup;
    this.finalStats = finalStats;
    this.cleanup = cleanup;
    this.reportedKills = reportedKills;
    this.peakSampled = peakSampled;
  }

  /** Whether the peak of {@link #finalStats} was sampled by the plugin rather than kept by the kernel. */
  public boolean peakSampled() {
    return peakSampled;
  }

  /** The final figures, read by the first completion only (later calls return the cleanup under way). */
  public Optional<MemoryStats> finalStats() {
    return finalStats;
  }

  public CompletableFuture<CleanupResult> cleanup() {
    return cleanup;
  }

  /**
   * When the kernel OOM-killed in this container and the {@link OomWatcher} has not reported it already, the one
   * wording of it, which both executors' adapters report (in the container's diagnostics where Hadoop lets them, else
   * in the log), so that operators grep for one message whichever executor runs the node.
   */
  public Optional<String> oomKill() {
    return finalStats.filter(s -> s.oomKill() > reportedKills).map(s -> String.format(Locale.ROOT,
        "Container killed by the kernel OOM killer in its memory cgroup %s: limit %d MiB, peak %d MiB%s,"
            + " %s, limit hit %d times.", cgroup, s.limit() / ONE_MB, s.peak() / ONE_MB,
        peakSampled ? " (" + SAMPLED + ")" : "", reportedKills == 0
            ? s.oomKill() + " process(es) OOM-killed"
            : (s.oomKill() - reportedKills) + " more process(es) OOM-killed since the last report (" + s.oomKill()
                + " in all)", s.limitHits()));
  }
}
