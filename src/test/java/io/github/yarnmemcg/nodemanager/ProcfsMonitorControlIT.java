package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.YarnClusters;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.util.ProcfsBasedProcessTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control for {@link MiniYarnClusterIT#pageCacheBeyondTheLimitDoesNotGetAContainerKilledByTheMonitor}:
 * the same container on a NodeManager that keeps Hadoop's default procfs process tree is killed by the
 * monitor for page cache it maps, which proves that test can fail.
 */
class ProcfsMonitorControlIT {

  @TempDir
  Path work;

  @Test
  void hadoopsProcfsMonitorKillsAContainerForMappedPageCache() throws Exception {
    RealCgroups.require();
    CgroupDriver driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    Path root = RealCgroups.uniqueRoot(driver);
    MiniYARNCluster cluster = YarnClusters.startCluster(
        YarnClusters.logsDeletedAtApplicationEnd(
            YarnClusters.operatorConfiguration(root, ProcfsBasedProcessTree.class.getName())), "procfs-control");
    YarnClient yarn = YarnClient.createYarnClient();
    try {
      yarn.init(cluster.getConfig());
      yarn.start();
      YarnClusters.Ran ran = YarnClusters.runContainer(yarn,
          PageCacheHolder.command(YarnClusters.cachedFile(work, 512), 30), 128);
      assertTrue(ran.diagnostics().contains("beyond the 'PHYSICAL' memory limit"), ran.diagnostics());
      YarnClusters.awaitCleaned(root.resolve(ran.containerId().toString()));
    } finally {
      yarn.stop();
      cluster.stop();
      RealCgroups.removeTree(driver, root);
    }
  }
}
