package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MountInfo;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.util.StringUtils;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** A real NodeManager with the plugin's executor: bad settings stop it at init, naming the key and the value. */
class NodeManagerStartupIT {

  @TempDir
  Path work;

  /**
   * Hadoop's PrivilegedOperationExecutor is one per JVM and keeps the first container-executor path it was given, so
   * every LinuxContainerExecutor test of this class shares one stand-in.
   */
  @TempDir
  static Path standInHome;

  static Path standIn() throws Exception {
    Path bin = standInHome.resolve("bin");
    return Files.isDirectory(bin) ? bin.resolve("container-executor")
        : MiniYarnClusterLceWithStandInContainerExecutorIT.installStandIn(bin, standInHome);
  }

  CgroupDriver driver;
  Path root;

  @BeforeEach
  void setUp() throws Exception {
    RealCgroups.require();
    driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    root = RealCgroups.uniqueRoot(driver);
  }

  @AfterEach
  void tearDown() throws Exception {
    RealCgroups.removeTree(driver, root);
  }

  /** {@link #nodeConf} under LinuxContainerExecutor with the plugin's handler and the stand-in container-executor. */
  YarnConfiguration lceConf() throws Exception {
    YarnConfiguration conf = nodeConf();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR,
        org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor.class.getName());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_EXECUTOR_PATH, standIn().toString());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER, MemcgLceResourcesHandler.class.getName());
    return conf;
  }

  YarnConfiguration nodeConf() {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, MemcgContainerExecutor.class.getName());
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, work.resolve("local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, work.resolve("logs").toString());
    conf.set(MemcgKeys.ROOT.name(), root.toString());
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
      // More kinds, each through a real NodeManager's init.
      "yarn.nodemanager.memcg.cleanup.threads|0",
      "yarn.nodemanager.memcg.cleanup.threads|65",
      "yarn.nodemanager.memcg.kill.timeout-ms|86400001",
      "yarn.nodemanager.memcg.reaper.give-up-ms|1e3",
      "yarn.nodemanager.memcg.drain.timeout-ms|0",
      "yarn.nodemanager.memcg.swappiness|9223372036854775808",
      "yarn.nodemanager.memcg.mode|cgroup2",
      "yarn.nodemanager.memcg.root|memory.stat",
      "yarn.nodemanager.memcg.root|./hadoop-yarn",
  })
  void badSettingStopsTheNodeManagerNamingKeyAndValue(String key, String value) {
    YarnConfiguration conf = nodeConf();
    conf.set(key, value);
    assertNodeManagerRefuses(conf, key, value);
  }

  /** Init fails with the documented "KEY='VALUE'" in the error, and nothing is left under the test's root. */
  void assertNodeManagerRefuses(YarnConfiguration conf, String key, String value) {
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains(key + "='" + value + "'"), "the error names " + key + "='" + value + "': " + all);
    } finally {
      nm.stop();
    }
  }

  /** The memory controller's mount itself, and a cgroup under every other cgroup mount of this node. */
  static Stream<String> rootsOutsideTheMemoryController() throws Exception {
    Path memory = MemoryMount.discover(Optional.empty()).path();
    return Stream.concat(Stream.of(memory.toString()), MountInfo.read(MountInfo.PROC_SELF_MOUNTINFO).stream()
        .filter(m -> m.fsType().startsWith("cgroup") && !m.mountPoint().equals(memory))
        .map(m -> m.mountPoint().resolve("yarn-memcg-it").toString()));
  }

  @ParameterizedTest
  @MethodSource("rootsOutsideTheMemoryController")
  void rootOutsideTheMemoryControllerIsRefused(String value) {
    YarnConfiguration conf = nodeConf();
    conf.set(MemcgKeys.ROOT.name(), value);
    assertNodeManagerRefuses(conf, MemcgKeys.ROOT.name(), value);
    assertFalse(Files.exists(Path.of(value)) && value.endsWith("yarn-memcg-it"), "nothing created at " + value);
  }

  @Test
  void rootWithAControlCharacterIsRefused() {
    YarnConfiguration conf = nodeConf();
    conf.set(MemcgKeys.ROOT.name(), "hadoop-yarn\nmemcg");
    assertNodeManagerRefuses(conf, MemcgKeys.ROOT.name(), "hadoop-yarn\nmemcg");
  }

  @Test
  void rootThroughASymbolicLinkIsRefusedAndNothingIsCreatedWhereItPoints() throws Exception {
    // cgroupfs refuses symbolic links (EPERM), so the link goes where the kernel allows one: on the tmpfs that
    // holds the cgroup mounts, pointing at the memory controller's mount.
    Path cgroupTmpfs = driver.mount().path().getParent();
    Assumptions.assumeTrue(Files.getFileStore(cgroupTmpfs).type().equals("tmpfs"), cgroupTmpfs + " is not tmpfs");
    Path link = cgroupTmpfs.resolve("yarn-memcg-it-link-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createSymbolicLink(link, driver.mount().path());
    try {
      String name = root.getFileName().toString();
      YarnConfiguration conf = nodeConf();
      conf.set(MemcgKeys.ROOT.name(), link.resolve(name).toString());
      assertNodeManagerRefuses(conf, MemcgKeys.ROOT.name(), link.resolve(name).toString());
      assertFalse(Files.exists(root), "nothing was created through the link at " + root);
    } finally {
      Files.delete(link);
    }
  }

  @Test
  void rootInsideTheMountButOnAnotherFilesystemIsRefused() throws Exception {
    // A tmpfs mounted over a cgroup directory: the path is under the memory mount, the directory is not cgroupfs.
    driver.create(root);
    Path over = root.resolve("tmpfs");
    driver.create(over);
    Workloads.run(List.of("mount", "-t", "tmpfs", "-o", "size=1m", "yarn-memcg-it", over.toString()));
    try {
      String value = over.resolve("yarn").toString();
      YarnConfiguration conf = nodeConf();
      conf.set(MemcgKeys.ROOT.name(), value);
      assertNodeManagerRefuses(conf, MemcgKeys.ROOT.name(), value);
      assertFalse(Files.exists(over.resolve("yarn")), "nothing was created on the tmpfs");
    } finally {
      Workloads.run(List.of("umount", over.toString()));
    }
  }

  @Test
  void modeV2OnANodeWithoutCgroupV2MemoryIsRefused() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        driver.mount().version() == io.github.yarnmemcg.cgroup.CgroupVersion.V1, "this node has v2 memory");
    YarnConfiguration conf = nodeConf();
    conf.set(MemcgKeys.MODE.name(), "v2");
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains("cgroup v2 memory controller requested") && all.contains(driver.mount().path().toString()),
          all);
      assertTrue(all.contains(MemcgKeys.MODE.name() + "='v2'"), "names the key and the value: " + all);
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
    YarnConfiguration conf = lceConf();
    conf.set(MemcgKeys.SOFT_LIMIT_PERCENT.name(), "150");
    NodeManager nm = new NodeManager();
    try {
      Exception e = assertThrows(Exception.class, () -> nm.init(conf));
      String all = StringUtils.stringifyException(e);
      assertTrue(all.contains(MemcgKeys.SOFT_LIMIT_PERCENT.name() + "='150'"), all);
      assertTrue(Files.readString(standInHome.resolve("bin/stand-in.log")).contains("argv: [--checksetup]"),
          "the executor got as far as the container-executor's checksetup");
    } finally {
      nm.stop();
    }
  }

  /**
   * A Docker runtime allowed under LinuxContainerExecutor would put containers outside their memcg: the NodeManager
   * does not start, and the error names the key. Control: the default runtime alone starts.
   */
  @Test
  void dockerRuntimeAllowedStopsTheNodeManagerUnderLinuxContainerExecutor() throws Exception {
    YarnConfiguration conf = lceConf();
    conf.set(YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES, "default,docker");
    assertNodeManagerRefuses(conf, YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES, "default,docker");
    assertFalse(Files.exists(root), "nothing was created: " + root);

    conf.set(YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES, "default");
    NodeManager nm = new NodeManager();
    try {
      nm.init(conf);
      assertTrue(Files.isDirectory(root), "the control starts and creates the root");
    } finally {
      nm.stop();
    }
  }
}
