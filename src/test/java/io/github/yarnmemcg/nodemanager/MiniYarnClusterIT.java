package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerUpdateType;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.UpdateContainerRequest;
import org.apache.hadoop.yarn.api.records.YarnApplicationAttemptState;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.NMClient;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real NodeManager (MiniYARNCluster) configured only through yarn-site keys, launching real container
 * processes in their own memory cgroups on the host's kernel.
 */
class MiniYarnClusterIT {

  @TempDir
  static Path work;

  static CgroupDriver driver;
  static Path root;
  static MiniYARNCluster cluster;
  static YarnClient client;

  @BeforeAll
  static void start() throws Exception {
    driver = RealCgroups.hostDriver();
    root = RealCgroups.uniqueRoot(driver);
    org.apache.hadoop.yarn.conf.YarnConfiguration conf = YarnClusters.logsDeletedAtApplicationEnd(
        YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
    // Hadoop 3.3+'s Prometheus endpoint, /prom on the daemons' web servers, as an operator turns it on.
    conf.setBoolean("hadoop.prometheus.endpoint.enabled", true);
    cluster = YarnClusters.startCluster(YarnClusters.withOpportunisticContainers(conf), "memcg-e2e");
    client = YarnClusters.client(cluster);
    assertTrue(cluster.getNodeManager(0).getNMContext().getContainerExecutor() instanceof MemcgContainerExecutor);
  }

  @AfterAll
  static void stop() throws Exception {
    YarnClusters.stopThenRemove(driver, root, client, cluster);
  }

  // On cgroup v2 a real NodeManager runs in the systemd stage (src/test/vm/systemd-recipe), under systemd as PID 1.
  @Test
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
    YarnClusters.awaitCleaned(cgroup);
    if (Files.exists(cgroup)) {
      // Retired (the default before Linux 7.1): the 64 MiB it read stay cached for the next reader, until deleted.
      assertTrue(driver.memoryStat(cgroup).pageCache() >= 63 * ONE_MB, "retired with the file's page cache");
      Files.delete(input);
      Await.until(cgroup + " released once its file is deleted", Duration.ofSeconds(90),
          () -> !Files.exists(cgroup) || driver.memoryStat(cgroup).pageCache() < 2 * ONE_MB);
    }
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, root, baseline, 10_000);
    long reported = executor().memcgs().counters().snapshot().leftCharged() - reportedBefore;
    System.out.println("[measure] MiniYARNCluster container read 64 MiB: " + left + ", cleanups that reported"
        + " memory still charged at the drain budget " + reported);
    // On cgroup v2 over ext4, a container that was the first to touch a filesystem metadata block can leave that one
    // page held by the filesystem past the drain budget while the disk is idle. The contract then:
    // the cleanup reported and counted it, and it is a metadata page or two, not the 64 MiB read.
    boolean reportedMetadataOnly = left.underRoot().map(u -> u.descendants() <= reported).orElse(false)
        && left.pagesAtOnce() <= 64 * 1024;
    assertTrue(left.nothingPinned() || reportedMetadataOnly, "the container left no dying memcg, or only one whose"
        + " cleanup reported a few metadata pages still charged: " + left + ", reported " + reported);
    assertEquals(List.of(), executor().memcgs().containerIds().stream()
        .filter(id -> !YarnClusters.isRetired(root.resolve(id))).toList(), "none left but retired ones");
  }

  @Test
  void containerAllocatingPastItsLimitIsOomKilledAndDiagnosticsSaySo() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client, "/usr/bin/python3 -c \\\"x = b'a' * (512 << 20)\\\"", 128);
    System.out.println("[e2e] OOM container diagnostics: " + ran.diagnostics());
    assertEquals(137, YarnClusters.exitCode(ran), ran.diagnostics());
    // Reported by the watcher while the container ran, or at its completion if that came first: the same words.
    assertTrue(ran.diagnostics().contains("Container killed by the kernel OOM killer"), ran.diagnostics());
    assertTrue(ran.diagnostics().contains("limit 128 MiB, peak 128 MiB"), ran.diagnostics());
    YarnClusters.awaitCleaned(root.resolve(ran.containerId().toString()));
    assertTrue(executor().memcgs().counters().snapshot().oomKills() >= 1);
  }

  @Test
  void anOomKillReachesTheDiagnosticsOfTheContainerWhileItStillRuns() throws Exception {
    Path go = work.resolve("oom-go");
    Path killedAt = work.resolve("oom-killed-at");
    Path script = Files.writeString(work.resolve("oom-then-run-on.sh"), String.join("\n",
        "while [ ! -e " + go + " ]; do sleep 0.05; done",
        "/usr/bin/python3 -c \"x = b'a' * (512 << 20)\"",
        "date +%s%N > " + killedAt + ".tmp && mv " + killedAt + ".tmp " + killedAt,
        "exec sleep 600", ""));
    ApplicationId app = YarnClusters.submitContainer(client, "/bin/sh " + script, 128);
    org.apache.hadoop.yarn.server.nodemanager.Context nm = cluster.getNodeManager(0).getNMContext();
    Container container = Await.value(app + "'s container to run", Duration.ofMinutes(2), () -> nm.getContainers()
        .values().stream().filter(c -> c.getContainerId().getApplicationAttemptId().getApplicationId().equals(app)
            && c.getContainerState() == ContainerState.RUNNING).findFirst());
    // The control: nothing said so before the kill.
    assertFalse(diagnostics(container).contains("OOM killer"), diagnostics(container));
    Files.createFile(go);
    Await.until(() -> "the OOM kill in the diagnostics of " + container.getContainerId() + ": "
        + diagnostics(container), Duration.ofSeconds(60), () -> diagnostics(container).contains("OOM killer"));
    Instant now = Instant.now();
    long seenAt = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    ContainerState state = container.getContainerState();
    String said = diagnostics(container);
    System.out.println("[e2e] diagnostics of a running container after an OOM kill: " + said);
    assertTrue(said.contains("Container killed by the kernel OOM killer in its memory cgroup "
        + root.resolve(container.getContainerId().toString()) + ": limit 128 MiB"), said);
    assertTrue(said.contains("1 process(es) OOM-killed at "), said);
    if (driver.mount().version() == CgroupVersion.V1) {
      // v1 kills the largest process only; the container runs on, and its diagnostics already say why.
      assertEquals(ContainerState.RUNNING, state, said);
      Await.until("the script's timestamp", Duration.ofSeconds(30), () -> Files.exists(killedAt));
      long killed = Long.parseLong(Files.readString(killedAt).trim());
      Matcher at = Pattern.compile(" at (\\S+) \\(").matcher(said);
      assertTrue(at.find(), said);
      Instant reported = Instant.parse(at.group(1));
      System.out.printf("[measure] OOM kill in a running container (MiniYARNCluster, v1), after the killed process's"
          + " parent shell went on: seen by the watcher %.1f ms, in the diagnostics as this test polled them %.1f ms%n",
          (reported.getEpochSecond() * 1_000_000_000L + reported.getNano() - killed) / 1e6, (seenAt - killed) / 1e6);
    }
    client.killApplication(app);
    YarnClusters.awaitEnd(client, app);
    YarnClusters.awaitCleaned(root.resolve(container.getContainerId().toString()));
  }

  @Test
  void aContainerResizedByYarnGetsItsNewLimitInItsCgroupThroughTheReconcile() throws Exception {
    // An unmanaged AM in this JVM: it asks for a container, starts it, then has YARN grow and shrink it.
    try (YarnClusters.UnmanagedAm am = YarnClusters.unmanagedAm(client, cluster.getConfig(), "memcg-resize")) {
      AMRMClient<AMRMClient.ContainerRequest> rm = am.rm();
      NMClient nm = am.nm();
      org.apache.hadoop.yarn.api.records.Container granted = am.allocate(128, ExecutionType.GUARANTEED);
      nm.startContainer(granted, ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of("sleep 600"), null,
          null, null));
      Path cgroup = root.resolve(granted.getId().toString());
      Await.until("the container's cgroup at 128 MiB", Duration.ofMinutes(1),
          () -> Files.isDirectory(cgroup) && driver.stats(cgroup).limit() == 128 * ONE_MB);

      rm.requestContainerUpdate(granted, UpdateContainerRequest.newInstance(granted.getVersion(), granted.getId(),
          ContainerUpdateType.INCREASE_RESOURCE, Resource.newInstance(256, 1), null));
      org.apache.hadoop.yarn.api.records.Container grown = Await.value("YARN's increase", Duration.ofMinutes(1),
          () -> rm.allocate(0.1f).getUpdatedContainers().stream().findFirst().map(u -> u.getContainer()));
      // The control: the ResourceManager granted it but the NodeManager has not been told: the cgroup keeps its size.
      assertEquals(128 * ONE_MB, driver.stats(cgroup).limit(), "the NodeManager's view drives the cgroup");
      long told = System.nanoTime();
      nm.updateContainerResource(grown);
      Await.until(() -> "the cgroup at 256 MiB, now " + limitOf(cgroup), Duration.ofSeconds(30),
          () -> driver.stats(cgroup).limit() == 256 * ONE_MB);
      double growMs = (System.nanoTime() - told) / 1e6;

      rm.requestContainerUpdate(grown, UpdateContainerRequest.newInstance(grown.getVersion(), grown.getId(),
          ContainerUpdateType.DECREASE_RESOURCE, Resource.newInstance(128, 1), null));
      Await.value("YARN's decrease", Duration.ofMinutes(1),
          () -> rm.allocate(0.1f).getUpdatedContainers().stream().findFirst());
      long asked = System.nanoTime();
      Await.until(() -> "the cgroup back at 128 MiB, now " + limitOf(cgroup), Duration.ofSeconds(60),
          () -> driver.stats(cgroup).limit() == 128 * ONE_MB);
      System.out.printf("[measure] resize reached the cgroup: increase %.0f ms after the AM told the NodeManager,"
          + " decrease %.0f ms after the RM granted it (the NodeManager learns it on its next heartbeat)%n", growMs,
          (System.nanoTime() - asked) / 1e6);
      nm.stopContainer(granted.getId(), granted.getNodeId());
      am.close();
      // Its cgroup waits for the application to end (drain.when=auto on this kernel), then goes.
      YarnClusters.awaitCleaned(cgroup);
    }
  }

  /**
   * The node limit and the kill order an operator gets without setting anything: the root limited to the memory YARN
   * gives containers, and each container's processes started with the oom_score_adj of its execution type, read back
   * from the kernel (the control: this JVM, the NodeManager's, has its own value, which a child would inherit).
   */
  @Test
  void theRootHasTheNodeLimitAndContainersStartInYarnsKillOrder() throws Exception {
    long containersMb = org.apache.hadoop.yarn.server.nodemanager.util.NodeManagerHardwareUtils
        .getContainerMemoryMB(cluster.getNodeManager(0).getConfig());
    assertEquals(containersMb * ONE_MB, driver.stats(root).limit(), "the node limit on " + root);
    int own = Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
    try (YarnClusters.UnmanagedAm am = YarnClusters.unmanagedAm(client, cluster.getConfig(), "memcg-oom-order")) {
      Map<ExecutionType, Integer> seen = new java.util.EnumMap<>(ExecutionType.class);
      for (ExecutionType type : List.of(ExecutionType.GUARANTEED, ExecutionType.OPPORTUNISTIC)) {
        org.apache.hadoop.yarn.api.records.Container c = am.allocate(64, type);
        Path out = work.resolve("oom-score-adj-" + type);
        am.nm().startContainer(c, ContainerLaunchContext.newInstance(Map.of(), Map.of(),
            List.of("cat /proc/self/oom_score_adj > " + out + ".tmp && mv " + out + ".tmp " + out), null, null,
            null));
        Await.until(out + " written by the container", Duration.ofMinutes(1), () -> Files.exists(out));
        seen.put(type, Integer.parseInt(Files.readString(out).trim()));
      }
      System.out.println("[measure] oom_score_adj read in containers: " + seen + " (the NodeManager's: " + own + ")");
      assertEquals(Map.of(ExecutionType.GUARANTEED, Math.max(500, own), ExecutionType.OPPORTUNISTIC,
          Math.max(1000, own)), seen);
      assertNotEquals(own, seen.get(ExecutionType.GUARANTEED), "the control: not merely inherited");
    }
  }

  private static String limitOf(Path cgroup) {
    try {
      return driver.stats(cgroup).limit() / ONE_MB + " MiB";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static String diagnostics(Container container) {
    return container.cloneAndGetContainerStatus().getDiagnostics();
  }

  @Test
  void pageCacheBeyondTheLimitDoesNotGetAContainerKilledByTheMonitor() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client,
        PageCacheHolder.command(YarnClusters.cachedFile(work, 512), 3), 128);
    assertEquals(0, YarnClusters.exitCode(ran),
        "mapping 512 MiB of cached file pages under a 128 MiB container is fine: " + ran.diagnostics());
    assertFalse(ran.diagnostics().contains("beyond the 'PHYSICAL' memory limit"), ran.diagnostics());
    YarnClusters.awaitCleaned(root.resolve(ran.containerId().toString()));
  }

  /**
   * The plugin's metrics on Hadoop's Prometheus endpoint, under the names Hadoop's sink gives them (record YarnMemcg,
   * metric ContainersStarted: {@code yarn_memcg_containers_started}). A JVM has one metrics system and one sink named
   * "prometheus": here the ResourceManager's web server registers it first and the NodeManager's then finds the name
   * taken, so its /prom stays empty; the ResourceManager's shows every source of the JVM, the plugin's included, as a
   * NodeManager's own /prom does in a NodeManager's JVM.
   */
  @Test
  void metricsAreOnHadoopsPrometheusEndpointUnderTheNamesTheAlertRulesAndDashboardUse() throws Exception {
    YarnClusters.Ran ran = YarnClusters.runContainer(client, "true", 64);
    assertEquals(0, YarnClusters.exitCode(ran), ran.diagnostics());
    String rm = cluster.getConfig().get(org.apache.hadoop.yarn.conf.YarnConfiguration.RM_WEBAPP_ADDRESS);
    java.net.http.HttpResponse<String> prom = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + rm + "/prom")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, prom.statusCode(), prom.body());
    List<String> ours = prom.body().lines().filter(l -> l.startsWith("yarn_memcg_")).toList();
    System.out.println("[e2e] /prom: " + ours.size() + " yarn_memcg_ lines, e.g. " + ours.stream().limit(3).toList());
    Matcher started = Pattern.compile("(?m)^yarn_memcg_containers_started\\{[^}]*\\} (\\d+)").matcher(prom.body());
    assertTrue(started.find(), "yarn_memcg_containers_started on /prom: " + ours);
    assertTrue(Long.parseLong(started.group(1)) >= 1, started.group());
    // Every metric the shipped alert rules and dashboard use is there under that name, with the label the
    // dashboard selects nodes by.
    for (String shipped : List.of("dist/conf/prometheus/yarn-memcg-alerts.yml",
        "dist/conf/grafana/yarn-memcg-dashboard.json")) {
      Matcher used = Pattern.compile("yarn_memcg_[a-z0-9_]+").matcher(Files.readString(Path.of(shipped)));
      int n = 0;
      while (used.find()) {
        String name = used.group();
        assertTrue(ours.stream().anyMatch(l -> l.startsWith(name + "{") && l.contains("hostname=\"")),
            name + " (" + shipped + ") on /prom with a hostname label: " + ours);
        n++;
      }
      assertTrue(n >= 5, shipped + " names the metrics it uses");
    }
  }

  @Test
  void metricsAreReadableThroughJmx() throws Exception {
    Path input = Workloads.freshFile(work, "input-jmx", 16);
    long removedBefore = executor().memcgs().counters().snapshot().cleaned();
    YarnClusters.Ran ran = YarnClusters.runContainer(client, "cat " + input + " > /dev/null", 128);
    assertEquals(0, YarnClusters.exitCode(ran), ran.diagnostics());
    YarnClusters.awaitCleaned(root.resolve(ran.containerId().toString()));

    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = YarnClusters.metricsBean();
    // The metrics system caches a source's record for up to its period; wait for one taken after the cleanup.
    if (executor().memcgs().policy() == CleanupPolicy.RETIRE) {
      Await.until("RetiredBytes to show the 16 MiB the container read", Duration.ofSeconds(30),
          () -> ((Number) jmx.getAttribute(bean, "RetiredBytes")).longValue() >= 15 * ONE_MB
              && ((Number) jmx.getAttribute(bean, "RetiredCgroups")).longValue() >= 1);
      // Deleted, the file's page cache goes without eviction, and the retired cgroup with it.
      Files.delete(input);
      Await.until("RetiredCgroupsReleased to count it", Duration.ofSeconds(90),
          () -> ((Number) jmx.getAttribute(bean, "RetiredCgroupsReleased")).longValue() >= 1);
    } else {
      Await.until("BytesEvicted to show the 16 MiB the container read drained", Duration.ofSeconds(30),
          () -> ((Number) jmx.getAttribute(bean, "BytesEvicted")).longValue() >= 15 * ONE_MB);
    }
    Await.until("CgroupsRemoved to grow", Duration.ofSeconds(90),
        () -> ((Number) jmx.getAttribute(bean, "CgroupsRemoved")).longValue() > removedBefore);
    String seen = YarnClusters.metricsThroughJmx();
    System.out.println("[e2e] JMX " + bean + ": " + seen);
    assertTrue(((Number) jmx.getAttribute(bean, "ContainersStarted")).longValue() >= 1);
    assertNotEquals(-1L, ((Number) jmx.getAttribute(bean, "DyingMemcgs")).longValue(),
        "DyingMemcgs read the kernel's count (-1 means it could not): " + seen);
    assertEquals(0L, ((Number) jmx.getAttribute(bean, "CgroupsGivenUp")).longValue());
  }

  static MemcgContainerExecutor executor() {
    return (MemcgContainerExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
  }
}
