package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hadoop's real LinuxContainerExecutor in a real MiniYARNCluster NodeManager, with {@link MemcgLceResourcesHandler}
 * as its resources handler and a STAND-IN for the setuid container-executor binary (the real one must be setuid root
 * with a root-owned configuration, which a test cannot set up): the test resource
 * {@code container-executor-stand-in.sh}, configured as
 * {@code yarn.nodemanager.linux-container-executor.path}, takes the executor's real argv and, like the binary,
 * writes the container's pid into the {@code cgroups=} files before it execs the launch script. Its header says
 * what it does and does not do. Containers are real processes on the real kernel's memory controller. Hadoop's own
 * cgroup v1 CPU handler runs beside the plugin (on a hierarchy of this test's own under the cpu controller), as it
 * does on v1 nodes: the executor joins both hierarchies.
 */
class MiniYarnClusterLceWithStandInContainerExecutorIT {

  @TempDir
  static Path work;

  static CgroupDriver driver;
  static Path root;
  /** Hadoop's CPU handler's YARN hierarchy, this test's own, under the v1 cpu controller. */
  static Path cpuHierarchy;
  static Path standInLog;
  static Path probe;
  static MiniYARNCluster cluster;
  static YarnClient client;

  @BeforeAll
  static void start() throws Exception {
    RealCgroups.require();
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    driver = CgroupDrivers.forMount(mount);
    String unique = UUID.randomUUID().toString().substring(0, 8);
    root = mount.path().resolve("yarn-memcg-it-lce-" + unique);
    cpuHierarchy = Path.of("/sys/fs/cgroup/cpu/yarn-memcg-it-cpu-" + unique);
    cluster = new MiniYARNCluster("memcg-lce", 1, 1, 1);

    // The stand-in writes and deletes only inside the cluster's work dir (NM local and log dirs, pid files).
    Path standIn = installStandIn(work.resolve("bin"), cluster.getTestWorkDir().getAbsoluteFile().toPath());
    standInLog = standIn.resolveSibling("stand-in.log");
    probe = work.resolve("probe.sh");
    Files.writeString(probe, String.join("\n",
        "#!/bin/bash",
        "# $1 output dir, $2 memory mount, $3 file to read: where this container runs and what limits it",
        "cat /proc/self/cgroup > \"$1/cgroup\"",
        "read -r _ _ _ _ _ sid _ < /proc/$$/stat",
        "echo \"$sid\" > \"$1/session\"",
        "p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ || $2 == \"\" {print $3; exit}' /proc/self/cgroup)",
        "cat \"$2$p/memory.limit_in_bytes\" > \"$1/limit\" 2>/dev/null || cat \"$2$p/memory.max\" > \"$1/limit\"",
        "cat \"$3\" > /dev/null",
        ""));

    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, LinuxContainerExecutor.class.getName());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_EXECUTOR_PATH, standIn.toString());
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER, MemcgLceResourcesHandler.class.getName());
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    // Hadoop's v1 CPU handler beside the plugin, in a hierarchy of this test's own (Hadoop creates it).
    conf.setBoolean(YarnConfiguration.NM_CPU_RESOURCE_ENABLED, true);
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_HIERARCHY, "/" + cpuHierarchy.getFileName());
    conf.setBoolean(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_MOUNT, false);
    // Left by an earlier NodeManager: a container cgroup with no process, and one whose process still runs.
    driver.create(root);
    Path emptyLeftover = root.resolve("container_1700000000000_0009_01_000001");
    Path liveLeftover = root.resolve("container_1700000000000_0009_01_000002");
    driver.create(emptyLeftover);
    driver.create(liveLeftover);
    Process live = new ProcessBuilder(driver.joinThenExec(liveLeftover, List.of("sleep", "600"))).start();
    try {
      Await.until("the process to join " + liveLeftover, Duration.ofSeconds(10),
          () -> !driver.pids(liveLeftover).isEmpty());
      cluster.init(conf);
      cluster.start();
      YarnClusters.awaitCleaned(emptyLeftover);
      assertTrue(Files.isDirectory(liveLeftover) && live.isAlive(),
          "a cgroup with a running process may be a reacquired container's: kept");
    } finally {
      live.destroyForcibly().waitFor();
      driver.delete(liveLeftover, System.nanoTime() + 10_000_000_000L);
    }
    client = YarnClient.createYarnClient();
    client.init(cluster.getConfig());
    client.start();
    assertInstanceOf(LinuxContainerExecutor.class,
        cluster.getNodeManager(0).getNMContext().getContainerExecutor());
    assertTrue(Files.readString(standInLog).contains("argv: [--checksetup]"),
        "LinuxContainerExecutor.init ran the stand-in's --checksetup");
  }

  /**
   * Installs the stand-in as {@code <dir>/container-executor}, allowed to write and delete only under
   * {@code allowedRoot}; it logs every call to {@code <dir>/stand-in.log}.
   */
  static Path installStandIn(Path dir, Path allowedRoot) throws IOException {
    Files.createDirectories(dir);
    Path standIn = dir.resolve("container-executor");
    try (InputStream in = MiniYarnClusterLceWithStandInContainerExecutorIT.class
        .getResourceAsStream("container-executor-stand-in.sh")) {
      Files.copy(in, standIn);
    }
    Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(dir.resolve("stand-in.allowed-root"), allowedRoot.toString());
    return standIn;
  }

  @AfterAll
  static void stop() throws Exception {
    if (standInLog != null && Files.exists(standInLog)) {
      System.out.print(Files.readString(standInLog).replaceAll("(?m)^", "[stand-in] "));
    }
    YarnClusters.stopThenRemove(driver, root, client, cluster);
    if (cpuHierarchy != null && Files.isDirectory(cpuHierarchy, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> dirs = Files.list(cpuHierarchy)) {
        for (Path d : dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
          Files.delete(d);
        }
      }
      Files.delete(cpuHierarchy);
    }
  }

  @Test
  void containerRunsInTheCgroupTheStandInWroteItsPidToAndLeavesNothing() throws Exception {
    Path input = Workloads.freshFile(work, "input-64m", 64);
    Path seen = Files.createDirectories(work.resolve("seen"));
    long baseline = DyingMemcgs.stableBaseline(driver);
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        "/bin/bash " + probe + " " + seen + " " + driver.mount().path() + " " + input, 256);
    assertEquals(0, YarnClusters.exitCode(ran), ran.diagnostics());

    Path cgroup = root.resolve(ran.containerId().toString());
    Path procs = driver.procsFile(cgroup);
    String log = Files.readString(standInLog);
    Path cpuTasks = cpuHierarchy.resolve(ran.containerId().toString()).resolve("cgroup.procs");
    assertTrue(Pattern.compile("argv: \\[\\S+\\] \\[\\S+\\] \\[1\\] .*\\[" + Pattern.quote(ran.containerId().toString())
        + "\\] .*\\[cgroups=" + Pattern.quote(procs + "%" + cpuTasks) + "\\]\n").matcher(log).find(),
        "the executor passed the handler's cgroups= file first, then Hadoop's CPU handler's, in the launch argv:\n"
            + log);
    Matcher wrote = Pattern.compile("launch " + Pattern.quote(ran.containerId().toString()) + ": wrote pid (\\d+) to "
        + Pattern.quote(procs.toString()) + "\n").matcher(log);
    assertTrue(wrote.find(), "the stand-in wrote the container's pid to its cgroup.procs:\n" + log);
    assertEquals(wrote.group(1), Files.readString(seen.resolve("session")).trim(),
        "the process the stand-in put in the cgroup leads the container's session");
    String procSelfCgroup = Files.readString(seen.resolve("cgroup"));
    assertEquals(Optional.of(cgroup), driver.mount().cgroupOfProcess(procSelfCgroup),
        "the container ran in its own memory cgroup");
    assertTrue(Pattern.compile("(?m)^\\d+:cpu:/" + Pattern.quote(cpuHierarchy.getFileName() + "/" + ran.containerId())
        + "$").matcher(procSelfCgroup).find(), "and in Hadoop's CPU cgroup for it, on v1:\n" + procSelfCgroup);
    assertEquals(256 * ONE_MB, Long.parseLong(Files.readString(seen.resolve("limit")).trim()),
        "the handler limited the cgroup to the container's memory before the container started");

    YarnClusters.awaitCleaned(cgroup);
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, root, baseline, 10_000);
    System.out.println("[measure] LCE container read 64 MiB: " + left);
    assertTrue(left.nothingPinned(), "the container left no dying memcg: " + left);
    assertEquals(List.of(), containerCgroupsInUse(), "none left but retired ones");
  }

  @Test
  void killedContainerIsSignalledThroughTheStandInAndItsCgroupRemoved() throws Exception {
    ApplicationId app = YarnClusters.submitContainer(client, "sleep 600", 128);
    ContainerId id = ContainerId.newContainerId(awaitAttempt(app), 1);
    Path cgroup = root.resolve(id.toString());
    Await.until("the container's processes in " + cgroup, Duration.ofSeconds(60),
        () -> Files.exists(cgroup) && !driver.pids(cgroup).isEmpty());
    Matcher wrote = Pattern.compile("launch " + Pattern.quote(id.toString()) + ": wrote pid (\\d+) to ")
        .matcher(Files.readString(standInLog));
    assertTrue(wrote.find());

    client.killApplication(app);
    YarnClusters.awaitCleaned(cgroup);
    String log = Files.readString(standInLog);
    assertTrue(log.contains("signal 15: sent to process group " + wrote.group(1) + "\n"),
        "the NodeManager stopped the container through the stand-in's signal command:\n" + log);
    assertTrue(log.contains("launch " + id + ": pid " + wrote.group(1) + " exited 143\n"), log);
    assertEquals(List.of(), containerCgroupsInUse(), "none left but retired ones");
  }

  @Test
  void containerAllocatingPastItsLimitIsOomKilledInItsCgroup() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        "/usr/bin/python3 -c \\\"x = b'a' * (512 << 20)\\\"", 128);
    System.out.println("[lce] OOM container diagnostics: " + ran.diagnostics());
    assertEquals(137, YarnClusters.exitCode(ran), ran.diagnostics());
    assertTrue(Files.readString(standInLog).contains("launch " + ran.containerId() + ": pid "), "launched by the stand-in");
    YarnClusters.awaitCleaned(root.resolve(ran.containerId().toString()));
  }

  /** The application's first attempt, once the RM has made it (the command never registers as an AM). */
  private static ApplicationAttemptId awaitAttempt(ApplicationId app) throws Exception {
    return Await.value("an attempt of " + app, Duration.ofSeconds(60),
        () -> Optional.ofNullable(client.getApplicationReport(app).getCurrentApplicationAttemptId()));
  }

  /** The container cgroups under the root that are neither removed nor retired (empty and unprotected). */
  private static List<String> containerCgroupsInUse() throws Exception {
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .filter(p -> ContainerMemcgs.CONTAINER_ID.matcher(p.getFileName().toString()).matches())
          .filter(p -> !YarnClusters.isRetired(p))
          .map(p -> p.getFileName().toString())
          .toList();
    }
  }
}
