package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.util.ResourceCalculatorProcessTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ResourceHandler contract and the process tree on the real kernel. The NodeManager's Container is a
 * Mockito stand-in here (only its id, resource and token are read); MiniYarnClusterIT covers the real one.
 */
@org.junit.jupiter.api.Tag("v1-guest")
class MemcgPluginIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  MemcgPlugin plugin;

  @BeforeEach
  void start() throws Exception {
    Configuration conf = new Configuration(false);
    conf.set(MemcgKeys.ROOT.name(), cgroups.root().toString());
    plugin = MemcgPlugin.start(conf);
  }

  @AfterEach
  void close() {
    plugin.close();
  }

  @Test
  void startContainerLimitsItsCgroupToTheAllocationAndCompletionRemovesIt() throws Exception {
    String id = "container_1700000000000_0007_01_000002";
    Path cgroup = plugin.startContainer(id, Resource.newInstance(256, 1), true);
    assertEquals(cgroups.root().resolve(id), cgroup);
    assertEquals(256 * ONE_MB, cgroups.driver().stats(cgroup).limit());

    Completion completion = plugin.memcgs().complete(id);
    assertEquals(Optional.empty(), completion.oomKill(), "no OOM kill to report");
    CleanupResult r = completion.cleanup().get(30, TimeUnit.SECONDS);
    assertTrue(r.removed(), r.toString());
    assertFalse(Files.exists(cgroup));
  }

  @Test
  void cpuInTheContainersCgroupsIsRefusedWhereTheMemoryControllerIsOnCgroupV1() throws Exception {
    // This machine's memory controller is on v1; the v2 guests run V2CpuIT instead.
    assertEquals(CgroupVersion.V1, cgroups.driver().mount().version());
    Configuration conf = new Configuration(false);
    conf.set(MemcgKeys.ROOT.name(), cgroups.root().toString());
    conf.setBoolean(MemcgKeys.CPU_ENABLED.name(), true);
    IOException e = assertThrows(IOException.class, () -> MemcgPlugin.start(conf));
    assertTrue(e.getMessage().contains(MemcgKeys.CPU_ENABLED.name() + "='true'")
        && e.getMessage().contains("cgroup v1"), e.getMessage());
    // Hadoop's own handlers beside the LCE handler stay allowed on v1, where each controller has its hierarchy.
    Configuration lce = new Configuration(false);
    lce.set(MemcgKeys.ROOT.name(), cgroups.root().toString());
    lce.setBoolean(YarnConfiguration.NM_CPU_RESOURCE_ENABLED, true);
    MemcgLceResourcesHandler handler = new MemcgLceResourcesHandler();
    handler.setConf(lce);
    handler.init(null);
    assertEquals(cgroups.root(), handler.memcgs().root());
    handler.memcgs().close();
  }

  @Test
  void aStartWithoutMemoryIsAClearErrorNamingTheContainerAndLeavesNothing() throws Exception {
    Path cgroup = cgroups.root().resolve("container_1700000000000_0007_01_000003");
    IOException e = assertThrows(IOException.class,
        () -> plugin.startContainer("container_1700000000000_0007_01_000003", Resource.newInstance(0, 1), true));
    assertTrue(e.getMessage().contains("container_1700000000000_0007_01_000003"), e.getMessage());
    assertFalse(Files.exists(cgroup), "a refused start leaves nothing behind");
  }

  @Test
  void aBadSettingStopsTheStartNamingTheKey() {
    Configuration conf = new Configuration(false);
    conf.set(MemcgKeys.DRAIN_TIMEOUT_MS.name(), "soon");
    IOException e = assertThrows(IOException.class, () -> MemcgPlugin.start(conf));
    assertTrue(e.getMessage().contains("yarn.nodemanager.memcg.drain.timeout-ms='soon'"), e.getMessage());
  }

  @Test
  void processTreeReportsAnonNotPageCacheAndNothingForNonContainers() throws Exception {
    String id = "container_1700000000000_0007_01_000004";
    plugin.startContainer(id, Resource.newInstance(512, 1), true);
    Path cgroup = cgroups.root().resolve(id);
    Path input = Workloads.freshFile(files, "input", 64);
    assertEquals(0, new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, Workloads.readNoAtime(input)))
        .inheritIO().start().waitFor());
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, Workloads.holdAnon(32))).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      MemcgProcessTree tree = new MemcgProcessTree(Long.toString(p.pid()));
      tree.updateProcessTree();
      assertEquals(java.util.Optional.of(cgroup), tree.cgroup());
      long rss = tree.getRssMemorySize();
      assertTrue(rss >= 30 * ONE_MB && rss < 60 * ONE_MB,
          "rss is the 32 MiB anon, not the 64 MiB of page cache: " + rss);
      assertTrue(cgroups.driver().stats(cgroup).file() >= 60 * ONE_MB, "the page cache is there all the same");
      assertTrue(tree.getProcessTreeDump().contains(Long.toString(p.pid())), tree.getProcessTreeDump());
      assertTrue(tree.getProcessTreeDump().contains("limit=" + 512 * ONE_MB), "the dump shows the container's limit: "
          + tree.getProcessTreeDump());
      p.getOutputStream().close();
      assertEquals(0, p.waitFor());
    }
    MemcgProcessTree outside = new MemcgProcessTree(Long.toString(ProcessHandle.current().pid()));
    outside.updateProcessTree();
    assertEquals(ResourceCalculatorProcessTree.UNAVAILABLE, outside.getRssMemorySize(),
        "a process outside any container cgroup is never charged a shared cgroup's memory");
    assertNotEquals(null, new MemcgProcessTree("1").getProcessTreeDump(), "cheap to build, even for pid 1");
  }
}
