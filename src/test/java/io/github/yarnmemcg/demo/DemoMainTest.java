package io.github.yarnmemcg.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** {@code yarn-memcg demo --help} prints the usage and starts nothing; a stray word is refused. */
class DemoMainTest {

  static OptionalInt check(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
    return DemoMain.refuseOrHelp(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpPrintsTheUsageAndRunsNothing() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(OptionalInt.of(0), check(out, new ByteArrayOutputStream(), "work", "yarn-site.xml", "--help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: yarn-memcg demo"));
  }

  @Test
  void aStrayArgumentIsAUsageErrorAndTheScriptsOwnTwoAreNot() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(OptionalInt.of(2), check(new ByteArrayOutputStream(), err, "work", "yarn-site.xml", "--fast"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unexpected argument '--fast'"));
    assertEquals(OptionalInt.empty(), check(new ByteArrayOutputStream(), new ByteArrayOutputStream(), "work",
        "yarn-site.xml"));
  }
}
