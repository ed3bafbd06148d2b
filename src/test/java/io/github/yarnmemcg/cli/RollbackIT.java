package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.nodemanager.MemcgContainerExecutor;
import io.github.yarnmemcg.nodemanager.MemcgProcessTree;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor;
import org.apache.hadoop.yarn.util.ProcfsBasedProcessTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's way to take the plugin off a node, run as written: a NodeManager with the plugin runs a container that
 * leaves a retired cgroup; the settings go back to Hadoop's and the NodeManager starts clean and runs a container;
 * {@code yarn-memcg sweep --apply} and {@code rmdir} leave nothing: no root, no cgroup, no dying memcg.
 */
class RollbackIT {

  @TempDir
  Path work;

  CgroupDriver driver;
  Path root;

  @AfterEach
  void removeRoot() throws Exception {
    if (driver != null) {
      RealCgroups.removeTree(driver, root);
    }
  }

  static int runOne(YarnConfiguration conf, String command) throws Exception {
    MiniYARNCluster cluster = YarnClusters.startCluster(conf, "memcg-rollback");
    YarnClient client = YarnClient.createYarnClient();
    try {
      client.init(cluster.getConfig());
      client.start();
      return YarnClusters.exitCode(YarnClusters.runContainer(client, command, 128));
    } finally {
      YarnClusters.stopThenRemove(null, null, client, cluster);
    }
  }

  @Test
  void enableThenRollBackAsTheReadmeSaysLeavesNothing() throws Exception {
    RealCgroups.require();
    driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    root = RealCgroups.uniqueRoot(driver);
    long baseline = DyingMemcgs.stableBaseline(driver);

    // Enabled: a container reads a fresh file, so that its cgroup stays retired with the file's page cache.
    Path input = Workloads.freshFile(work, "input", 32);
    YarnConfiguration enabled = YarnClusters.logsDeletedAtApplicationEnd(
        YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
    assertEquals(0, runOne(enabled, "cat " + input + " > /dev/null"));
    assertTrue(Files.isDirectory(root), "the plugin's root");

    // Rolled back: the executor and the process tree as Hadoop's; the plugin's keys may stay.
    YarnConfiguration rolledBack = new YarnConfiguration(enabled);
    rolledBack.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, DefaultContainerExecutor.class.getName());
    rolledBack.set(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, ProcfsBasedProcessTree.class.getName());
    assertEquals(0, runOne(rolledBack, "true"), "the NodeManager starts clean without the plugin");

    // What the plugin left under its root goes: sweep --apply drains and removes, then the root itself.
    MainTest.Ran swept = MainTest.run("sweep", "--root", root.toString(), "--min-age", "0", "--apply");
    System.out.println(swept.out() + swept.err());
    assertEquals(Main.OK, swept.code(), swept.out() + swept.err());
    try (var children = Files.list(root)) {
      assertFalse(children.anyMatch(Files::isDirectory), "no cgroup left under " + root);
    }
    driver.delete(root, System.nanoTime() + 5_000_000_000L);
    assertFalse(Files.exists(root), root + " removed");
    long added = DyingMemcgs.addedSince(driver, baseline, 30_000);
    System.out.println("[measure] rollback: dying memcgs added node-wide " + added);
    assertTrue(added <= 0, "no dying memcg left by the rollback: " + added);
    // Hadoop's DefaultContainerExecutor never touched the memory controller.
    assertTrue(Files.exists(input), "the test's input is still there");
  }
}
