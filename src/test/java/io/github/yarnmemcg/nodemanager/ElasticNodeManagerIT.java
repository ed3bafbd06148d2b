package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.YarnClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Elastic mode in a real NodeManager: YARN gives the node more than the node limit (4 GiB against 512 MiB, as an
 * overcommitted node has), three containers together pass the limit, and the one YARN would choose (the opportunistic
 * one, though it holds the least) is killed by the NodeManager with diagnostics its application master reads; the
 * guaranteed ones run on.
 */
class ElasticNodeManagerIT {

  static CgroupDriver driver;
  static Path root;
  static MiniYARNCluster cluster;
  static YarnClient client;

  @BeforeAll
  static void start() throws Exception {
    driver = RealCgroups.hostDriver();
    root = RealCgroups.uniqueRoot(driver);
    YarnConfiguration conf = YarnClusters.logsDeletedAtApplicationEnd(
        YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
    conf.setBoolean(MemcgKeys.ELASTIC_ENABLED.name(), true);
    conf.set(MemcgKeys.NODE_LIMIT_MB.name(), "512");
    // In elastic mode containers may use more than they requested: the monitor must not kill them for it.
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    cluster = YarnClusters.startCluster(YarnClusters.withOpportunisticContainers(conf), "memcg-elastic");
    client = YarnClusters.client(cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    YarnClusters.stopThenRemove(driver, root, client, cluster);
  }

  @Test
  void theOpportunisticContainerIsKilledWithDiagnosticsAndTheGuaranteedOnesRunOn() throws Exception {
    assertEquals(512 * ONE_MB, driver.stats(root).limit(), "the node limit");
    try (YarnClusters.UnmanagedAm am = YarnClusters.unmanagedAm(client, cluster.getConfig(), "memcg-elastic")) {
      Map<String, Container> started = new LinkedHashMap<>();
      for (Object[] spec : new Object[][] {{"guaranteed-old", ExecutionType.GUARANTEED, 200},
          {"opportunistic", ExecutionType.OPPORTUNISTIC, 100}, {"guaranteed-new", ExecutionType.GUARANTEED, 200}}) {
        Container c = am.allocate(256, (ExecutionType) spec[1]);
        am.nm().startContainer(c, ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of(
            "exec /usr/bin/python3 -c \\\"import time; x = b'a' * (" + spec[2] + " << 20); time.sleep(600)\\\""),
            null, null, null));
        started.put((String) spec[0], c);
        Path cgroup = root.resolve(c.getId().toString());
        Await.until(spec[0] + " holds its memory, or died", Duration.ofMinutes(1),
            () -> !java.nio.file.Files.isDirectory(cgroup)
                || driver.memoryStat(cgroup).anon() >= ((int) spec[2]) * ONE_MB
                || status(am, c).getState() == ContainerState.COMPLETE);
      }
      Container victim = started.get("opportunistic");
      Await.until("the opportunistic container completes", Duration.ofMinutes(1),
          () -> status(am, victim).getState() == ContainerState.COMPLETE);
      ContainerStatus s = status(am, victim);
      System.out.println("[e2e] elastic victim: exit " + s.getExitStatus() + ", diagnostics: " + s.getDiagnostics());
      assertTrue(s.getDiagnostics().contains("Container killed by yarn-memcg to keep the node within its limit")
          && s.getDiagnostics().contains("opportunistic containers go first"), s.getDiagnostics());
      // The metrics system caches a source's record for up to its period: wait for one taken after the kill.
      Await.until("NodeLimitKills to count the kill", Duration.ofSeconds(30),
          () -> ((Number) java.lang.management.ManagementFactory.getPlatformMBeanServer().getAttribute(
              YarnClusters.metricsBean(), "NodeLimitKills")).longValue() == 1);
      for (String name : List.of("guaranteed-old", "guaranteed-new")) {
        assertEquals(ContainerState.RUNNING, status(am, started.get(name)).getState(), name + " runs on");
      }
      for (Container c : started.values()) {
        am.nm().stopContainer(c.getId(), c.getNodeId());
      }
    }
  }

  static ContainerStatus status(YarnClusters.UnmanagedAm am, Container c) throws Exception {
    return am.nm().getContainerStatus(c.getId(), c.getNodeId());
  }
}
