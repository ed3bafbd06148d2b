package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.GnuParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * The {@code yarn-memcg} operator commands: {@code doctor}, {@code sweep} and {@code stats}. Exit status 0 when
 * all is well, 1 when a check or a cleanup failed, 2 for a usage error.
 */
public final class Main {

  static final int OK = 0;
  static final int PROBLEM = 1;
  static final int USAGE = 2;

  static final String USAGE_TEXT = String.join("\n",
      "usage: yarn-memcg <command> [options]",
      "commands:",
      "  doctor   check this node for the plugin; exits 1 on a problem",
      "  sweep    list orphan container cgroups under the root; --apply drains and removes them",
      "  stats    memory of every container cgroup under the root (--json for scripts)",
      "  demo     (source checkout) a one-node YARN cluster with the plugin, on this machine's cgroups",
      "  bench    (source checkout) the benchmarks",
      "  version  the plugin's version, and the Hadoop it runs with (also --version)",
      "common options:",
      "  --conf FILE   yarn-site.xml to read, over Hadoop's defaults (default: the one on the classpath, i.e. the node's)",
      "  -D key=value  set a yarn-site key for this command (repeatable), as Hadoop's commands take it",
      "  --root ROOT   override yarn.nodemanager.memcg.root",
      "  --mode MODE   override yarn.nodemanager.memcg.mode (auto, v1, v2)",
      "run 'yarn-memcg <command> --help' for the options of a command");

  private final PrintStream out;
  private final PrintStream err;

  Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new Main(System.out, System.err).run(args));
  }

  int run(String[] args) {
    if (args.length == 0 || Arrays.asList("help", "-h", "--help").contains(args[0])) {
      (args.length == 0 ? err : out).println(USAGE_TEXT);
      return args.length == 0 ? USAGE : OK;
    }
    if (Arrays.asList("version", "--version").contains(args[0])) {
      out.println("yarn-memcg " + io.github.yarnmemcg.Version.get() + " (Hadoop "
          + org.apache.hadoop.util.VersionInfo.getVersion() + ", Java " + System.getProperty("java.version") + ")");
      return OK;
    }
    String command = args[0];
    Options options = options(command);
    if (options == null) {
      err.println("yarn-memcg: unknown command '" + command + "'\n" + USAGE_TEXT);
      return USAGE;
    }
    CommandLine cmd;
    Duration minAge;
    Duration watch;
    try {
      cmd = parser().parse(options, Arrays.copyOfRange(args, 1, args.length));
      if (cmd.getArgs().length > 0) {
        throw new ParseException("unexpected argument '" + cmd.getArgs()[0] + "'");
      }
      minAge = seconds(cmd, "min-age", 60);
      watch = seconds(cmd, "watch", 0);
    } catch (ParseException e) {
      err.println("yarn-memcg " + command + ": " + e.getMessage());
      err.print(help(command, options));
      return USAGE;
    }
    if (cmd.hasOption("help")) {
      out.print(help(command, options));
      return OK;
    }
    try {
      Target target = Target.from(cmd);
      switch (command) {
        case "doctor":
          return doctor(target, minAge, cmd.hasOption("json"));
        case "sweep":
          return sweep(target, cmd, minAge);
        default:
          return stats(target, cmd, watch);
      }
    } catch (IOException | IllegalArgumentException e) {
      err.println("yarn-memcg " + command + ": " + e.getMessage());
      return PROBLEM;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("yarn-memcg " + command + ": interrupted");
      return PROBLEM;
    }
  }

  /**
   * The options of a command, or null for an unknown command. Built with the part of commons-cli that every
   * Hadoop line ships (Hadoop 3.3 has commons-cli 1.2, without {@code Option.builder()}).
   */
  static Options options(String command) {
    // -D key=value, as Hadoop's own commands take it (repeatable; --root and --mode win over it).
    Option define = new Option("D", true, "set a yarn-site key for this command, as Hadoop's commands take it");
    define.setArgs(2);
    define.setValueSeparator('=');
    define.setArgName("key=value");
    Options o = new Options()
        .addOption(option("conf", "FILE", "yarn-site.xml to read, over Hadoop's defaults"))
        .addOption(define)
        .addOption(option("root", "ROOT", "override yarn.nodemanager.memcg.root"))
        .addOption(option("mode", "MODE", "override yarn.nodemanager.memcg.mode (auto, v1, v2)"))
        .addOption(new Option("h", "help", false, "this help"));
    Option minAge = option("min-age", "SECONDS", "an empty container cgroup younger than this may belong to a"
        + " container about to start and is left alone (default 60)");
    switch (command) {
      case "doctor":
        return o.addOption(minAge).addOption(option("json", null, "JSON for scripts"));
      case "sweep":
        return o.addOption(minAge)
            .addOption(option("apply", null, "drain and remove the orphans (without it, only list them)"));
      case "stats":
        return o.addOption(option("json", null, "JSON for scripts, sizes in bytes"))
            .addOption(option("watch", "SECONDS", "print the table again every SECONDS until interrupted"));
      default:
        return null;
    }
  }

  /** A long option, with an argument when {@code argName} is not null. */
  private static Option option(String longName, String argName, String description) {
    Option option = new Option(null, longName, argName != null, description);
    if (argName != null) {
      option.setArgName(argName);
    }
    return option;
  }

  /**
   * commons-cli 1.2's GNU parser, which later versions keep (deprecated in favour of DefaultParser, which 1.2
   * lacks); it reads {@code --name value} and {@code --name=value} alike.
   */
  @SuppressWarnings("deprecation")
  private static GnuParser parser() {
    return new GnuParser();
  }

  static String help(String command, Options options) {
    java.io.StringWriter w = new java.io.StringWriter();
    new HelpFormatter().printHelp(new java.io.PrintWriter(w), 100, "yarn-memcg " + command + " [options]", null,
        options, 2, 2, null);
    return w.toString();
  }

  /** A whole number of seconds from an option, refusing anything else with the option's name. */
  static Duration seconds(CommandLine cmd, String option, long otherwise) throws ParseException {
    if (!cmd.hasOption(option)) {
      return Duration.ofSeconds(otherwise);
    }
    String v = cmd.getOptionValue(option);
    try {
      long s = Long.parseLong(v);
      if (s < 0) {
        throw new NumberFormatException();
      }
      return Duration.ofSeconds(s);
    } catch (NumberFormatException e) {
      throw new ParseException("--" + option + " '" + v + "': expected a whole number of seconds, 0 or more");
    }
  }

  private int doctor(Target target, Duration minAge, boolean json) {
    List<Finding> findings = new Doctor(target, minAge).run();
    out.print(json ? DoctorReport.json(findings) + "\n" : DoctorReport.text(findings));
    return DoctorReport.healthy(findings) ? OK : PROBLEM;
  }

  private int sweep(Target target, CommandLine cmd, Duration minAge) throws IOException, InterruptedException {
    try (ContainerMemcgs memcgs = target.lifecycle()) {
      if (!memcgs.driver().fs().isDirectory(memcgs.root())) {
        out.println("root " + memcgs.root() + " does not exist: nothing to sweep");
        return OK;
      }
      Sweep sweep = new Sweep(memcgs, minAge, target.applications());
      List<Sweep.Found> found = sweep.find();
      long orphans = found.stream().filter(f -> f.state() == OrphanRule.State.ORPHAN).count();
      out.println("container cgroups under " + memcgs.root() + ": " + found.size() + ", orphans: " + orphans);
      if (!found.isEmpty()) {
        out.print(Sweep.table(found));
      }
      List<String> others = sweep.others();
      if (!others.isEmpty()) {
        out.println("not container cgroups, never touched: " + String.join(" ", others));
      }
      if (!cmd.hasOption("apply")) {
        out.println(orphans == 0 ? "nothing to do" : "dry run: add --apply to drain and remove the orphans");
        return OK;
      }
      List<CleanupResult> results = sweep.apply(found, target.settings().lifecycle().drainTimeout()
          .plus(target.settings().lifecycle().deleteTimeout()).multipliedBy(2).plusSeconds(30));
      if (!results.isEmpty()) {
        out.print(Sweep.resultTable(results));
      }
      long failed = results.stream().filter(r -> !r.removed()).count();
      out.println("swept " + (results.size() - failed) + " of " + results.size()
          + (failed == 0 ? "" : "; " + failed + " could not be removed (see the log)"));
      return failed == 0 ? OK : PROBLEM;
    }
  }

  private int stats(Target target, CommandLine cmd, Duration watch) throws IOException, InterruptedException {
    try (ContainerMemcgs memcgs = target.lifecycle()) {
      Path root = memcgs.root();
      if (!memcgs.driver().fs().isDirectory(root)) {
        throw new IOException("root " + root + " does not exist (the NodeManager creates it at start)");
      }
      Stats stats = new Stats(memcgs);
      while (true) {
        List<Stats.Row> rows = stats.read();
        if (cmd.hasOption("json")) {
          out.println(Stats.json(root, rows));
        } else {
          out.println(rows.size() + " container cgroup(s) under " + root + Stats.exited(rows));
          out.print(Stats.table(rows));
        }
        out.flush();
        if (watch.isZero()) {
          return OK;
        }
        Thread.sleep(watch.toMillis());
      }
    }
  }
}
