package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.service.Service;
import org.apache.hadoop.service.ServiceOperations;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
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

  /** The yarn-site.xml an operator writes: the three plugin classes, a root, and the monitor settings. */
  static YarnConfiguration operatorConfiguration(Path root, String processTree) {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, MemcgContainerExecutor.class.getName());
    conf.set(MemcgConfiguration.ROOT.name(), root.toString());
    conf.set(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, processTree);
    // Hadoop 3.5.0 skips the monitor's memory check while this is true (YARN-11967).
    conf.setBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED, false);
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, true);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    conf.setLong(YarnConfiguration.NM_CONTAINER_MON_INTERVAL_MS, 250);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    return conf;
  }

  static MiniYARNCluster startCluster(YarnConfiguration conf, String name) {
    MiniYARNCluster c = new MiniYARNCluster(name, 1, 1, 1);
    c.init(conf);
    c.start();
    return c;
  }

  @BeforeAll
  static void start() throws Exception {
    RealCgroups.require();
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    driver = CgroupDriver.forMount(mount);
    root = mount.path().resolve("yarn-memcg-it-" + UUID.randomUUID().toString().substring(0, 8));
    cluster = startCluster(operatorConfiguration(root, MemcgProcessTree.class.getName()), "memcg-e2e");
    client = YarnClient.createYarnClient();
    client.init(cluster.getConfig());
    client.start();
    assertTrue(cluster.getNodeManager(0).getNMContext().getContainerExecutor() instanceof MemcgContainerExecutor);
  }

  @AfterAll
  static void stop() throws Exception {
    stopThenRemove(driver, root, client, cluster);
  }

  /** Stops the client and the cluster (null-safe), then removes the test's cgroup root even if a stop failed. */
  static void stopThenRemove(CgroupDriver driver, Path root, Service... services) throws IOException {
    try {
      for (Service s : services) {
        ServiceOperations.stop(s);
      }
    } finally {
      if (driver != null) {
        RealCgroups.removeTree(driver, root);
      }
    }
  }

  /** One finished container: the one its application ran, and the diagnostics YARN reported for it. */
  record Ran(ContainerId containerId, YarnApplicationState state, String diagnostics) {}

  /** Runs a shell command as the AM container of a one-attempt application and waits for it to end. */
  static Ran runContainer(YarnClient yarn, String command, int memoryMb) throws Exception {
    return awaitEnd(yarn, submitContainer(yarn, command, memoryMb));
  }

  /** Submits a shell command as the AM container of a one-attempt application. */
  static ApplicationId submitContainer(YarnClient yarn, String command, int memoryMb) throws Exception {
    YarnClientApplication app = yarn.createApplication();
    ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
    ctx.setApplicationName("memcg-e2e");
    ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of(command), null, null,
        null));
    ctx.setResource(Resource.newInstance(memoryMb, 1));
    ctx.setMaxAppAttempts(1);
    try {
      yarn.submitApplication(ctx);
    } catch (org.apache.hadoop.yarn.exceptions.YarnException e) {
      // YarnClient reports an application that already failed while it waited for the submission (a container
      // refused at once) as a failure to submit; the application exists and its report says how it ended.
      YarnApplicationState s = yarn.getApplicationReport(ctx.getApplicationId()).getYarnApplicationState();
      if (s != YarnApplicationState.FAILED && s != YarnApplicationState.KILLED) {
        throw e;
      }
    }
    return ctx.getApplicationId();
  }

  /** Waits for an application submitted by {@link #submitContainer} to end. */
  static Ran awaitEnd(YarnClient yarn, ApplicationId appId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    for (int attempt = 0; ; attempt++) {
      ApplicationReport r = yarn.getApplicationReport(appId);
      YarnApplicationState s = r.getYarnApplicationState();
      if (s == YarnApplicationState.FINISHED || s == YarnApplicationState.FAILED || s == YarnApplicationState.KILLED) {
        return new Ran(ContainerId.newContainerId(r.getCurrentApplicationAttemptId(), 1), s, r.getDiagnostics());
      }
      if (!Backoff.STANDARD.pause(attempt, deadline)) {
        throw new AssertionError("application " + appId + " did not end: " + s);
      }
    }
  }

  /** Waits for the background cleanup to remove the container's cgroup. */
  static void awaitRemoved(Path cgroup) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    for (int attempt = 0; Files.exists(cgroup); attempt++) {
      if (!Backoff.STANDARD.pause(attempt, deadline)) {
        throw new AssertionError(cgroup + " was not removed");
      }
    }
  }

  static int exitCode(Ran ran) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("exitCode: (-?\\d+)").matcher(ran.diagnostics());
    assertTrue(m.find(), "no exit code in: " + ran.diagnostics());
    return Integer.parseInt(m.group(1));
  }

  @Test
  @Tag("v2-6.12")
  void containerReadingFreshFileRunsInItsOwnCgroupAndLeavesNothing() throws Exception {
    Path input = Workloads.freshFile(work, "input-64m", 64);
    Path seen = work.resolve("seen-cgroup");
    long baseline = driver.dyingMemcgs();
    long reportedBefore = executor().memcgs().counters().snapshot().leftCharged();
    Ran ran = runContainer(client, "cat /proc/self/cgroup > " + seen + " && cat " + input + " > /dev/null", 256);
    assertEquals(0, exitCode(ran), ran.diagnostics());

    Path cgroup = root.resolve(ran.containerId().toString());
    String procSelfCgroup = Files.readString(seen);
    assertEquals(Optional.of(cgroup), driver.mount().cgroupOfProcess(procSelfCgroup),
        "the container ran in its own memory cgroup: " + procSelfCgroup);
    awaitRemoved(cgroup);
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
    Ran ran = runContainer(client, "/usr/bin/python3 -c \\\"x = b'a' * (512 << 20)\\\"", 128);
    System.out.println("[e2e] OOM container diagnostics: " + ran.diagnostics());
    assertEquals(137, exitCode(ran), ran.diagnostics());
    assertTrue(ran.diagnostics().contains("Container killed by the kernel OOM killer"), ran.diagnostics());
    assertTrue(ran.diagnostics().contains("limit 128 MiB, peak 128 MiB"), ran.diagnostics());
    awaitRemoved(root.resolve(ran.containerId().toString()));
    assertTrue(executor().memcgs().counters().snapshot().oomKills() >= 1);
  }

  @Test
  void pageCacheBeyondTheLimitDoesNotGetAContainerKilledByTheMonitor() throws Exception {
    Ran ran = runContainer(client, PageCacheHolder.command(cachedFile(work, 512), 3), 128);
    assertEquals(0, exitCode(ran), "mapping 512 MiB of cached file pages under a 128 MiB container is fine: "
        + ran.diagnostics());
    assertFalse(ran.diagnostics().contains("beyond the 'PHYSICAL' memory limit"), ran.diagnostics());
    awaitRemoved(root.resolve(ran.containerId().toString()));
  }

  @Test
  void metricsAreReadableThroughJmx() throws Exception {
    Ran ran = runContainer(client, "cat " + Workloads.freshFile(work, "input-jmx", 16) + " > /dev/null", 128);
    assertEquals(0, exitCode(ran), ran.diagnostics());
    awaitRemoved(root.resolve(ran.containerId().toString()));

    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = metricsBean();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    // The metrics system caches a source's record for up to its period; wait for one taken after the cleanup.
    for (int attempt = 0; ((Number) jmx.getAttribute(bean, "CgroupsRemoved")).longValue() < 1; attempt++) {
      assertTrue(Backoff.STANDARD.pause(attempt, deadline), "CgroupsRemoved never reached 1");
    }
    String seen = metricsThroughJmx();
    System.out.println("[e2e] JMX " + bean + ": " + seen);
    assertTrue(((Number) jmx.getAttribute(bean, "ContainersStarted")).longValue() >= 1);
    assertTrue(((Number) jmx.getAttribute(bean, "BytesDrained")).longValue() >= 15 * MIB,
        "the 16 MiB the container read were drained: " + seen);
    assertTrue(((Number) jmx.getAttribute(bean, "DyingMemcgs")).longValue() >= 0, seen.toString());
    assertEquals(0L, ((Number) jmx.getAttribute(bean, "CgroupsGivenUp")).longValue());
  }

  /** The one YarnMemcg bean of this JVM's NodeManager. */
  static ObjectName metricsBean() throws Exception {
    Set<ObjectName> names = ManagementFactory.getPlatformMBeanServer()
        .queryNames(new ObjectName("Hadoop:name=" + MemcgMetrics.NAME + ",*"), null);
    assertEquals(1, names.size(), "one YarnMemcg bean: " + names);
    return names.iterator().next();
  }

  /** Every YarnMemcg metric as JMX shows it, "name=value ...". */
  static String metricsThroughJmx() throws Exception {
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = metricsBean();
    StringBuilder seen = new StringBuilder();
    for (String attribute : List.of("ContainersStarted", "ContainersCompleted", "CgroupsRemoved", "BytesDrained",
        "DrainTimeMs", "DeleteRetries", "RemovedStillCharged", "OomKills", "CgroupsGivenUp", "CgroupsSwept",
        "WritebackNudges", "PendingCleanups", "ReaperQueueLength", "DyingMemcgs")) {
      seen.append(attribute).append('=').append(jmx.getAttribute(bean, attribute)).append(' ');
    }
    return seen.toString().trim();
  }

  /** A file whose pages are in the page cache, charged to this test process, not to any container. */
  static Path cachedFile(Path dir, int mib) throws IOException, InterruptedException {
    Path file = Workloads.freshFile(dir, "cached-" + mib + "m", mib);
    Workloads.run(List.of("dd", "if=" + file, "of=/dev/null", "bs=1M", "status=none"));
    return file;
  }

  static MemcgContainerExecutor executor() {
    return (MemcgContainerExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
  }
}
