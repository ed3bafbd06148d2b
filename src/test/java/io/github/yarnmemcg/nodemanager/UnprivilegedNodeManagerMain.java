package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cli.Doctor;
import io.github.yarnmemcg.cli.Finding;
import io.github.yarnmemcg.cli.Target;
import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.util.StringUtils;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * The other side of UnprivilegedNodeManagerIT: runs in a JVM of its own, started as an unprivileged user, and
 * prints {@code key=value} lines for the test to check.
 *
 * <ul>
 *   <li>{@code lifecycle ROOT WORK}: the plugin's bootstrap (as the NodeManager runs it) and one container's
 *       lifecycle: create, limit, a process joins and reads a fresh file, drain, delete.
 *       When bootstrap fails and the root exists, a process is also moved into a cgroup in it for real
 *       ({@code kernelJoin}), to show what the kernel says to the move that bootstrap refused beforehand.
 *   <li>{@code nodemanager ROOT WORK}: a MiniYARNCluster with the plugin runs a container; then the root is made
 *       read-only (mkdir fails with EACCES) and a container is launched; then the root is writable again and a
 *       third container runs.
 *   <li>{@code doctor ROOT WORK}: {@code yarn-memcg doctor}'s findings for the root, on one line.
 *   <li>{@code lce-straggler ROOT WORK}: {@link MemcgLceResourcesHandler} as LinuxContainerExecutor drives it, with
 *       {@code WORK/../bin/container-executor} as the executor: preExecute creates the container's cgroup; once
 *       the test has put a process of another user in it ({@code WORK/straggler-started} appears), postExecute hands
 *       it to the cleanup, and the mode prints whether the cgroup still exists 10 s later (or once it is gone).
 * </ul>
 *
 * Modes may be combined, comma-separated, to save JVM starts (slow in the cgroup v2 VM); a mode written
 * {@code LABEL:MODE@ROOT} works on that root instead and prefixes its keys with {@code LABEL.}, e.g.
 * {@code lifecycle,doctor,denied:lifecycle@/sys/fs/cgroup/other/containers}.
 */
public final class UnprivilegedNodeManagerMain {

  private UnprivilegedNodeManagerMain() {}

  public static void main(String[] args) throws Exception {
    Path root = Paths.get(args[1]);
    Path work = Paths.get(args[2]);
    System.out.println("user=" + System.getProperty("user.name"));
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("CapEff:")) {
        System.out.println("capEff=" + line.substring(7).trim());
      }
    }
    System.out.println("ownCgroup=" + MemoryMount.discover(Optional.empty())
        .cgroupOfProcess(Files.readString(Paths.get("/proc/self/cgroup"))).map(Path::toString).orElse("none"));
    try {
      for (String step : args[0].split(",")) {
        int colon = step.indexOf(':');
        int at = step.indexOf('@');
        String out = colon < 0 ? "" : step.substring(0, colon) + ".";
        String mode = step.substring(colon + 1, at < 0 ? step.length() : at);
        Path on = at < 0 ? root : Paths.get(step.substring(at + 1));
        switch (mode) {
          case "lifecycle" -> lifecycle(on, work, out);
          case "nodemanager" -> nodeManager(on, work);
          case "doctor" -> doctor(on, out);
          case "lce-straggler" -> lceStraggler(on, work);
          default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
      }
      System.exit(0);
    } catch (Throwable e) {
      System.out.println("error=" + StringUtils.stringifyException(e).replace('\n', ' '));
      System.exit(1);
    }
  }

  static void lifecycle(Path root, Path work, String out) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    // Every step the user needs rights for, the drain's write included, at once: the default would retire the
    // cgroup with the file it read still cached.
    conf.set(MemcgKeys.DRAIN_WHEN.name(), "container-exit");
    MemcgPlugin plugin;
    try {
      plugin = MemcgPlugin.start(conf);
    } catch (IOException e) {
      System.out.println(out + "bootstrap=" + e.getMessage().replace('\n', ' '));
      if (Files.isDirectory(root)) {
        kernelJoin(root, out);
      }
      return;
    }
    System.out.println(out + "bootstrap=ok");
    ContainerMemcgs memcgs = plugin.memcgs();
    CgroupDriver driver = memcgs.driver();
    String id = "container_1700000000000_0001_01_000001";
    Path cg = memcgs.start(id, 64 * ONE_MB, true);
    System.out.println(out + "limit=" + driver.stats(cg).limit());
    Path input = Workloads.freshFile(work, "input", 8);
    // The container only reads: where it ran comes back on its stdout, not in a file it writes (before 5.14 a file
    // a container wrote keeps its removed memcg dying while the inode is cached, which is not what this measures).
    Process p = new ProcessBuilder(driver.joinThenExec(cg, List.of("/bin/sh", "-c",
        "cat /proc/self/cgroup && dd if=" + input + " of=/dev/null bs=1M status=none")))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String seen = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    System.out.println(out + "exit=" + p.waitFor());
    System.out.println(out + "joined=" + driver.mount().cgroupOfProcess(seen).map(Path::toString).orElse("none"));
    System.out.println(out + "pageCacheBeforeDrain=" + driver.stats(cg).pageCache());
    CleanupResult r = memcgs.complete(id).cleanup().get(60, TimeUnit.SECONDS);
    System.out.println(out + "outcome=" + r.outcome() + " removed=" + r.removed() + " drained=" + r.evictedBytes());
    System.out.println(out + "exists=" + Files.exists(cg));
    plugin.close();
  }

  static void lceStraggler(Path root, Path work) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    conf.set(MemcgKeys.DRAIN_WHEN.name(), "container-exit");
    conf.set(MemcgKeys.KILL_TIMEOUT_MS.name(), "1000");
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_EXECUTOR_PATH,
        work.getParent().resolve("bin").resolve("container-executor").toString());
    MemcgLceResourcesHandler handler = new MemcgLceResourcesHandler();
    handler.setConf(conf);
    handler.init(null);
    ContainerId id = ContainerId.fromString("container_1700000000000_0002_01_000001");
    handler.preExecute(id, Resource.newInstance(64, 1));
    Path cgroup = root.resolve(id.toString());
    System.out.println("cgroup=" + cgroup);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(work.resolve("straggler-started")) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    handler.postExecute(id);
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Files.exists(cgroup) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    System.out.println("exists=" + Files.exists(cgroup));
  }

  /**
   * Moves a child of this JVM into a new cgroup in the root, as a container's first process is moved, and prints
   * whether the kernel moved it, read back from the cgroup (the JDK's message is in the locale of the run), with
   * that message for people.
   */
  static void kernelJoin(Path root, String out) throws Exception {
    CgroupDriver driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    Path cg = root.resolve("join-check");
    driver.create(cg);
    Process child = new ProcessBuilder("sleep", "60").start();
    String said = "";
    try {
      driver.addProcess(cg, child.pid());
    } catch (IOException e) {
      said = " (" + e.getMessage() + ")";
    }
    try {
      System.out.println(out + "kernelJoin=" + (driver.pids(cg).contains(child.pid()) ? "moved" : "refused") + said);
    } finally {
      child.destroyForcibly().waitFor();
      driver.delete(cg, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    }
  }

  static void doctor(Path root, String out) {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    List<Finding> findings = new Doctor(new Target(conf, Optional.empty()), Duration.ofMinutes(10)).run();
    System.out.println(out + "doctor=" + findings.stream().map(Finding::toString).collect(Collectors.joining(" | ")));
  }

  static void nodeManager(Path root, Path work) throws Exception {
    YarnConfiguration conf = YarnClusters.logsDeletedAtApplicationEnd(
        YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, work.resolve("local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, work.resolve("logs").toString());
    MiniYARNCluster cluster = YarnClusters.startCluster(conf, "memcg-unprivileged");
    YarnClient client = YarnClient.createYarnClient();
    try {
      client.init(cluster.getConfig());
      client.start();
      report("first", client, root, work);
      // The operator (or a policy) takes write permission away from the plugin's root while the node runs.
      Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
      report("denied", client, root, work);
      Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      report("after", client, root, work);
      System.out.println("nodeManagerState=" + cluster.getNodeManager(0).getServiceState());
    } finally {
      client.stop();
      cluster.stop();
    }
  }

  /** Runs a container that records its own /proc/self/cgroup, and prints how it ended. */
  static void report(String label, YarnClient client, Path root, Path work) throws Exception {
    Path seen = work.resolve(label + "-cgroup");
    YarnClusters.Ran ran = YarnClusters.runContainer(client, "cat /proc/self/cgroup > " + seen, 128);
    System.out.println(label + ".exitCode=" + YarnClusters.exitCode(ran));
    System.out.println(label + ".diagnostics=" + ran.diagnostics().replace('\n', ' '));
    Path cgroup = root.resolve(ran.containerId().toString());
    YarnClusters.awaitCleaned(cgroup);
    System.out.println(label + ".cgroupCleaned=" + (!Files.exists(cgroup) || YarnClusters.isRetired(cgroup)));
    System.out.println(label + ".joined=" + (Files.exists(seen) && MemoryMount.discover(Optional.empty())
        .cgroupOfProcess(Files.readString(seen)).equals(java.util.Optional.of(cgroup))));
  }
}
