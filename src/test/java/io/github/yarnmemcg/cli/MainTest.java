package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Command-line parsing of the operator commands: exit codes and messages, without touching any cgroup. */
class MainTest {

  @TempDir
  Path dir;

  record Ran(int code, String out, String err) {}

  static Ran run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    return new Ran(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noCommandIsAUsageError() {
    Ran r = run();
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("usage: yarn-memcg <command>"), r.err());
  }

  /** The version as the build wrote it from the project's version, never "unknown" in a built tree. */
  @Test
  void versionPrintsTheProjectsVersion() throws Exception {
    String pom = java.nio.file.Files.readString(Path.of("pom.xml"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<artifactId>yarn-memcg</artifactId>\\s*<version>([^<]+)")
        .matcher(pom);
    assertTrue(m.find(), "the project's version in pom.xml");
    for (String arg : new String[] {"version", "--version"}) {
      Ran r = run(arg);
      assertEquals(Main.OK, r.code());
      assertTrue(r.out().startsWith("yarn-memcg " + m.group(1) + " (Hadoop "), r.out());
    }
  }

  @Test
  void helpGoesToStdoutAndSucceeds() {
    Ran r = run("--help");
    assertEquals(Main.OK, r.code());
    assertTrue(r.out().contains("doctor") && r.out().contains("sweep") && r.out().contains("stats"), r.out());
  }

  @Test
  void unknownCommandIsNamed() {
    Ran r = run("sweeep");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("unknown command 'sweeep'"), r.err());
  }

  @Test
  void everyCommandsHelpPrintsItsOptionsAndRunsNothing() {
    for (String command : new String[] {"doctor", "sweep", "stats"}) {
      // A root that cannot exist: had the command run, it would have said so and exited 1.
      Ran r = run(command, "--root", "/nonexistent/yarn-memcg-help", "--help");
      assertEquals(Main.OK, r.code(), command + ": " + r.out() + r.err());
      assertTrue(r.out().contains("usage: yarn-memcg " + command) && r.out().contains("-D"), r.out());
      assertEquals("", r.err(), command);
    }
  }

  /** stats' documented exit status: 1 when the root does not exist. */
  @Test
  void statsOnARootThatDoesNotExistExitsOne() {
    Ran r = run("stats", "--root", "/nonexistent/yarn-memcg-stats");
    assertEquals(Main.PROBLEM, r.code(), r.out() + r.err());
  }

  @Test
  void unknownOptionIsNamedWithTheCommandsHelp() {
    Ran r = run("stats", "--apply");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("--apply"), r.err());
    assertTrue(r.err().contains("--json"), "the help of stats follows: " + r.err());
  }

  @Test
  void strayArgumentIsRefused() {
    Ran r = run("doctor", "now");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("unexpected argument 'now'"), r.err());
  }

  @Test
  void badSecondsAreRefusedNamingTheOption() {
    for (String bad : new String[] {"-1", "ten", "1.5", ""}) {
      Ran r = run("sweep", "--min-age", bad);
      assertEquals(Main.USAGE, r.code(), bad);
      assertTrue(r.err().contains("--min-age '" + bad + "'"), r.err());
    }
    Ran r = run("stats", "--watch", "x");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("--watch 'x'"), r.err());
  }

  @Test
  void missingOptionValueIsAUsageError() {
    Ran r = run("doctor", "--conf");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("conf"), r.err());
  }

  @Test
  void unreadableConfFileIsNamed() {
    Path missing = dir.resolve("no-such-yarn-site.xml");
    Ran r = run("stats", "--conf", missing.toString());
    assertEquals(Main.PROBLEM, r.code());
    assertTrue(r.err().contains(missing.toString()) && r.err().contains("not a readable file"), r.err());
  }

  @Test
  void badPluginSettingStopsTheCommandWithTheKeyAndValue() {
    Ran r = run("sweep", "--mode", "v3");
    assertEquals(Main.PROBLEM, r.code());
    assertTrue(r.err().contains("yarn.nodemanager.memcg.mode='v3'"), r.err());
  }

  @Test
  void commandHelpListsItsOptions() {
    Ran r = run("sweep", "--help");
    assertEquals(Main.OK, r.code());
    assertTrue(r.out().contains("--apply") && r.out().contains("--min-age") && r.out().contains("--root"), r.out());
  }
}
