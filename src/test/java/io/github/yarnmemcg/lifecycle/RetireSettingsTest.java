package io.github.yarnmemcg.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetireSettingsTest {

  @Test
  void cpuListsCountEveryCpuOfEveryRange() {
    assertEquals(1, RetireSettings.cpusIn("0\n"));
    assertEquals(2, RetireSettings.cpusIn("0-1"));
    assertEquals(8, RetireSettings.cpusIn("0-3,8-11"));
    assertEquals(5, RetireSettings.cpusIn("0,2,4-6"));
  }

  @Test
  void anythingElseIsRefusedNamingTheText() {
    for (String bad : new String[] {"", "a", "3-1", "1-2-3", "-1"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetireSettings.cpusIn(bad),
          bad);
      if (!(e instanceof NumberFormatException)) {
        assertEquals("not a CPU list: '" + bad.trim() + "'", e.getMessage());
      }
    }
  }

  @Test
  void theKernelMemoryOfAMemcgGrowsWithThePossibleCpus() {
    assertEquals(26 << 10, RetireSettings.bytesPerMemcg(2));
    assertEquals((22 + 2 * 64) << 10, RetireSettings.bytesPerMemcg(64));
    assertEquals(RetireSettings.bytesPerMemcg(1), RetireSettings.bytesPerMemcg(0), "never fewer than one CPU");
  }

  @Test
  void theBudgetIsTheSmallerOfTheCountAndWhatTheKernelMemoryAllows() {
    RetireSettings defaults = RetireSettings.defaults();
    // 64 MiB at 26 KiB each on 2 CPUs: 2520, under the 4096 cap.
    assertEquals(2520, defaults.budget(2));
    // 64 MiB at 150 KiB each on 64 CPUs: 436.
    assertEquals(436, defaults.budget(64));
    assertEquals(4096, RetireSettings.of(4096, 1L << 30, 0, Duration.ofSeconds(1)).budget(2), "the count caps it");
    assertEquals(0, RetireSettings.of(0, 1L << 30, 0, Duration.ofSeconds(1)).budget(2));
  }

  @Test
  void valuesThatCannotWorkAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RetireSettings.of(-1, 0, 0, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> RetireSettings.of(1, -1, 0, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> RetireSettings.of(1, 0, -1, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> RetireSettings.of(1, 0, 0, Duration.ZERO));
  }
}
