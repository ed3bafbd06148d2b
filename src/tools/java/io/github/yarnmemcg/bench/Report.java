package io.github.yarnmemcg.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Writes one run as {@code bench-<cgroup version>.md} (environment, targets, every figure with p50 and p99,
 * ratios between contenders, what each figure covers) and {@code bench-<cgroup version>.png} (four panels
 * drawn with XChart).
 */
final class Report {

  private Report() {}

  /** A ratio between two contenders' figures. */
  private record Ratio(String figure, String numerator, String denominator) {}

  private static final double NONE = Double.NaN;

  /** @return the markdown file and the chart written */
  static List<Path> write(Bench.Results r, Path dir) throws IOException {
    Files.createDirectories(dir);
    String base = "bench-" + r.environment().cgroup().substring(0, 2);
    Path md = dir.resolve(base + ".md");
    Path png = dir.resolve(base + ".png");
    chart(r, png);
    Files.writeString(md, markdown(r, png.getFileName().toString()));
    return List.of(md, png);
  }

  // ---------------------------------------------------------------------------------------------------------

  private static String markdown(Bench.Results r, String chart) {
    Environment e = r.environment();
    BenchSettings s = r.settings();
    StringBuilder md = new StringBuilder();
    md.append("# yarn-memcg against Hadoop 3.5.0's memory handler: cgroup ").append(e.cgroup(), 0, 2)
        .append(", kernel ").append(e.kernel()).append(s.smoke() ? " (SMOKE RUN: counts too small to mean anything)" : "")
        .append("\n\n");
    md.append("- Date: ").append(e.date()).append(". Machine: ").append(e.machine()).append(", kernel ")
        .append(e.kernel()).append(", cgroup ").append(e.cgroup()).append(".\n");
    md.append("- ").append(e.java()).append(", Hadoop ").append(e.hadoop()).append(".\n");
    boolean quiet = e.otherJvms() == 0 && e.otherRoots() == 0;
    md.append(quiet ? "- A quiet machine: at the start " : "- Not a quiet machine: at the start ")
        .append(e.otherJvms()).append(" other JVMs were running (other")
        .append(" helpers' Maven builds and real-kernel tests) and ").append(e.otherRoots())
        .append(" other yarn-memcg cgroup roots existed; load average ").append(e.loadAverage())
        .append(" at the start, ").append(r.loadAverageAfter()).append(" at the end (").append(e.cores())
        .append(" cores). Contenders run interleaved, in a random order each iteration, so that load falls on")
        .append(" all of them alike, but p99 figures include it.\n");
    md.append("- Command: `yarn-memcg bench").append(s.smoke() ? " --smoke" : "").append(" --out ")
        .append(s.out()).append("`; settings ").append(new TreeMap<>(s.counts())).append(".\n");
    for (String note : r.notes()) {
      md.append("- ").append(note).append("\n");
    }
    md.append("- Every root was ").append(r.removed() ? "removed" : "NOT removed").append(" at the end (")
        .append(r.top()).append(").\n\n");

    md.append("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
    for (String[] t : targets(r)) {
      md.append("| ").append(t[0]).append(" | ").append(t[1]).append(" | ").append(t[2]).append(" |\n");
    }

    md.append("\n## Results\n\nTimes in ms. n is the number of measured iterations after warm-up.\n\n")
        .append("| figure | contender | n | p50 | p99 | unit | what it covers |\n|---|---|---|---|---|---|---|\n");
    for (Row row : r.rows()) {
      md.append("| ").append(row.figure()).append(" | ").append(row.contender()).append(" | ").append(row.n())
          .append(" | ").append(fmt(row.p50())).append(" | ").append(fmt(row.p99())).append(" | ").append(row.unit())
          .append(" | ").append(row.note()).append(" |\n");
    }

    md.append("\n## Ratios\n\n| figure | ratio | p50 | p99 |\n|---|---|---|---|\n");
    for (Ratio q : ratios(s)) {
      md.append("| ").append(q.figure()).append(" | ").append(q.numerator()).append(" / ").append(q.denominator())
          .append(" | ").append(fmtRatio(ratio(r, q.figure(), q.numerator(), q.denominator(), true)))
          .append(" | ").append(fmtRatio(ratio(r, q.figure(), q.numerator(), q.denominator(), false))).append(" |\n");
    }
    md.append("\n![p50 and p99 per contender](").append(chart).append(")\n\n").append(METHOD);
    return md.toString();
  }

  private static List<Ratio> ratios(BenchSettings s) {
    String small = Bench.completion(s.n("small-mib"));
    String big = Bench.completion(s.n("big-mib"));
    List<Ratio> list = new ArrayList<>();
    for (String f : List.of(Bench.LIFECYCLE_TOTAL, Bench.LIFECYCLE_POLICY, Bench.LIFECYCLE_SETUP,
        Bench.LIFECYCLE_TEARDOWN)) {
      list.add(new Ratio(f, Bench.OURS, Bench.RAW));
      list.add(new Ratio(f, Bench.STOCK, Bench.OURS));
    }
    for (String f : List.of(small, big)) {
      list.add(new Ratio(f, Bench.OURS, Bench.RAW));
      list.add(new Ratio(f, Bench.STOCK, Bench.OURS));
      list.add(new Ratio(f, Bench.RAW_SYNC_DRAIN, Bench.OURS));
    }
    list.add(new Ratio(Bench.MONITOR_CPU, Bench.PROCFS_TREE, Bench.OURS_TREE));
    list.add(new Ratio(Bench.DRAIN_RATE, Bench.OURS, Bench.KERNEL_RECLAIM));
    return list;
  }

  private static List<String[]> targets(Bench.Results r) {
    BenchSettings s = r.settings();
    List<String[]> t = new ArrayList<>();
    for (String f : List.of(Bench.LIFECYCLE_TOTAL, Bench.LIFECYCLE_POLICY)) {
      Optional<Double> oursRaw = ratio(r, f, Bench.OURS, Bench.RAW, true);
      Optional<Double> stockOurs = ratio(r, f, Bench.STOCK, Bench.OURS, true);
      t.add(new String[] {f + ": ours <= 1.5x raw floor (p50)", fmtRatio(oursRaw) + "x", met(oursRaw, v -> v <= 1.5)});
      t.add(new String[] {f + ": ours >= 10x faster than stock (p50)", fmtRatio(stockOurs) + "x",
          met(stockOurs, v -> v >= 10)});
    }
    String small = Bench.completion(s.n("small-mib"));
    String big = Bench.completion(s.n("big-mib"));
    for (boolean p50 : List.of(true, false)) {
      Optional<Double> q = r.row(big, Bench.OURS).flatMap(b -> r.row(small, Bench.OURS)
          .map(a -> (p50 ? b.p50() : b.p99()) / (p50 ? a.p50() : a.p99())));
      t.add(new String[] {"completion path, ours: " + s.n("big-mib") + " MiB / " + s.n("small-mib") + " MiB left <= 1.2x ("
          + (p50 ? "p50" : "p99") + ")", fmtRatio(q) + "x", met(q, v -> v <= 1.2)});
    }
    Optional<Row> dying = r.row(Bench.DYING_COUNT, Bench.OURS);
    Optional<Row> held = r.row(Bench.DYING_HELD, Bench.OURS);
    t.add(new String[] {"dying memcgs after " + s.n("dying-n") + " containers: 0 for ours",
        dying.map(d -> fmt(d.p50()) + " (node-wide, moved by others' tests too); held under our root "
            + held.map(h -> fmt(h.p50()) + " MiB").orElse("?")).orElse("not measured"),
        met(dying.map(Row::p50), v -> v <= 0)});
    for (boolean p50 : List.of(true, false)) {
      Optional<Double> cpu = r.row(Bench.MONITOR_CPU, Bench.OURS_TREE).map(x -> p50 ? x.p50() : x.p99());
      t.add(new String[] {"monitor pass over " + s.n("stats-containers") + " containers < 25 ms CPU ("
          + (p50 ? "p50" : "p99") + ")", cpu.map(Report::fmt).orElse("?") + " ms", met(cpu, v -> v < 25)});
    }
    return t;
  }

  private static String met(Optional<Double> v, java.util.function.DoublePredicate ok) {
    return v.filter(x -> !x.isNaN()).map(x -> ok.test(x) ? "yes" : "**NO**").orElse("not measured");
  }

  private static Optional<Double> ratio(Bench.Results r, String figure, String a, String b, boolean p50) {
    return r.row(figure, a).flatMap(x -> r.row(figure, b).map(y -> p50 ? x.p50() / y.p50() : x.p99() / y.p99()));
  }

  private static String fmtRatio(Optional<Double> v) {
    return v.filter(x -> !x.isNaN() && !x.isInfinite()).map(x -> String.format(Locale.ROOT, "%.2f", x)).orElse("n/a");
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "—";
    }
    double a = Math.abs(v);
    return String.format(Locale.ROOT, a == 0 || a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 0.1 ? "%.3f" : "%.4f", v);
  }

  // ---------------------------------------------------------------------------------------------------------

  private static void chart(Bench.Results r, Path png) throws IOException {
    BenchSettings s = r.settings();
    List<String> lifecycle = List.of(Bench.OURS, Bench.STOCK, Bench.RAW);
    CategoryChart a = panel("Lifecycle without drain (ms, log)", "ms", true);
    series(a, r, "total p50", Bench.LIFECYCLE_TOTAL, lifecycle, true);
    series(a, r, "total p99", Bench.LIFECYCLE_TOTAL, lifecycle, false);
    series(a, r, "policy cost p50", Bench.LIFECYCLE_POLICY, lifecycle, true);
    series(a, r, "joining process alone p50", Bench.LIFECYCLE_PROCESS, lifecycle, true);

    List<String> completion = List.of(Bench.OURS, Bench.STOCK, Bench.RAW, Bench.RAW_SYNC_DRAIN);
    CategoryChart b = panel("Completion path, drain on (ms, log)", "ms", true);
    for (String size : List.of("small", "big")) {
      int mib = s.n(size + "-mib");
      series(b, r, mib + " MiB left p50", Bench.completion(mib), completion, true);
      series(b, r, mib + " MiB left p99", Bench.completion(mib), completion, false);
    }

    List<String> trees = List.of(Bench.OURS_TREE, Bench.PROCFS_TREE);
    CategoryChart c = panel("Monitor pass over " + s.n("stats-containers") + " containers (CPU ms, log)", "CPU ms",
        true);
    series(c, r, "p50", Bench.MONITOR_CPU, trees, true);
    series(c, r, "p99", Bench.MONITOR_CPU, trees, false);

    List<String> dying = List.of(Bench.OURS, Bench.STOCK);
    CategoryChart d = panel("After " + s.n("dying-n") + " containers x " + s.n("dying-mib") + " MiB page cache",
        "count / MiB", false);
    series(d, r, "dying memcgs added", Bench.DYING_COUNT, dying, true);
    series(d, r, "MiB held under the root", Bench.DYING_HELD, dying, true);

    for (CategoryChart chart : List.of(a, b, c)) {
      // XChart draws log-axis bars from the axis minimum, which must be set and positive.
      chart.getSeriesMap().values().stream().flatMap(x -> x.getYData().stream()).mapToDouble(Number::doubleValue)
          .filter(v -> v > 0).min()
          .ifPresent(min -> chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min)))));
    }
    try (OutputStream out = Files.newOutputStream(png)) {
      BitmapEncoder.saveBitmap(List.of(a, b, c, d), 2, 2, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }

  private static CategoryChart panel(String title, String yTitle, boolean log) {
    CategoryChart chart = new CategoryChartBuilder().width(760).height(480).title(title).yAxisTitle(yTitle).build();
    chart.getStyler().setYAxisLogarithmic(log);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsRotation(90);
    chart.getStyler().setXAxisLabelRotation(0);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setDecimalPattern("#,##0.###");
    return chart;
  }

  private static void series(CategoryChart chart, Bench.Results r, String name, String figure, List<String> contenders,
      boolean p50) {
    List<String> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (String c : contenders) {
      Optional<Row> row = r.row(figure, c);
      double v = row.map(z -> p50 || Double.isNaN(z.p99()) ? z.p50() : z.p99()).orElse(NONE);
      if (!Double.isNaN(v)) {
        x.add(c);
        y.add(v);
      }
    }
    if (!x.isEmpty()) {
      chart.addSeries(name, x, y);
    }
  }

  private static final String METHOD = """
      ## What each figure covers

      Three contenders, each under its own root below one unique top cgroup (`yarn-memcg-bench-*`), all removed at
      the end (leftover processes killed, leaked charge reclaimed with `memory.force_empty` on the root, rmdir
      deepest first), also when a phase fails:

      - **ours**: `ContainerMemcgs` through its public API with the settings a NodeManager gets from an empty
        yarn-site (`start` before the container, `complete` after it; drain and rmdir in the background).
      - **stock Hadoop 3.5.0**: `ResourceHandlerModule.getConfiguredResourceHandlerChain` with
        `yarn.nodemanager.resource.memory.enabled=true`, mounting off and a unique hierarchy, bootstrapped as the
        LinuxContainerExecutor does; `preStart` / `postComplete` with Hadoop's defaults (delete-delay 20 ms). The
        NodeManager `Context` and `Container` are stand-ins (only the plugin manager, and the id, resource and
        token are read). The chain is a JVM-wide static singleton: one hierarchy per JVM.
      - **raw floor**: `mkdir`, one `memory.limit_in_bytes` write, `rmdir`: no policy. **raw floor + sync drain**
        adds a `memory.force_empty` write before the rmdir, on the completion path.

      "Join" is the same for all: the container is a real process,
      `/bin/sh -c 'echo $$ > <cgroup>/cgroup.procs && exec CMD'`, where `<cgroup>.procs` is what each contender
      names (for stock: the path in its ADD_PID_TO_CGROUP operation, where container-executor would write the pid).
      Times are `System.nanoTime()` on the driving thread, nearest-rank p50/p99 after warm-up iterations (not
      JMH); contenders run interleaved, one container each per iteration in a seeded random order.

      - **lifecycle, no drain**: CMD is `true`. *total* = setup + process start, join, exit + completion until the
        cgroup directory is gone (for ours: until the background cleanup finished). *policy cost* = total minus the
        process's own run (identical for all). *setup* = create + limits. *teardown* = completion call until removed.
        *the joining process* = the process alone (spawn from the JVM, join, exec, exit, reap): no contender code
        runs there, so its spread between contenders shows how much of *total* is noise from the loaded machine.
      - **completion path, drain on**: CMD is `dd iflag=noatime` reading an input written with O_DIRECT, so the
        container is charged for all of it. The figure is the completion call only, as the NodeManager makes it:
        ours `complete()` (final stats, signal leftovers, queue the drain); stock `postComplete` (no drain at all,
        procs check, 20 ms delete-delay sleep, rmdir); raw `rmdir`; raw + sync drain `force_empty` + `rmdir`. Ours'
        background drain + rmdir is a separate row. Between iterations (untimed) each root gets a `force_empty`
        so the next reader is charged again.
      - **dying memcgs**: N containers, each reading its own input written with O_DIRECT (unique page cache),
        completed one after the other; then the node-wide count (`/proc/cgroups` memory num_cgroups minus live
        directories, after minus a settled baseline, polled up to 10 s; other helpers' tests move it too) and the
        exact charge still held by the contender's root (`memory.usage_in_bytes` after minus before: what its
        removed children still pin). Each contender's leak is reclaimed before the next runs.
      - **drain rate**: one cgroup holding a large file's page cache; ours is `CgroupDriver.drain`, the call the
        cleanup makes (on v1, `force_empty` repeated until no page cache is left); the kernel row is one
        `memory.force_empty` write. MiB freed / time; alternated ABBA.
      - **stats**: one `ContainerMemcgs.stats` read of a live container (wall; mean CPU in the note); one monitor
        pass = for each of N live containers (`sleep` processes in their cgroups), what ContainersMonitorImpl asks
        per pass: `updateProcessTree`, vmem/rss at age 0 and 1, cpu%. CPU is the driving thread's
        `ThreadMXBean` CPU time (user + sys). Hadoop's default `ProcfsBasedProcessTree` scans all of /proc for every
        container, so its pass grows with containers x processes on the node.

      ## Reproduce

      As root, on a node with a writable memory controller, in a fresh JVM (Hadoop's chain is a static singleton):

      ```
      mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp
      java -cp target/classes:target/test-classes:$(cat target/bench.cp) io.github.yarnmemcg.bench.BenchMain \
          --out docs/benchmarks
      ```

      or `yarn-memcg bench --out docs/benchmarks`. `--smoke` runs everything tiny (the CI smoke test,
      BenchSmokeIT); any count can be overridden, e.g. `--dying-n 200`; `--help` lists them.
      """;
}
