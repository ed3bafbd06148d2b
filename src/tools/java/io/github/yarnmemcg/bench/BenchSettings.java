package io.github.yarnmemcg.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one benchmark run measures and where it writes, from the command line. The full defaults are the
 * committed run; {@code --smoke} shrinks every count and size so that a run only proves that each contender
 * works (the CI smoke test), and any count can then be overridden by name, e.g. {@code --lifecycle-n 200}.
 *
 * @param counts every count and size by its option name (see {@link #usage()})
 * @param out directory for the markdown table and the chart
 * @param files directory for the input files; empty for a fresh one under java.io.tmpdir, removed afterwards
 */
record BenchSettings(boolean smoke, Map<String, Integer> counts, Path out, Optional<Path> files) {

  private static final Map<String, Integer> FULL = defaults(1000, 100, 200, 1, 15, 1024, 1000, 16, 5, 2048, 500,
      100, 10_000, 3);
  private static final Map<String, Integer> SMOKE = defaults(20, 5, 5, 1, 3, 8, 10, 1, 1, 32, 10, 2, 100, 1);

  private static Map<String, Integer> defaults(int lifecycleN, int warmup, int smallN, int smallMib, int bigN,
      int bigMib, int dyingN, int dyingMib, int drainRepeats, int drainMib, int statsContainers, int statsPasses,
      int statsReads, int procfsPasses) {
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put("lifecycle-n", lifecycleN);
    m.put("warmup", warmup);
    m.put("small-n", smallN);
    m.put("small-mib", smallMib);
    m.put("big-n", bigN);
    m.put("big-mib", bigMib);
    m.put("dying-n", dyingN);
    m.put("dying-mib", dyingMib);
    m.put("drain-repeats", drainRepeats);
    m.put("drain-mib", drainMib);
    m.put("stats-containers", statsContainers);
    m.put("stats-passes", statsPasses);
    m.put("stats-reads", statsReads);
    m.put("procfs-passes", procfsPasses);
    return Map.copyOf(m);
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("usage: yarn-memcg bench [--smoke] [--out DIR] [--files DIR]");
    FULL.keySet().stream().sorted().forEach(k -> sb.append(" [--").append(k).append(" N]"));
    sb.append("\n  full defaults: ").append(new java.util.TreeMap<>(FULL))
        .append("\n  --smoke defaults: ").append(new java.util.TreeMap<>(SMOKE));
    return sb.toString();
  }

  /** @throws IllegalArgumentException naming the option and value, with the usage */
  static BenchSettings parse(String... args) {
    boolean smoke = List.of(args).contains("--smoke");
    Map<String, Integer> counts = new LinkedHashMap<>(smoke ? SMOKE : FULL);
    Path out = Path.of("docs/benchmarks");
    Optional<Path> files = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--smoke")) {
        continue;
      }
      if (!option.startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException("invalid bench argument '" + option + "'"
            + (option.startsWith("--") ? ": it needs a value" : "") + "\n" + usage());
      }
      String value = args[++i];
      String key = option.substring(2);
      if (key.equals("out")) {
        out = Path.of(value);
      } else if (key.equals("files")) {
        files = Optional.of(Path.of(value));
      } else if (counts.containsKey(key)) {
        counts.put(key, positive(option, value));
      } else {
        throw new IllegalArgumentException("unknown bench option '" + option + "'\n" + usage());
      }
    }
    return new BenchSettings(smoke, Map.copyOf(counts), out, files);
  }

  private static int positive(String option, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("invalid bench option " + option + "='" + value + "': a whole number > 0"
        + " is needed");
  }

  int n(String key) {
    Integer v = counts.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no bench setting " + key);
    }
    return v;
  }
}
