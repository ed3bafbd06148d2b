package io.github.yarnmemcg.cli;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** The doctor's node-wide lines, from settings and /proc/meminfo figures. */
class NodeMemoryCheckTest {

  static MemcgConfiguration settings(String key, String value) {
    Configuration conf = new Configuration(false);
    conf.set("yarn.nodemanager.resource.memory-mb", "4096");
    if (key != null) {
      conf.set(key, value);
    }
    return MemcgConfiguration.from(conf);
  }

  @Test
  void meminfoFiguresAreReadInBytes() {
    String meminfo = "MemTotal:       24683444 kB\nMemFree:        22913396 kB\nSwapTotal:             0 kB\n";
    assertEquals(24683444L * 1024, NodeMemoryCheck.meminfo(meminfo, "MemTotal"));
    assertEquals(0, NodeMemoryCheck.meminfo(meminfo, "SwapTotal"));
    assertEquals(-1, NodeMemoryCheck.meminfo(meminfo, "SwapFree"));
  }

  @Test
  void theNodeLimitIsJudgedAgainstTheNodesMemory() {
    Finding ok = NodeMemoryCheck.nodeLimit(settings(null, null), 8192 * ONE_MB);
    assertEquals(Finding.Level.OK, ok.level(), ok.text());
    assertTrue(ok.text().contains("node limit 4096 MiB") && ok.text().contains("4096 MiB stay"), ok.text());
    Finding all = NodeMemoryCheck.nodeLimit(settings(null, null), 4000 * ONE_MB);
    assertEquals(Finding.Level.WARN, all.level(), all.text());
    Finding off = NodeMemoryCheck.nodeLimit(settings("yarn.nodemanager.memcg.node-limit-mb", "off"), 8192 * ONE_MB);
    assertEquals(Finding.Level.INFO, off.level(), off.text());
    Finding set = NodeMemoryCheck.nodeLimit(settings("yarn.nodemanager.memcg.node-limit-mb", "2048"), 8192 * ONE_MB);
    assertTrue(set.text().contains("node limit 2048 MiB"), set.text());
  }

  @Test
  void theKillOrderLineSaysWhereItDoesNotApply() {
    assertEquals(Finding.Level.OK, NodeMemoryCheck.oomOrder(settings(null, null), false).level());
    Finding lce = NodeMemoryCheck.oomOrder(settings(null, null), true);
    assertEquals(Finding.Level.INFO, lce.level());
    assertTrue(lce.text().contains("keep the NodeManager's oom_score_adj"), lce.text());
  }
}
