package io.github.yarnmemcg.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.RealCgroups;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark in smoke mode on the real kernel: every contender produces every figure it takes part in, and
 * every root is gone afterwards. Only that: counts this small say nothing about speed, so nothing is timed.
 */
class BenchSmokeIT {

  @TempDir
  Path work;

  @Test
  void everyContenderProducesItsFiguresAndRemovesItsRoot() throws Exception {
    RealCgroups.require();
    BenchSettings settings = BenchSettings.parse("--smoke", "--out", work.resolve("out").toString(), "--files",
        work.resolve("files").toString());
    Bench.Results results = new Bench(settings).run();

    List<String> lifecycle = List.of(Bench.OURS, Bench.STOCK, Bench.RAW);
    List<String> completion = List.of(Bench.OURS, Bench.STOCK, Bench.RAW, Bench.RAW_SYNC_DRAIN);
    for (String figure : List.of(Bench.LIFECYCLE_TOTAL, Bench.LIFECYCLE_POLICY, Bench.LIFECYCLE_SETUP,
        Bench.LIFECYCLE_TEARDOWN, Bench.LIFECYCLE_PROCESS)) {
      lifecycle.forEach(c -> assertMeasured(results, figure, c));
    }
    for (String size : List.of("small-mib", "big-mib")) {
      completion.forEach(c -> assertMeasured(results, Bench.completion(settings.n(size)), c));
    }
    for (String figure : List.of(Bench.DYING_COUNT, Bench.DYING_HELD)) {
      List.of(Bench.OURS, Bench.STOCK).forEach(c -> assertMeasured(results, figure, c));
    }
    assertMeasured(results, Bench.STATS_READ, Bench.OURS);
    for (String figure : List.of(Bench.MONITOR_CPU, Bench.MONITOR_WALL)) {
      List.of(Bench.OURS_TREE, Bench.PROCFS_TREE).forEach(c -> assertMeasured(results, figure, c));
    }
    assertMeasured(results, Bench.DRAIN_RATE, Bench.OURS);
    assertMeasured(results, Bench.DRAIN_RATE, Bench.KERNEL_RECLAIM);

    assertTrue(results.removed(), "the bench reported its roots removed");
    assertFalse(Files.exists(results.top(), LinkOption.NOFOLLOW_LINKS), "no root is left: " + results.top());
    try (var left = Files.list(work.resolve("files"))) {
      assertTrue(left.findAny().isEmpty(), "the input files were removed");
    }

    List<Path> written = Report.write(results, settings.out());
    for (Path p : written) {
      assertTrue(Files.size(p) > 1000, p + " was written");
    }
    assertTrue(Files.readString(written.get(0)).contains("| " + Bench.LIFECYCLE_TOTAL + " | " + Bench.STOCK + " |"));
  }

  private static void assertMeasured(Bench.Results results, String figure, String contender) {
    Optional<Row> row = results.row(figure, contender);
    assertTrue(row.isPresent(), "no figure '" + figure + "' for " + contender + " in " + results.rows());
    double v = row.get().p50();
    assertTrue(!Double.isNaN(v) && !Double.isInfinite(v), figure + " / " + contender + " is a number: " + row.get());
    assertTrue(row.get().n() >= 1, row.get().toString());
  }
}
