package io.github.yarnmemcg.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.RealCgroups;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The demo as {@code ./dist/bin/yarn-memcg demo} runs it, on the host's real cgroups: it must find every
 * guarantee held, show every kind of container, and leave no cgroup root behind. About 90 s here.
 */
class DemoIT {

  @Test
  void demoRunsEveryGuaranteeHoldsAndItsRootIsGone() throws Exception {
    RealCgroups.require();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int code = new DemoMain(out, Path.of("target/demo-it"), Path.of("conf/yarn-site.xml")).run();
    String text = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertEquals(0, code, text);
    assertTrue(text.contains("demo: every guarantee held"), text);
    for (String role : new String[] {"MR AppMaster", "MR map", "MR reduce", "reader", "anon", "oom"}) {
      assertTrue(text.contains(" " + role + " "), "a " + role + " container ran: " + text);
    }
    assertTrue(text.contains("counterfactual, measured in this run"), text);
    String root = text.replaceAll("(?s).*root (/\\S+yarn-memcg-demo-[0-9a-f]{8}).*", "$1");
    assertTrue(root.startsWith("/"), "the demo names its root: " + text);
    assertFalse(Files.exists(Path.of(root)), root + " was removed");
    assertFalse(Files.exists(Path.of("target/demo-it")), "the work directory was removed");
  }
}
