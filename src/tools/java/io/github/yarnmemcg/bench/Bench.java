package io.github.yarnmemcg.bench;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.DrainResult;
import io.github.yarnmemcg.cgroup.KeyValues;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.lifecycle.LifecycleCounters;
import io.github.yarnmemcg.nodemanager.MemcgProcessTree;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.Percentiles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.yarn.util.ProcfsBasedProcessTree;
import org.apache.hadoop.yarn.util.ResourceCalculatorProcessTree;

/**
 * One benchmark run on the host's real memory controller: our lifecycle, Hadoop 3.5.0's own memory handler
 * and a raw floor, each under its own root below one unique top cgroup, driven through the same container
 * lifecycles by real short-lived processes that join their cgroup with the same shell line. Figures are wall
 * times from {@link System#nanoTime()} (CPU times from {@link ThreadMXBean}) after warm-up iterations, with the
 * contenders interleaved in a random order each iteration so that load from other processes falls on all of
 * them alike.
 * The top cgroup, every root and every input file are removed at the end, also when a phase fails.
 */
final class Bench {

  static final String OURS = "ours";
  static final String STOCK = "stock Hadoop 3.5.0";
  static final String RAW = "raw floor";
  static final String RAW_SYNC_DRAIN = "raw floor + sync drain";
  static final String OURS_TREE = "ours (MemcgProcessTree)";
  static final String PROCFS_TREE = "Hadoop default (ProcfsBasedProcessTree)";
  static final String KERNEL_RECLAIM = "kernel: one force_empty write";

  static final String LIFECYCLE_TOTAL = "lifecycle, no drain: total";
  static final String LIFECYCLE_POLICY = "lifecycle, no drain: policy cost";
  static final String LIFECYCLE_SETUP = "lifecycle, no drain: setup";
  static final String LIFECYCLE_TEARDOWN = "lifecycle, no drain: teardown until removed";
  static final String LIFECYCLE_PROCESS = "lifecycle, no drain: the joining process";
  static final String DYING_COUNT = "dying memcgs added (node-wide count)";
  static final String DYING_HELD = "charge held under the root after removal";
  static final String STATS_READ = "stats read, one container";
  static final String MONITOR_CPU = "monitor pass, CPU";
  static final String MONITOR_WALL = "monitor pass, wall";
  static final String DRAIN_RATE = "drain rate, one large cgroup";

  static String completion(int mib) {
    return "completion path, drain on, " + size(mib) + " page cache";
  }

  static String background(int mib) {
    return "background drain + rmdir, " + size(mib) + " page cache";
  }

  private static final long GIB = 1L << 30;
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  /** What one run measured, and where and how. */
  record Results(Environment environment, String loadAverageAfter, BenchSettings settings, List<Row> rows,
      List<String> notes, Path top, boolean removed) {

    Optional<Row> row(String figure, String contender) {
      return rows.stream().filter(r -> r.figure().equals(figure) && r.contender().equals(contender)).findFirst();
    }
  }

  private final BenchSettings settings;
  private final CgroupDriver driver;
  private final Path top;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  /** Seeded, so that a run can be repeated in the same order. */
  private final Random order = new Random(42);

  Bench(BenchSettings settings) throws IOException {
    this.settings = settings;
    this.driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    this.top = driver.mount().path().resolve("yarn-memcg-bench-" + UUID.randomUUID().toString().substring(0, 8));
  }

  Results run() throws Exception {
    Environment environment = Environment.capture(driver, top);
    Path files = settings.files().isPresent() ? Files.createDirectories(settings.files().get())
        : Files.createTempDirectory("yarn-memcg-bench-files-");
    Thread hook = new Thread(this::remove, "yarn-memcg-bench-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean removed;
    try {
      driver.create(top);
      driver.enableMemoryForChildren(top);
      CgroupVersion version = driver.mount().version();
      try (OursContender ours = new OursContender(driver, top.resolve("ours"), false);
          OursContender oursDrain = new OursContender(driver, top.resolve("ours-drain"), true);
          StockContender stock = StockContender.open(driver, top.resolve("stock"));
          RawFloor raw = new RawFloor(version, top.resolve("raw"), false);
          RawFloor rawDrain = new RawFloor(version, top.resolve("raw-sync-drain"), true)) {
        lifecycle(List.of(ours, stock, raw));
        completion(List.of(oursDrain, stock, raw, rawDrain), "small", files);
        completion(List.of(oursDrain, stock, raw, rawDrain), "big", files);
        stats(oursDrain);
        drainRate(oursDrain, files);
        dying(List.of(oursDrain, stock), files);
      }
    } finally {
      removed = remove();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
      if (settings.files().isPresent()) {
        try (Stream<Path> made = Files.list(files)) {
          for (Path f : made.filter(f -> f.getFileName().toString().startsWith("bench-")).toList()) {
            Files.deleteIfExists(f);
          }
        }
      } else {
        FileUtils.deleteDirectory(files.toFile());
      }
    }
    return new Results(environment, Environment.currentLoadAverage(), settings, List.copyOf(rows), List.copyOf(notes), top,
        removed);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lifecycle without drain: create + limits, a process that joins and exits, completion until the dir is gone.

  private void lifecycle(List<Contender> contenders) throws Exception {
    int n = settings.n("lifecycle-n");
    int warm = settings.n("warmup");
    long limit = 64 * ONE_MB;
    Map<Contender, long[][]> t = new LinkedHashMap<>();
    contenders.forEach(c -> t.put(c, new long[5][n]));
    for (int i = 0; i < warm + n; i++) {
      for (Contender c : inRandomOrder(contenders)) {
        String id = containerId(1, i);
        c.prepare(id, limit);
        long t0 = System.nanoTime();
        Path cgroup = c.setUp(id, limit);
        long t1 = System.nanoTime();
        Workloads.run(driver.joinThenExec(cgroup, List.of("true")));
        long t2 = System.nanoTime();
        c.complete(id).get(60, TimeUnit.SECONDS);
        long t3 = System.nanoTime();
        requireRemoved(c, cgroup);
        if (i >= warm) {
          long[][] a = t.get(c);
          int j = i - warm;
          a[0][j] = t3 - t0;
          a[1][j] = (t1 - t0) + (t3 - t2);
          a[2][j] = t1 - t0;
          a[3][j] = t3 - t2;
          a[4][j] = t2 - t1;
        }
      }
      progress("lifecycle", i + 1, warm + n);
    }
    for (Contender c : contenders) {
      long[][] a = t.get(c);
      timed(LIFECYCLE_TOTAL, c.name(), a[0], "create + limits + process joins and exits + completion until removed");
      timed(LIFECYCLE_POLICY, c.name(), a[1], "total minus the joining process (same shell line for all)");
      timed(LIFECYCLE_SETUP, c.name(), a[2], setupNote(c.name()));
      timed(LIFECYCLE_TEARDOWN, c.name(), a[3], teardownNote(c.name()));
      timed(LIFECYCLE_PROCESS, c.name(), a[4], "the joining process alone: spawn, join, exec true, exit, reap;"
          + " no contender code runs here");
    }
  }

  private static String setupNote(String contender) {
    return switch (contender) {
      case OURS -> "ContainerMemcgs.start: mkdir, limit, soft limit, swappiness";
      case STOCK -> "preStart: mkdir, limit, soft limit, swappiness";
      default -> "mkdir, limit";
    };
  }

  private static String teardownNote(String contender) {
    return switch (contender) {
      case OURS -> "complete() + background kill check and rmdir";
      case STOCK -> "postComplete: procs read, delete-delay sleep, rmdir";
      default -> "rmdir";
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Completion path with drain on, for a container that leaves SIZE MiB of its own page cache.

  private void completion(List<Contender> contenders, String size, Path files) throws Exception {
    int mib = settings.n(size + "-mib");
    int n = settings.n(size + "-n");
    int warm = Math.max(1, Math.min(settings.n("warmup"), n / 5));
    Path input = Workloads.freshFile(files, "bench-completion-" + mib, mib);
    long limit = Math.max(64, 2L * mib) * ONE_MB;
    Map<Contender, long[][]> t = new LinkedHashMap<>();
    Map<Contender, Long> leastLeft = new LinkedHashMap<>();
    contenders.forEach(c -> t.put(c, new long[2][n]));
    for (int i = 0; i < warm + n; i++) {
      for (Contender c : inRandomOrder(contenders)) {
        String id = containerId(size.equals("small") ? 2 : 3, i);
        c.prepare(id, limit);
        Path cgroup = c.setUp(id, limit);
        Workloads.run(driver.joinThenExec(cgroup, Workloads.readNoAtime(input)));
        long left = driver.stats(cgroup).pageCache();
        long t0 = System.nanoTime();
        CompletableFuture<?> background = c.complete(id);
        long t1 = System.nanoTime();
        background.get(10, TimeUnit.MINUTES);
        long t2 = System.nanoTime();
        requireRemoved(c, cgroup);
        // Untimed: whatever the contender left charged goes, so the next reader fetches the input from disk again.
        reclaimHierarchy(c.root());
        if (i >= warm) {
          t.get(c)[0][i - warm] = t1 - t0;
          t.get(c)[1][i - warm] = t2 - t1;
          leastLeft.merge(c, left, Math::min);
        }
      }
      progress("completion " + size(mib), i + 1, warm + n);
    }
    for (Contender c : contenders) {
      String left = String.format("each container left >= %.1f MiB page cache", leastLeft.get(c) / (double) ONE_MB);
      timed(completion(mib), c.name(), t.get(c)[0], completionNote(c.name()) + "; " + left);
      if (c.name().equals(OURS)) {
        timed(background(mib), c.name(), t.get(c)[1], "after complete() returned, off the completion path");
      }
    }
  }

  private static String completionNote(String contender) {
    return switch (contender) {
      case OURS -> "complete(): final stats, signal leftovers, hand drain + rmdir to the background";
      case STOCK -> "postComplete: no drain, procs read, delete-delay sleep, rmdir";
      case RAW -> "rmdir, no drain";
      default -> "force_empty then rmdir, on the completion path";
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Stats: one container's read, and one monitor pass over many live containers.

  private void stats(OursContender ours) throws Exception {
    int m = settings.n("stats-containers");
    List<String> ids = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    try {
      for (int j = 0; j < m; j++) {
        String id = containerId(4, j);
        Path cgroup = ours.setUp(id, 64 * ONE_MB);
        ids.add(id);
        processes.add(new ProcessBuilder(driver.joinThenExec(cgroup, List.of("sleep", "3600")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      for (int j = 0; j < m; j++) {
        Path cgroup = ours.memcgs().cgroupOf(ids.get(j));
        long pid = processes.get(j).pid();
        for (int attempt = 0; !driver.pids(cgroup).contains(pid); attempt++) {
          if (!processes.get(j).isAlive() || !Backoff.STANDARD.pause(attempt, deadline)) {
            throw new IllegalStateException("container process " + pid + " did not join " + cgroup);
          }
        }
      }
      progress("stats: live containers", m, m);

      int reads = settings.n("stats-reads");
      String one = ids.get(0);
      for (int w = 0; w < reads / 10 + 1; w++) {
        ours.memcgs().stats(one).orElseThrow();
      }
      long[] wall = new long[reads];
      long cpu0 = threads.getCurrentThreadCpuTime();
      for (int r = 0; r < reads; r++) {
        long t0 = System.nanoTime();
        ours.memcgs().stats(one).orElseThrow();
        wall[r] = System.nanoTime() - t0;
      }
      double cpuMicros = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / reads;
      timed(STATS_READ, OURS, wall, String.format("wall; CPU %.1f us per read (mean); ContainerMemcgs.stats reads"
          + " memory.stat, oom_control, usage, max_usage, limit, failcnt", cpuMicros));

      List<ResourceCalculatorProcessTree> memcg = new ArrayList<>();
      List<ResourceCalculatorProcessTree> procfs = new ArrayList<>();
      for (Process p : processes) {
        memcg.add(new MemcgProcessTree(Long.toString(p.pid())));
        procfs.add(new ProcfsBasedProcessTree(Long.toString(p.pid())));
      }
      // The NodeManager makes a pass every 3 s for as long as it runs: what counts is the pass once the JIT has
      // compiled the reading code, which takes a few thousand calls (30 passes of 500 containers, under a second).
      passes(OURS_TREE, memcg, 30, settings.n("stats-passes"), m);
      passes(PROCFS_TREE, procfs, 1, settings.n("procfs-passes"), m);
    } finally {
      List<CompletableFuture<?>> cleanups = new ArrayList<>();
      for (String id : ids) {
        cleanups.add(ours.complete(id));
      }
      for (Process p : processes) {
        p.destroyForcibly();
        p.waitFor();
      }
      for (CompletableFuture<?> c : cleanups) {
        c.get(2, TimeUnit.MINUTES);
      }
    }
  }

  /** Timed monitor passes: per container what ContainersMonitorImpl asks of its process tree on every pass. */
  private void passes(String tree, List<ResourceCalculatorProcessTree> trees, int warm, int n, int containers) {
    for (int w = 0; w < warm; w++) {
      monitorPass(trees);
    }
    long[] cpu = new long[n];
    long[] wall = new long[n];
    for (int i = 0; i < n; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      int available = monitorPass(trees);
      wall[i] = System.nanoTime() - t0;
      cpu[i] = threads.getCurrentThreadCpuTime() - c0;
      if (available != trees.size()) {
        throw new IllegalStateException(tree + ": only " + available + " of " + trees.size()
            + " containers had memory figures in a monitor pass");
      }
      progress("monitor passes, " + tree, i + 1, n);
    }
    String what = containers + " live containers: updateProcessTree, vmem/rss (age 0 and 1), cpu%";
    timed(MONITOR_CPU, tree, cpu, "thread CPU (user + sys); " + what);
    timed(MONITOR_WALL, tree, wall, what);
  }

  private static int monitorPass(List<ResourceCalculatorProcessTree> trees) {
    int available = 0;
    for (ResourceCalculatorProcessTree t : trees) {
      t.updateProcessTree();
      long vmem = t.getVirtualMemorySize();
      long rss = t.getRssMemorySize();
      t.getCpuUsagePercent();
      t.getVirtualMemorySize(1);
      t.getRssMemorySize(1);
      if (vmem >= 0 && rss >= 0) {
        available++;
      }
    }
    return available;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Drain rate of one large cgroup: our drain (the call the cleanup makes) against one write to the kernel.

  private void drainRate(OursContender ours, Path files) throws Exception {
    int mib = settings.n("drain-mib");
    int reps = settings.n("drain-repeats");
    Path input = Workloads.freshFile(files, "bench-drain", mib);
    String id = containerId(5, 0);
    Path cgroup = ours.setUp(id, 2L * mib * ONE_MB + 256 * ONE_MB);
    long[] oursPerMib = new long[reps];
    long[] kernelPerMib = new long[reps];
    long least = Long.MAX_VALUE;
    try {
      for (int r = 0; r < 2 * reps; r++) {
        boolean oursTurn = (r % 2 == 0) == (r / 2 % 2 == 0);
        Workloads.run(driver.joinThenExec(cgroup, Workloads.readNoAtime(input)));
        long before = driver.stats(cgroup).pageCache();
        long bytes;
        long nanos;
        if (oursTurn) {
          DrainResult d = driver.drain(cgroup, System.nanoTime() + Duration.ofMinutes(5).toNanos());
          bytes = d.drainedBytes();
          nanos = d.nanos();
        } else {
          long t0 = System.nanoTime();
          reclaimOnce(cgroup, before);
          nanos = System.nanoTime() - t0;
          bytes = before - driver.stats(cgroup).pageCache();
        }
        least = Math.min(least, bytes);
        (oursTurn ? oursPerMib : kernelPerMib)[r / 2] = nanos * ONE_MB / Math.max(1, bytes);
        progress("drain rate", r + 1, 2 * reps);
      }
    } finally {
      ours.complete(id).get(5, TimeUnit.MINUTES);
    }
    String note = String.format("%d MiB file read by a container; each drain freed >= %.0f MiB", mib,
        least / (double) ONE_MB);
    rate(DRAIN_RATE, OURS, oursPerMib, "CgroupDriver.drain (the cleanup's call: force_empty until empty); " + note);
    rate(DRAIN_RATE, driver.mount().version() == CgroupVersion.V1 ? KERNEL_RECLAIM : "kernel: one memory.reclaim write",
        kernelPerMib, note);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Dying memcgs after N containers that each leave ONE_MB MiB of unique page cache.

  private void dying(List<Contender> contenders, Path files) throws Exception {
    int n = settings.n("dying-n");
    int mib = settings.n("dying-mib");
    long need = (long) n * mib * ONE_MB;
    long usable = Files.getFileStore(files).getUsableSpace();
    if (usable < need + GIB) {
      throw new IOException("the dying-memcg phase needs " + (need + GIB) / ONE_MB + " MiB free in " + files + " for "
          + n + " unique " + mib + " MiB inputs; only " + usable / ONE_MB + " MiB are free (set --files or --dying-n)");
    }
    long available = memAvailable();
    if (available < need + 2 * GIB) {
      notes.add(String.format("MemAvailable was %.1f GiB for %.1f GiB of leaked page cache: memory pressure may"
          + " have freed some of the stock run's dying memcgs before they were counted", available / (double) GIB,
          need / (double) GIB));
    }
    List<Path> inputs = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        inputs.add(Workloads.freshFile(files, "bench-dying-" + i, mib));
        progress("dying: writing inputs with O_DIRECT", i + 1, n);
      }
      for (Contender c : contenders) {
        LifecycleCounters.Snapshot countersBefore = c instanceof OursContender o
            ? o.memcgs().counters().snapshot() : null;
        long usageBefore = driver.stats(c.root()).usage();
        long availableBefore = memAvailable();
        long baseline = DyingMemcgs.stableBaseline(driver);
        List<CompletableFuture<?>> cleanups = new ArrayList<>();
        long[] completeNanos = new long[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          String id = containerId(6, i);
          c.prepare(id, 64 * ONE_MB);
          Path cgroup = c.setUp(id, 64 * ONE_MB);
          Workloads.run(driver.joinThenExec(cgroup, Workloads.readNoAtime(inputs.get(i))));
          long a = System.nanoTime();
          cleanups.add(c.complete(id));
          completeNanos[i] = System.nanoTime() - a;
          progress("dying: " + c.name(), i + 1, n);
        }
        for (CompletableFuture<?> f : cleanups) {
          f.get(10, TimeUnit.MINUTES);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long dirsLeft = childDirs(c.root());
        // The held charge first: clean page cache can leave a removed memcg while the count settles.
        long held = driver.stats(c.root()).usage() - usageBefore;
        long added = DyingMemcgs.addedSince(driver, baseline, 10_000);
        String settled = String.format("; after the count settled: %s", heldBreakdown(c.root(), usageBefore));
        String extra = "";
        if (countersBefore != null) {
          LifecycleCounters.Snapshot s = ((OursContender) c).memcgs().counters().snapshot();
          extra = String.format("; cleanups left charged %d, given up %d", s.leftCharged()
              - countersBefore.leftCharged(), s.givenUp() - countersBefore.givenUp());
        }
        String note = String.format("%d containers x %d MiB unique page cache in %.0f s; cgroup dirs left %d;"
            + " node baseline %d; completion call p50 %.3f ms%s", n, mib, seconds, dirsLeft, baseline,
            Percentiles.millis(completeNanos, 50), extra);
        rows.add(Row.once(DYING_COUNT, c.name(), added, "memcgs", note));
        rows.add(Row.once(DYING_HELD, c.name(), held / (double) ONE_MB, "MiB",
            "root memory.usage_in_bytes after minus before, right after the last cleanup (exact for this root)"
                + settled + String.format("; MemAvailable %.1f GiB before, %.1f GiB after", availableBefore
                / (double) GIB, memAvailable() / (double) GIB)));
        printLast(2);
        // What this contender leaked is reclaimed before the next one runs, so it cannot skew its count.
        reclaimHierarchy(c.root());
      }
    } finally {
      for (Path f : inputs) {
        Files.deleteIfExists(f);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------

  /**
   * The contenders in a fresh random order for one iteration: with a fixed rotation each contender would
   * always follow the same other one (stock's 20 ms sleep, say), and the scheduler's treatment of the
   * predecessor would leak into its figures.
   */
  private List<Contender> inRandomOrder(List<Contender> contenders) {
    List<Contender> shuffled = new ArrayList<>(contenders);
    Collections.shuffle(shuffled, order);
    return shuffled;
  }

  static String containerId(int phase, int i) {
    return String.format("container_1700000000000_%04d_01_%06d", phase, i + 1);
  }

  private static String size(int mib) {
    return mib >= 1024 && mib % 1024 == 0 ? (mib / 1024) + " GiB" : mib + " MiB";
  }

  private void timed(String figure, String contender, long[] nanos, String note) {
    rows.add(new Row(figure, contender, nanos.length, Percentiles.millis(nanos, 50), Percentiles.millis(nanos, 99),
        "ms", note));
    printLast(1);
  }

  private void rate(String figure, String contender, long[] nanosPerMib, String note) {
    rows.add(new Row(figure, contender, nanosPerMib.length, 1000 / Percentiles.millis(nanosPerMib, 50),
        1000 / Percentiles.millis(nanosPerMib, 99), "MiB/s", note));
    printLast(1);
  }

  private void printLast(int count) {
    for (Row r : rows.subList(rows.size() - count, rows.size())) {
      System.out.printf("[measure] %s | %s | n=%d | p50 %.4f | p99 %.4f %s | %s%n", r.figure(), r.contender(), r.n(),
          r.p50(), r.p99(), r.unit(), r.note());
    }
  }

  private static void progress(String what, int done, int total) {
    if (done == total || done % Math.max(1, total / 10) == 0) {
      System.out.printf("[bench] %s: %d/%d%n", what, done, total);
    }
  }

  private static void requireRemoved(Contender c, Path cgroup) {
    if (Files.exists(cgroup, NOFOLLOW)) {
      throw new IllegalStateException(c.name() + " left its container cgroup " + cgroup + " after completion");
    }
  }

  private static long childDirs(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> Files.isDirectory(p, NOFOLLOW)).count();
    }
  }

  private static long memAvailable() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemAvailable:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return Long.MAX_VALUE;
  }

  /**
   * What a root still holds beyond its usage before the run, split into page cache of its subtree and kernel
   * memory (v1 {@code memory.kmem.usage_in_bytes}: slab objects reparented from removed children).
   */
  private String heldBreakdown(Path root, long usageBefore) throws IOException {
    MemoryStats s = driver.stats(root);
    long subtreeCache = KeyValues.parse(Files.readString(root.resolve("memory.stat")))
        .getOrDefault(driver.mount().version() == CgroupVersion.V1 ? "total_cache" : "file", MemoryStats.UNKNOWN);
    Path kmemFile = root.resolve("memory.kmem.usage_in_bytes");
    long kmem = Files.exists(kmemFile, NOFOLLOW) ? KeyValues.parseValue(Files.readString(kmemFile))
        : MemoryStats.UNKNOWN;
    return String.format("%.1f MiB held, of which page cache %.1f MiB, kernel memory %s", (s.usage() - usageBefore)
        / (double) ONE_MB, subtreeCache / (double) ONE_MB, kmem == MemoryStats.UNKNOWN ? "?" : String.format("%.1f MiB",
        kmem / (double) ONE_MB));
  }

  /** One reclaim request to the kernel for the whole subtree: v1 force_empty, v2 memory.reclaim. */
  private void reclaimOnce(Path cgroup, long bytes) throws IOException {
    boolean v1 = driver.mount().version() == CgroupVersion.V1;
    try {
      Files.write(cgroup.resolve(v1 ? "memory.force_empty" : "memory.reclaim"),
          (v1 ? "0" : Long.toString(Math.max(bytes, 1))).getBytes(StandardCharsets.US_ASCII),
          StandardOpenOption.WRITE);
    } catch (IOException partial) {
      // v2 EAGAIN: less was reclaimed than asked; callers measure what is left.
    }
  }

  /**
   * Reclaims everything charged in a subtree, including removed (dying) children that a cgroup's own
   * page-cache figure does not show: force_empty and memory.reclaim walk the whole hierarchy.
   */
  private void reclaimHierarchy(Path cgroup) throws IOException {
    if (Files.isDirectory(cgroup, NOFOLLOW)) {
      reclaimOnce(cgroup, driver.stats(cgroup).usage());
    }
  }

  /** Kills, reclaims and removes every root and the top cgroup; true when nothing is left. */
  private synchronized boolean remove() {
    try {
      if (!Files.isDirectory(top, NOFOLLOW)) {
        return true;
      }
      List<Path> roots;
      try (Stream<Path> s = Files.list(top)) {
        roots = s.filter(p -> Files.isDirectory(p, NOFOLLOW)).toList();
      }
      for (Path root : roots) {
        List<Path> children;
        try (Stream<Path> s = Files.list(root)) {
          children = s.filter(p -> Files.isDirectory(p, NOFOLLOW)).toList();
        }
        for (Path child : children) {
          RealCgroups.removeTree(driver, child);
        }
        reclaimHierarchy(root);
        RealCgroups.removeTree(driver, root);
      }
      reclaimHierarchy(top);
      RealCgroups.removeTree(driver, top);
      return !Files.exists(top, NOFOLLOW);
    } catch (IOException | RuntimeException e) {
      System.err.println("[bench] could not remove " + top + ": " + e);
      return false;
    }
  }
}
