package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.KeyValues;
import io.github.yarnmemcg.testing.RealCgroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CPU in the container's own cgroup on a real cgroup v2 kernel (the v2 guests, whose top cgroup passes cpu down as
 * systemd does): weights and caps as Hadoop computes them, read back and enforced, and the refusal of Hadoop's own
 * cgroup handlers beside LinuxContainerExecutor.
 */
@Tag("v2-stage")
@Tag("cgroup-v2")
// CI time: on 6.12 only. The cpu controller's files (cpu.weight, cpu.max) are the same on 6.1 and 7.3, and 5.10's
// guest carries the drain's workload shapes.
@Tag("not-v2-5.10")
@Tag("not-v2-6.1")
@Tag("not-v2-7.3")
class V2CpuIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups(Optional.of(CgroupVersion.V2));

  MemcgPlugin plugin;
  Process busy;

  @AfterEach
  void close() throws Exception {
    if (busy != null) {
      busy.destroyForcibly().waitFor();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  Configuration conf(boolean strict) {
    Configuration conf = new YarnConfiguration();
    conf.set(MemcgKeys.ROOT.name(), cgroups.root().toString());
    conf.setBoolean(MemcgKeys.CPU_ENABLED.name(), true);
    conf.setInt(YarnConfiguration.NM_VCORES, 4);
    conf.setBoolean(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_STRICT_RESOURCE_USAGE, strict);
    return conf;
  }

  String read(Path file) throws IOException {
    return Files.readString(file).trim();
  }

  long cpuStat(Path cgroup, String key) throws IOException {
    return KeyValues.parse(Files.readString(cgroup.resolve("cpu.stat"))).get(key);
  }

  /**
   * The share of one CPU a busy loop in the cgroup got, from the cgroup's own cpu.stat: under a cap, CPU time over two
   * whole periods of it, from one period boundary (nr_periods moving on, watched every 5 ms) to the second after; without
   * one, over 2 s of wall time.
   */
  double busyShare(Path cgroup, boolean capped) throws Exception {
    busy = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, List.of("sh", "-c", "while :; do :; done")))
        .start();
    for (int i = 0; !cgroups.driver().pids(cgroup).contains(busy.pid()); i++) {
      assertTrue(i < 10_000, "the loop joined its cgroup");
      Thread.sleep(1);
    }
    Thread.sleep(300);
    double share;
    if (capped) {
      long period = Long.parseLong(read(cgroup.resolve("cpu.max")).split(" ")[1]);
      long cpu0 = usageAtBoundary(cgroup, cpuStat(cgroup, "nr_periods") + 1);
      long cpu1 = usageAtBoundary(cgroup, cpuStat(cgroup, "nr_periods") + 2);
      share = (cpu1 - cpu0) / (2.0 * period);
    } else {
      long cpu0 = cpuStat(cgroup, "usage_usec");
      long t0 = System.nanoTime();
      Thread.sleep(2000);
      share = (cpuStat(cgroup, "usage_usec") - cpu0) / ((System.nanoTime() - t0) / 1e3);
    }
    busy.destroyForcibly().waitFor();
    return share;
  }

  /** CPU time used, read as soon as the cap's period count reaches {@code periods}. */
  long usageAtBoundary(Path cgroup, long periods) throws Exception {
    for (int i = 0; cpuStat(cgroup, "nr_periods") < periods; i++) {
      assertTrue(i < 2000, "the cap's periods move on");
      Thread.sleep(5);
    }
    return cpuStat(cgroup, "usage_usec");
  }

  @Test
  void containersGetHadoopsWeightsAndAStrictCapThatTheKernelEnforces() throws Exception {
    plugin = MemcgPlugin.start(conf(true));
    assertTrue((" " + read(cgroups.root().resolve("cgroup.subtree_control")) + " ").contains(" cpu "),
        "the root passes cpu to the container cgroups");
    int cpus = Runtime.getRuntime().availableProcessors();
    String two = "container_1700000000000_0001_01_000002";
    Path twoVcores = plugin.startContainer(two, Resource.newInstance(64, 2), true);
    assertEquals("200", read(twoVcores.resolve("cpu.weight")), "100 per vcore, as Hadoop");
    // Strict: 2 of 4 vcores is half of the CPUs given to YARN.
    String[] max = read(twoVcores.resolve("cpu.max")).split(" ");
    System.out.println("[measure] 2 of 4 vcores on " + cpus + " CPUs, strict: cpu.max " + String.join(" ", max));
    double expected = cpus * 0.5;
    assertEquals(expected, Long.parseLong(max[0]) / (double) Long.parseLong(max[1]), 0.001, String.join(" ", max));
    String opportunistic = "container_1700000000000_0001_01_000003";
    assertEquals("1", read(plugin.startContainer(opportunistic, Resource.newInstance(64, 2), false)
        .resolve("cpu.weight")));

    // One vcore of four on this node: a quarter of its CPUs. A busy loop gets that and no more.
    String one = "container_1700000000000_0001_01_000004";
    Path oneVcore = plugin.startContainer(one, Resource.newInstance(64, 1), true);
    double cap = cpus / 4.0;
    double got = busyShare(oneVcore, true);
    System.out.printf("[measure] busy loop under cpu.max %s: %.3f CPUs (cap %.3f)%n", read(oneVcore.resolve("cpu.max")),
        got, cap);
    assertEquals(cap, got, cap * 0.10, "within 10% of its cap");
    for (String id : List.of(two, opportunistic, one)) {
      plugin.memcgs().complete(id).cleanup().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void withoutTheStrictCapTheSameLoopTakesAWholeCpu() throws Exception {
    // The control of the enforcement above: weights only, the busy loop is limited by nothing but one CPU.
    plugin = MemcgPlugin.start(conf(false));
    String one = "container_1700000000000_0001_01_000004";
    Path oneVcore = plugin.startContainer(one, Resource.newInstance(64, 1), true);
    assertEquals("max 100000", read(oneVcore.resolve("cpu.max")));
    double got = busyShare(oneVcore, false);
    System.out.printf("[measure] busy loop without a cap: %.3f CPUs%n", got);
    assertTrue(got > 0.8, "a whole CPU, where the strict cap gave a quarter of the node: " + got);
    plugin.memcgs().complete(one).cleanup().get(60, TimeUnit.SECONDS);
  }

  @Test
  void hadoopsOwnCgroupHandlersBesideTheLceHandlerAreRefusedOnV2() throws Exception {
    Configuration conf = conf(false);
    conf.setBoolean(YarnConfiguration.NM_CPU_RESOURCE_ENABLED, true);
    MemcgLceResourcesHandler handler = new MemcgLceResourcesHandler();
    handler.setConf(conf);
    IOException e = assertThrows(IOException.class, () -> handler.init(null));
    assertTrue(e.getMessage().contains(YarnConfiguration.NM_CPU_RESOURCE_ENABLED + " is true")
        && e.getMessage().contains("one cgroup"), e.getMessage());
    assertEquals(List.of(), Files.isDirectory(cgroups.root()) ? cgroups.driver().fs().subdirectories(cgroups.root())
        : List.of(), "the refused start left no cgroup under its root");
  }
}
