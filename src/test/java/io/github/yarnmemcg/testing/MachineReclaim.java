package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.KeyValues;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Page cache the machine itself took away, whatever a test's workload or the plugin did: what a proactive
 * reclaimer (DAMON's {@code pageout} schemes, the {@code damon_reclaim} module) paged out, and what global reclaim
 * (kswapd, direct reclaim) stole. A workload's disk reads are compared between runs that the machine disturbed
 * differently: a node running DAMON pages out any page cache idle for about a minute, with gigabytes free, so the
 * second run of a comparison may read back from the disk what the first found cached. What the machine paged out
 * during a measured window is the headroom such a comparison must allow; where no reclaimer runs it is 0.
 *
 * <p>DAMON's statistics live in sysfs ({@code /sys/kernel/mm/damon/admin/kdamonds/<N>/contexts/<C>/schemes/<S>/
 * stats/sz_applied}, bytes the scheme's action was applied to: for {@code pageout} on physical addresses, the bytes
 * it reclaimed). The kernel refreshes them only when {@code update_schemes_stats} is written to the kdamond's
 * {@code state} file: a request to copy the counters out, which neither stops nor retunes the kdamond. Only
 * running kdamonds are asked (a stopped one refuses the request, and applies nothing). {@code /proc/vmstat}'s
 * {@code pgsteal_kswapd}, {@code pgsteal_direct} and {@code pgsteal_khugepaged} count global reclaim only: neither
 * DAMON's pageout, nor a memcg's reclaim at its limit, nor the plugin's drain is in them.
 * {@code workingset_refault_file} (pages read back soon after any eviction) is kept for the report, not the headroom.
 *
 * @param damonPagedOut bytes DAMON's {@code pageout} schemes and {@code damon_reclaim} reclaimed
 * @param globalReclaim bytes global reclaim stole ({@code pgsteal_kswapd + pgsteal_direct + pgsteal_khugepaged})
 * @param refaultedFile bytes of file pages read back after an eviction ({@code workingset_refault_file})
 * @param damonSeen whether a running kdamond with a {@code pageout} scheme, or {@code damon_reclaim}, was read
 */
public record MachineReclaim(long damonPagedOut, long globalReclaim, long refaultedFile, boolean damonSeen) {
  private static final Path KDAMONDS = Path.of("/sys/kernel/mm/damon/admin/kdamonds");
  private static final Path DAMON_RECLAIM = Path.of("/sys/module/damon_reclaim/parameters");
  private static final double MIB = 1 << 20;

  /** The machine's counters now (cumulative since boot, or since each kdamond started). */
  public static MachineReclaim now() throws IOException {
    long damon = 0;
    boolean seen = false;
    for (Path kdamond : kdamonds()) {
      if (!readTrimmed(kdamond.resolve("state")).equals("on")) {
        continue;
      }
      try {
        Files.writeString(kdamond.resolve("state"), "update_schemes_stats", StandardCharsets.US_ASCII);
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException e) {
        // Stopped between the read and the write (EINVAL), or not ours to ask (EPERM): its figures are stale, so
        // this kdamond counts nothing; the headroom can only be too small, the comparison too strict, never loose.
        continue;
      }
      for (Path scheme : children(kdamond.resolve("contexts"), "schemes")) {
        if (readTrimmed(scheme.resolve("action")).equals("pageout")) {
          damon += Long.parseLong(readTrimmed(scheme.resolve("stats/sz_applied")));
          seen = true;
        }
      }
    }
    if (Files.isDirectory(DAMON_RECLAIM) && readTrimmed(DAMON_RECLAIM.resolve("enabled")).equals("Y")) {
      damon += Long.parseLong(readTrimmed(DAMON_RECLAIM.resolve("bytes_reclaimed_regions")));
      seen = true;
    }
    Map<String, Long> vm = KeyValues.parse(
        Files.readString(Path.of("/proc/vmstat")));
    long page = pageSize();
    long steal = (vm.getOrDefault("pgsteal_kswapd", 0L) + vm.getOrDefault("pgsteal_direct", 0L)
        + vm.getOrDefault("pgsteal_khugepaged", 0L)) * page;
    return new MachineReclaim(damon, steal, vm.getOrDefault("workingset_refault_file", 0L) * page, seen);
  }

  /** What happened between {@code before} and this reading. */
  public MachineReclaim minus(MachineReclaim before) {
    return new MachineReclaim(damonPagedOut - before.damonPagedOut, globalReclaim - before.globalReclaim,
        refaultedFile - before.refaultedFile, damonSeen || before.damonSeen);
  }

  /** Bytes the machine itself evicted: the headroom a comparison of disk reads must allow. */
  public long pagedOut() {
    return Math.max(0, damonPagedOut) + Math.max(0, globalReclaim);
  }

  @Override
  public String toString() {
    return String.format("machine paged out %.1f MiB (DAMON %s, global reclaim %.1f MiB), file refaults %.1f MiB",
        pagedOut() / MIB, damonSeen ? String.format("%.1f MiB", damonPagedOut / MIB) : "none running",
        globalReclaim / MIB, refaultedFile / MIB);
  }

  private static List<Path> kdamonds() throws IOException {
    List<Path> all = new ArrayList<>();
    if (!Files.isDirectory(KDAMONDS)) {
      return all;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(KDAMONDS, "[0-9]*")) {
      s.forEach(all::add);
    }
    return all;
  }

  /** The numbered children of {@code dir} (contexts), and in each the numbered children of {@code sub}. */
  private static List<Path> children(Path dir, String sub) throws IOException {
    List<Path> all = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return all;
    }
    try (DirectoryStream<Path> contexts = Files.newDirectoryStream(dir, "[0-9]*")) {
      for (Path c : contexts) {
        if (Files.isDirectory(c.resolve(sub))) {
          try (DirectoryStream<Path> s = Files.newDirectoryStream(c.resolve(sub), "[0-9]*")) {
            s.forEach(all::add);
          }
        }
      }
    }
    return all;
  }

  private static String readTrimmed(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.US_ASCII).trim();
  }

  /** The kernel's base page size, as it maps this process's first mapping. */
  private static long pageSize() throws IOException {
    try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/self/smaps"))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith("KernelPageSize:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    }
    return 4096;
  }
}
