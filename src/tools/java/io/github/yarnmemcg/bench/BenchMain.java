package io.github.yarnmemcg.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code yarn-memcg bench}: runs the benchmark of our lifecycle against Hadoop 3.5.0's own memory handler and
 * a raw floor on the host's real memory controller, then writes the markdown table and the chart (see
 * {@link BenchSettings#usage()}). Needs root, the test classpath (Hadoop's handler classes and XChart, neither
 * of which is in the plugin jar) and a fresh JVM, because Hadoop's handler chain is a static singleton.
 * Exits 0 on success, 1 when the run failed, 2 on bad arguments.
 */
public final class BenchMain {

  private BenchMain() {}

  public static void main(String[] args) {
    if (java.util.Arrays.asList(args).contains("--help")) {
      System.out.println(BenchSettings.usage());
      System.exit(0);
    }
    BenchSettings settings;
    try {
      settings = BenchSettings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    try {
      Bench.Results results = new Bench(settings).run();
      List<Path> written = Report.write(results, settings.out());
      written.forEach(p -> System.out.println("[bench] wrote " + p));
      System.exit(results.removed() ? 0 : 1);
    } catch (Exception e) {
      System.err.println("[bench] failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }
}
