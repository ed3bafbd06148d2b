package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.RealCgroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.util.StringUtils;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** A real NodeManager with the plugin's executor: bad settings stop it at init, naming the key and the value. */
class NodeManagerStartupIT {

  @TempDir
  Path work;

  CgroupDriver driver;
  Path root;

  @BeforeEach
  void setUp() throws Exception {
    RealCgroups.require();
    driver = CgroupDriver.forMount(MemoryMount.discover(Optional.empty()));
    root = driver.mount().path().resolve("yarn-memcg-it-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @AfterEach
  void tearDown() throws Exception {
    RealCgroups.removeTree(driver, root);
  }

  YarnConfiguration nodeConf() {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, MemcgContainerExecutor.class.getName());
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, work.resolve("local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, work.resolve("logs").toString());
    conf.set(MemcgConfiguration.ROOT.name(), root.toString());
    return conf;
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "yarn.nodemanager.memcg.drain.timeout-ms|-5",
      "yarn.nodemanager.memcg.delete.timeout-ms|soon",
      "yarn.nodemanager.memcg.soft-limit-percent|150",
      "yarn.nodemanager.memcg.swappiness|-1",
      "yarn.nodemanager.memcg.mode|v3",
      "yarn.nodemanager.memcg.drain.enabled|maybe",
      "yarn.nodemanager.memcg.root|hadoop-yarn/../../etc",
      "yarn.nodemanager.memcg.root|/tmp/not-a-cgroup",
  })
  void badSettingStopsTheNodeManagerNamingKeyAndValue(String key, String value) {
    YarnConfiguration conf = nodeConf();
    conf.set(key, value);
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains(key) && all.contains(value), "the error names " + key + " and " + value + ": " + all);
    } finally {
      nm.stop();
    }
  }

  @Test
  void modeV2OnANodeWithoutCgroupV2MemoryIsRefused() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        driver.mount().version() == io.github.yarnmemcg.cgroup.CgroupVersion.V1, "this node has v2 memory");
    YarnConfiguration conf = nodeConf();
    conf.set(MemcgConfiguration.MODE.name(), "v2");
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains("cgroup v2 memory controller requested") && all.contains(driver.mount().path().toString()),
          all);
    } finally {
      nm.stop();
    }
  }

  @Test
  void goodSettingsCreateTheRootAndTheNodeManagerInitialises() throws Exception {
    NodeManager nm = new NodeManager();
    try {
      nm.init(nodeConf());
      assertTrue(Files.isDirectory(root), "bootstrap created the root " + root);
      assertEquals(MemcgContainerExecutor.class, nm.getNMContext().getContainerExecutor().getClass());
    } finally {
      nm.stop();
    }
  }

  /** The same validation under LinuxContainerExecutor (with the stand-in container-executor for its checksetup). */
  @Test
  void badSettingStopsTheNodeManagerUnderLinuxContainerExecutorWithStandInContainerExecutor() throws Exception {
    YarnConfiguration conf = nodeConf();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR,
        org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor.class.getName());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_EXECUTOR_PATH,
        MiniYarnClusterLceWithStandInContainerExecutorIT.installStandIn(work.resolve("bin"), work).toString());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER, MemcgLceResourcesHandler.class.getName());
    conf.set(MemcgConfiguration.SOFT_LIMIT_PERCENT.name(), "150");
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains(MemcgConfiguration.SOFT_LIMIT_PERCENT.name() + "='150'"), all);
      assertTrue(Files.readString(work.resolve("bin/stand-in.log")).contains("argv: [--checksetup]"),
          "the executor got as far as the container-executor's checksetup");
    } finally {
      nm.stop();
    }
  }
}
