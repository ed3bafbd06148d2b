package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kill order's values: the clamp at the NodeManager's own, the range, and the shell that sets it. */
class OomOrderTest {

  @Test
  void opportunisticBeforeGuaranteedByDefaultAndNeverBelowTheNodeManager() {
    OomOrder order = OomOrder.of(500, 1000);
    assertEquals(500, order.forContainer(true));
    assertEquals(1000, order.forContainer(false));
    assertEquals(OomOrder.of(500, 1000), order.atLeast(-900));
    assertEquals(OomOrder.of(700, 1000), order.atLeast(700));
    assertEquals(OomOrder.of(0, 0), OomOrder.of(-100, -5).atLeast(0));
  }

  @Test
  void valuesOutsideTheKernelsRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> OomOrder.of(1001, 0));
    assertThrows(IllegalArgumentException.class, () -> OomOrder.of(0, -1001));
  }

  @Test
  void theShellSetsTheValueAndExecsTheCommandWithItsArguments() throws Exception {
    List<String> argv = OomOrder.thenExec(321, List.of("/bin/sh", "-c", "cat /proc/self/oom_score_adj; echo \"$1\"",
        "x", "an argument with spaces"));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertEquals(0, p.waitFor(), out);
    assertEquals("321\nan argument with spaces", out);
    // The control: this JVM's own value is not 321, so the shell set it.
    assertEquals(false, Files.readString(OomOrder.SELF).trim().equals("321"));
  }
}
