package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NodeManager restarts with containers still running, for real: the NodeManager runs as its own JVM process
 * (Hadoop's {@code NodeManager.main} with a generated yarn-site.xml and recovery on) against a MiniYARNCluster
 * ResourceManager, so that it can be stopped gracefully (SIGTERM, supervised) and killed with SIGKILL in the
 * middle of completing containers, then started again on the same state store.
 */
class NodeManagerRestartIT {
  private static final Duration WAIT = Duration.ofMinutes(2);

  @TempDir
  static Path work;

  static CgroupDriver driver;
  static Path root;
  static MiniYARNCluster rm;
  static YarnClient client;
  static ExternalNodeManager nm;

  @BeforeAll
  static void start() throws Exception {
    RealCgroups.require();
    driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    root = driver.mount().path().resolve("yarn-memcg-restart-" + UUID.randomUUID().toString().substring(0, 8));
    YarnConfiguration conf = new YarnConfiguration();
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    // Every application here is one AM container; the default 10% AM share would run only two at a time.
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    rm = new MiniYARNCluster("memcg-restart", 1, 0, 1, 1);
    rm.init(conf);
    rm.start();
    client = YarnClient.createYarnClient();
    client.init(rm.getConfig());
    client.start();
    nm = new ExternalNodeManager(work.resolve("nm"), nodeManagerConfiguration(rm.getConfig()));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (nm != null) {
        nm.kill();
      }
      if (client != null) {
        client.stop();
      }
      if (rm != null) {
        rm.stop();
      }
    } finally {
      if (driver != null && root != null) {
        RealCgroups.removeTree(driver, root);
      }
    }
  }

  /** The operator's yarn-site.xml plus what a restartable NodeManager needs: recovery, supervision, a fixed port. */
  static YarnConfiguration nodeManagerConfiguration(org.apache.hadoop.conf.Configuration rmConf) throws IOException {
    YarnConfiguration conf = YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName());
    for (String key : List.of(YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS, YarnConfiguration.RM_ADDRESS,
        YarnConfiguration.RM_SCHEDULER_ADDRESS)) {
      conf.set(key, rmConf.get(key));
    }
    Path dir = work.resolve("nm");
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, dir.resolve("local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, dir.resolve("logs").toString());
    conf.setBoolean(YarnConfiguration.NM_RECOVERY_ENABLED, true);
    conf.set(YarnConfiguration.NM_RECOVERY_DIR, dir.resolve("recovery").toString());
    conf.setBoolean(YarnConfiguration.NM_RECOVERY_SUPERVISED, true);
    conf.set(YarnConfiguration.NM_ADDRESS, "127.0.0.1:" + freePort());
    conf.set(YarnConfiguration.NM_LOCALIZER_ADDRESS, "127.0.0.1:" + freePort());
    conf.set(YarnConfiguration.NM_WEBAPP_ADDRESS, "127.0.0.1:" + freePort());
    conf.setInt(YarnConfiguration.NM_PMEM_MB, 4096);
    conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.5f);
    return conf;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A container that records its cgroup, waits for {@code go} to exist, then reads {@code input} and exits. */
  record Waiting(ApplicationId app, Path seen, Path go) {
    ContainerId containerId() throws Exception {
      return ContainerId.newContainerId(client.getApplicationReport(app).getCurrentApplicationAttemptId(), 1);
    }

    Path cgroup() throws Exception {
      return root.resolve(containerId().toString());
    }
  }

  static Waiting submitWaiting(String name, Path input, Path go, int memoryMb) throws Exception {
    Path seen = work.resolve("seen-" + name);
    String command = "cat /proc/self/cgroup > " + seen + ".tmp && mv " + seen + ".tmp " + seen
        + " && while [ ! -e " + go + " ]; do sleep 0.05; done && cat " + input + " > /dev/null";
    YarnClientApplication app = client.createApplication();
    ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
    ctx.setApplicationName("memcg-restart-" + name);
    ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of(command), null, null,
        null));
    ctx.setResource(Resource.newInstance(memoryMb, 1));
    ctx.setMaxAppAttempts(1);
    client.submitApplication(ctx);
    return new Waiting(ctx.getApplicationId(), seen, go);
  }

  static void await(String what, BooleanSupplier condition) throws Exception {
    Await.until(() -> what + "; NodeManager log: " + nm.log(), WAIT, condition::getAsBoolean);
  }

  static boolean hasProcesses(Path cgroup) {
    try {
      return !driver.pids(cgroup).isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits for the application to end; its one container never registers as an AM, so YARN reports its exit. */
  static int exitCodeAfterEnd(ApplicationId app) throws Exception {
    await(app + " to end", () -> {
      try {
        YarnApplicationState s = client.getApplicationReport(app).getYarnApplicationState();
        return s == YarnApplicationState.FINISHED || s == YarnApplicationState.FAILED
            || s == YarnApplicationState.KILLED;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    ApplicationReport r = client.getApplicationReport(app);
    System.out.println("[restart] " + app + " " + r.getYarnApplicationState() + ": " + r.getDiagnostics());
    return YarnClusters.exitCode(new YarnClusters.Ran(null, r.getYarnApplicationState(),
        r.getDiagnostics()));
  }

  @Test
  void containersSurviveGracefulStopAndSigkillOrphansAreSweptAndAllEndsClean() throws Exception {
    Path inputLong = Workloads.freshFile(work, "input-long", 32);
    List<Path> inputsEnding = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      inputsEnding.add(Workloads.freshFile(work, "input-ending-" + i, 16));
    }
    Path orphanInput = Workloads.freshFile(work, "input-orphan", 16);
    long baseline = DyingMemcgs.stableBaseline(driver);

    nm.start();
    Path goLong = work.resolve("go-long");
    Path goEnding = work.resolve("go-ending");
    Waiting longRunning = submitWaiting("long", inputLong, goLong, 256);
    List<Waiting> ending = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ending.add(submitWaiting("ending-" + i, inputsEnding.get(i), goEnding, 128));
    }
    await("all four containers to run", () -> Files.exists(longRunning.seen())
        && ending.stream().allMatch(w -> Files.exists(w.seen())));
    Path longCgroup = longRunning.cgroup();
    assertEquals(Optional.of(longCgroup), driver.mount().cgroupOfProcess(Files.readString(longRunning.seen())));
    assertEquals(256 * ONE_MB, driver.stats(longCgroup).limit());

    // A container cgroup no NodeManager knows of, with a process and page cache in it: an orphan.
    Path orphan = root.resolve("container_1700000000000_9999_01_000001");
    driver.create(orphan);
    assertEquals(0, new ProcessBuilder(driver.joinThenExec(orphan, Workloads.readNoAtime(orphanInput)))
        .inheritIO().start().waitFor());
    Process orphanProcess = new ProcessBuilder(driver.joinThenExec(orphan, List.of("sleep", "3600"))).start();
    await("the orphan's process to join", () -> hasProcesses(orphan));

    // 1. Graceful stop with recovery and supervision: the containers keep running in their cgroups.
    nm.terminate();
    assertTrue(hasProcesses(longCgroup), "a graceful supervised stop leaves the container running");
    for (Waiting w : ending) {
      assertTrue(hasProcesses(w.cgroup()), "the container of " + w.app() + " still runs");
    }

    // 2. Restart: reacquired containers keep their cgroups and limits; the orphan is swept at start.
    nm.start();
    // Swept: killed and cleaned, so removed, or retired with page cache someone may read again.
    await("the orphan to be swept", () -> !Files.exists(orphan) || YarnClusters.isRetired(orphan));
    assertTrue(orphanProcess.waitFor(30, TimeUnit.SECONDS), "the orphan's process was killed");
    assertTrue(hasProcesses(longCgroup), "the reacquired container was not touched");
    assertEquals(256 * ONE_MB, driver.stats(longCgroup).limit(), "its limit is kept");

    // 3. SIGKILL the NodeManager while it completes three containers.
    Files.createFile(goEnding);
    await("a container to exit", () -> ending.stream().anyMatch(w -> {
      try {
        return !hasProcesses(w.cgroup());
      } catch (Exception e) {
        return true;
      }
    }));
    nm.kill();
    System.out.println("[restart] after SIGKILL: cgroups under the root " + children());
    assertTrue(hasProcesses(longCgroup), "killing the NodeManager destroyed nothing live");

    // 4. Restart again: the ended containers are cleaned, whether recovered as completed or reacquired.
    nm.start();
    for (Waiting w : ending) {
      Path cg = w.cgroup();
      await(cg + " to be cleaned", () -> !Files.exists(cg) || YarnClusters.isRetired(cg));
      assertEquals(0, exitCodeAfterEnd(w.app()), w.app() + " ended with its container's own exit code");
    }
    assertTrue(hasProcesses(longCgroup), "the long container survived two restarts");
    assertEquals(256 * ONE_MB, driver.stats(longCgroup).limit());

    // 5. The container that lived through both restarts ends normally and is cleaned by the new NodeManager.
    Files.createFile(goLong);
    await("the long container to be cleaned",
        () -> !Files.exists(longCgroup) || YarnClusters.isRetired(longCgroup));
    assertEquals(0, exitCodeAfterEnd(longRunning.app()), "the long container's exit reached YARN");

    assertEquals(List.of(), children().stream().filter(c -> !YarnClusters.isRetired(root.resolve(c))).toList(),
        "no cgroup left under the root but retired ones");
    nm.fullLog().lines().filter(l -> l.contains("yarn-memcg:")).forEach(l -> System.out.println("[restart] NM: " + l));
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, root, baseline, 10_000);
    System.out.println("[measure] restart IT: " + left);
    assertTrue(left.nothingPinned(), "nothing of the containers' 112 MiB pins a memcg under the root: " + left);
  }

  static List<String> children() throws IOException {
    List<String> names = new ArrayList<>();
    try (var dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
      dirs.forEach(d -> names.add(d.getFileName().toString()));
    }
    return names;
  }

  /** A NodeManager in its own JVM, so that it can be terminated and killed like a real one. */
  static final class ExternalNodeManager {
    private final Path dir;
    private final YarnConfiguration conf;
    private Process process;
    private int starts;

    ExternalNodeManager(Path dir, YarnConfiguration conf) {
      this.dir = dir;
      this.conf = conf;
    }

    void start() throws Exception {
      Path confDir = Files.createDirectories(dir.resolve("conf"));
      try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
        conf.writeXml(out);
      }
      // First on the classpath, so it wins over the test log4j.properties; registration lines are counted.
      Files.writeString(confDir.resolve("log4j.properties"), String.join("\n",
          "log4j.rootLogger=WARN, stdout",
          "log4j.logger.io.github.yarnmemcg=INFO",
          "log4j.logger.org.apache.hadoop.yarn.server.nodemanager.NodeStatusUpdaterImpl=INFO",
          "log4j.logger.org.apache.hadoop.yarn.server.nodemanager.containermanager.ContainerManagerImpl=INFO",
          "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
          "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
          "log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{2} - %m%n", ""));
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx512m", "-XX:TieredStopAtLevel=1",
          "-cp", confDir + File.pathSeparator + System.getProperty("java.class.path"),
          "org.apache.hadoop.yarn.server.nodemanager.NodeManager");
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nm.log").toFile()));
      process = pb.start();
      starts++;
      String address = conf.get(YarnConfiguration.NM_ADDRESS);
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      await("NodeManager start " + starts + " to register", () -> {
        assertTrue(process.isAlive(), "the NodeManager process died: " + log());
        try {
          return client.getNodeReports(NodeState.RUNNING).stream().map(NodeReport::getNodeId)
              .anyMatch(id -> id.getPort() == port) && registeredSince(starts);
        } catch (Exception e) {
          return false;
        }
      });
    }

    /** The ResourceManager saw this start's registration: its log says so once per start. */
    private boolean registeredSince(int start) {
      return fullLog().split("Registered with ResourceManager as", -1).length - 1 >= start;
    }

    void terminate() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the NodeManager stopped on SIGTERM");
    }

    void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }

    String log() {
      String text = fullLog();
      return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    String fullLog() {
      try {
        return Files.readString(dir.resolve("nm.log"));
      } catch (IOException e) {
        return "(no log: " + e.getMessage() + ")";
      }
    }
  }
}
