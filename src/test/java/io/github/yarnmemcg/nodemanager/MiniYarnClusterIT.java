package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real NodeManager (MiniYARNCluster) configured only through yarn-site keys, launching real container
 * processes in their own memory cgroups on this machine's kernel.
 */
class MiniYarnClusterIT {
  private static final long MIB = 1 << 20;

  @TempDir
  static Path work;

  static CgroupDriver driver;
  static Path root;
  static MiniYARNCluster cluster;
  static YarnClient client;

  @BeforeAll
  static void start() throws Exception {
    RealCgroups.require();
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    driver = CgroupDriver.forMount(mount);
    root = mount.path().resolve("yarn-memcg-it-" + UUID.randomUUID().toString().substring(0, 8));
    cluster = YarnClusters.startCluster(YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()),
        "memcg-e2e");
    client = YarnClient.createYarnClient();
    client.init(cluster.getConfig());
    client.start();
    assertTrue(cluster.getNodeManager(0).getNMContext().getContainerExecutor() instanceof MemcgContainerExecutor);
  }

  @AfterAll
  static void stop() throws Exception {
    YarnClusters.stopThenRemove(driver, root, client, cluster);
  }

  @Test
  @Tag("v2-6.12")
  void containerReadingFreshFileRunsInItsOwnCgroupAndLeavesNothing() throws Exception {
    Path input = Workloads.freshFile(work, "input-64m", 64);
    Path seen = work.resolve("seen-cgroup");
    long baseline = driver.dyingMemcgs();
    long reportedBefore = executor().memcgs().counters().snapshot().leftCharged();
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        "cat /proc/self/cgroup > " + seen + " && cat " + input + " > /dev/null", 256);
    assertEquals(0, YarnClusters.exitCode(ran), ran.diagnostics());

    Path cgroup = root.resolve(ran.containerId().toString());
    String procSelfCgroup = Files.readString(seen);
    assertEquals(Optional.of(cgroup), driver.mount().cgroupOfProcess(procSelfCgroup),
        "the container ran in its own memory cgroup: " + procSelfCgroup);
    YarnClusters.awaitRemoved(cgroup);
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, root, baseline, 10_000);
    long reported = executor().memcgs().counters().snapshot().leftCharged() - reportedBefore;
    System.out.println("[measure] MiniYARNCluster container read 64 MiB: " + left + ", cleanups that reported"
        + " memory still charged at the drain budget " + reported);
    // On cgroup v2 over ext4, a container that was the first to touch a filesystem metadata block can leave that one
    // page held by the filesystem past the drain budget while the disk is idle (issue 8's note). The contract then:
    // the cleanup reported and counted it, and it is a metadata page or two, not the 64 MiB read.
    boolean reportedMetadataOnly = left.underRoot().map(u -> u.descendants() <= reported).orElse(false)
        && left.pagesAtOnce() <= 64 * 1024;
    assertTrue(left.nothingPinned() || reportedMetadataOnly, "the container left no dying memcg, or only one whose"
        + " cleanup reported a few metadata pages still charged: " + left + ", reported " + reported);
    assertEquals(List.of(), executor().memcgs().containerIds());
  }

  @Test
  void containerAllocatingPastItsLimitIsOomKilledAndDiagnosticsSaySo() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client, "/usr/bin/python3 -c \\\"x = b'a' * (512 << 20)\\\"", 128);
    System.out.println("[e2e] OOM container diagnostics: " + ran.diagnostics());
    assertEquals(137, YarnClusters.exitCode(ran), ran.diagnostics());
    assertTrue(ran.diagnostics().contains("Container killed by the kernel OOM killer"), ran.diagnostics());
    assertTrue(ran.diagnostics().contains("limit 128 MiB, peak 128 MiB"), ran.diagnostics());
    YarnClusters.awaitRemoved(root.resolve(ran.containerId().toString()));
    assertTrue(executor().memcgs().counters().snapshot().oomKills() >= 1);
  }

  @Test
  void pageCacheBeyondTheLimitDoesNotGetAContainerKilledByTheMonitor() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        PageCacheHolder.command(YarnClusters.cachedFile(work, 512), 3), 128);
    assertEquals(0, YarnClusters.exitCode(ran),
        "mapping 512 MiB of cached file pages under a 128 MiB container is fine: " + ran.diagnostics());
    assertFalse(ran.diagnostics().contains("beyond the 'PHYSICAL' memory limit"), ran.diagnostics());
    YarnClusters.awaitRemoved(root.resolve(ran.containerId().toString()));
  }

  @Test
  void metricsAreReadableThroughJmx() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        "cat " + Workloads.freshFile(work, "input-jmx", 16) + " > /dev/null", 128);
    assertEquals(0, YarnClusters.exitCode(ran), ran.diagnostics());
    YarnClusters.awaitRemoved(root.resolve(ran.containerId().toString()));

    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = YarnClusters.metricsBean();
    // The metrics system caches a source's record for up to its period; wait for one taken after the cleanup.
    Await.until("CgroupsRemoved to reach 1", Duration.ofSeconds(30),
        () -> ((Number) jmx.getAttribute(bean, "CgroupsRemoved")).longValue() >= 1);
    String seen = YarnClusters.metricsThroughJmx();
    System.out.println("[e2e] JMX " + bean + ": " + seen);
    assertTrue(((Number) jmx.getAttribute(bean, "ContainersStarted")).longValue() >= 1);
    assertTrue(((Number) jmx.getAttribute(bean, "BytesEvicted")).longValue() >= 15 * MIB,
        "the 16 MiB the container read were drained: " + seen);
    assertNotEquals(-1L, ((Number) jmx.getAttribute(bean, "DyingMemcgs")).longValue(),
        "DyingMemcgs read the kernel's count (-1 means it could not): " + seen);
    assertEquals(0L, ((Number) jmx.getAttribute(bean, "CgroupsGivenUp")).longValue());
  }

  static MemcgContainerExecutor executor() {
    return (MemcgContainerExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
  }
}
