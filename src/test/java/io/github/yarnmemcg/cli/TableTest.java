package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.yarnmemcg.cgroup.MemoryStats;
import org.junit.jupiter.api.Test;

/** Table layout and the byte formatting every command prints. */
class TableTest {

  @Test
  void columnsAreAsWideAsTheirWidestCellFirstLeftOthersRight() {
    String t = new Table("container", "MiB").row("c_1", "1.0").row("container_long", "1024.5").toString();
    assertEquals(String.join("\n",
        "container          MiB",
        "c_1                1.0",
        "container_long  1024.5",
        ""), t);
  }

  @Test
  void rowMustMatchTheHeader() {
    assertThrows(IllegalArgumentException.class, () -> new Table("a", "b").row("only one"));
  }

  @Test
  void bytesPrintAsMibWithUnknownAndNoLimitSpelledOut() {
    assertEquals("0.0", Table.mib(0));
    assertEquals("1.5", Table.mib(3L << 19));
    assertEquals("?", Table.mib(MemoryStats.UNKNOWN));
    assertEquals("max", Table.mib(Long.MAX_VALUE));
    // cgroup v1 reports "no limit" as LONG_MAX rounded down to a page.
    assertEquals("max", Table.mib(9223372036854771712L));
    assertEquals("?", Table.count(MemoryStats.UNKNOWN));
    assertEquals("3", Table.count(3));
  }
}
