package io.github.yarnmemcg.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.WaitingCgroup;
import io.github.yarnmemcg.nodemanager.MemcgContainerExecutor;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import io.github.yarnmemcg.nodemanager.MemcgMetrics;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.service.Service;
import org.apache.hadoop.service.ServiceOperations;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.ExecutionTypeRequest;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationAttemptState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.NMClient;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real NodeManager (MiniYARNCluster) as the tests drive it: the yarn-site.xml an operator writes, one shell
 * command run as the AM container of a one-attempt application, the cluster stopped and the test's root removed
 * even when a stop fails, and the plugin's metrics as JMX shows them.
 */
public final class YarnClusters {
  private YarnClusters() {}

  /** The yarn-site.xml an operator writes: the three plugin classes, a root, and the monitor settings. */
  public static YarnConfiguration operatorConfiguration(Path root, String processTree) {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, MemcgContainerExecutor.class.getName());
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    conf.set(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, processTree);
    // Hadoop 3.3.6 to 3.5.0 skip the monitor's memory check while this is true (YARN-11967).
    conf.setBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED, false);
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, true);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    conf.setLong(YarnConfiguration.NM_CONTAINER_MON_INTERVAL_MS, 250);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    return conf;
  }

  /**
   * Container logs deleted as each application ends, for tests that read none: a NodeManager still holding an
   * ended application waits for it when it stops (about 7 s) and for its pending log deletion (10 s more).
   */
  public static YarnConfiguration logsDeletedAtApplicationEnd(YarnConfiguration conf) {
    conf.setLong(YarnConfiguration.NM_LOG_RETAIN_SECONDS, 0);
    return conf;
  }

  /** Opportunistic containers as a cluster that runs them has it: allocated by the RM, queued by the NodeManager. */
  public static YarnConfiguration withOpportunisticContainers(YarnConfiguration conf) {
    conf.setBoolean(YarnConfiguration.OPPORTUNISTIC_CONTAINER_ALLOCATION_ENABLED, true);
    conf.setInt(YarnConfiguration.NM_OPPORTUNISTIC_CONTAINERS_MAX_QUEUE_LENGTH, 10);
    return conf;
  }

  /** A client of the cluster, started. */
  public static YarnClient client(MiniYARNCluster cluster) {
    YarnClient client = YarnClient.createYarnClient();
    client.init(cluster.getConfig());
    client.start();
    return client;
  }

  public static MiniYARNCluster startCluster(YarnConfiguration conf, String name) {
    MiniYARNCluster c = new MiniYARNCluster(name, 1, 1, 1);
    c.init(conf);
    c.start();
    return c;
  }

  /** Stops the client and the cluster (null-safe), then removes the test's cgroup root even if a stop failed. */
  public static void stopThenRemove(CgroupDriver driver, Path root, Service... services) throws IOException {
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
  public record Ran(ContainerId containerId, YarnApplicationState state, String diagnostics) {}

  /** Runs a shell command as the AM container of a one-attempt application and waits for it to end. */
  public static Ran runContainer(YarnClient yarn, String command, int memoryMb) throws Exception {
    return awaitEnd(yarn, submitContainer(yarn, command, memoryMb));
  }

  /** Submits a shell command as the AM container of a one-attempt application. */
  public static ApplicationId submitContainer(YarnClient yarn, String command, int memoryMb) throws Exception {
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

  /** An application master running in the test's JVM (unmanaged), registered with the ResourceManager. */
  public record UnmanagedAm(ApplicationId app, AMRMClient<AMRMClient.ContainerRequest> rm, NMClient nm)
      implements AutoCloseable {
    /** Asks for one container of this size and execution type, and waits for the ResourceManager to grant it. */
    public Container allocate(int memoryMb, ExecutionType type) throws Exception {
      rm.addContainerRequest(new AMRMClient.ContainerRequest(Resource.newInstance(memoryMb, 1), null, null,
          Priority.newInstance(0), 0, true, null, ExecutionTypeRequest.newInstance(type, true)));
      return Await.value("a " + type + " container", Duration.ofMinutes(1),
          () -> rm.allocate(0.1f).getAllocatedContainers().stream().findFirst());
    }

    /** Unregisters (the application ends) and stops both clients. */
    @Override
    public void close() throws Exception {
      try {
        rm.unregisterApplicationMaster(FinalApplicationStatus.SUCCEEDED, "", "");
      } finally {
        nm.stop();
        rm.stop();
      }
    }
  }

  /** Submits an application whose master is this JVM, waits for its attempt, and registers it. */
  public static UnmanagedAm unmanagedAm(YarnClient yarn, Configuration conf, String name) throws Exception {
    YarnClientApplication created = yarn.createApplication();
    ApplicationSubmissionContext ctx = created.getApplicationSubmissionContext();
    ApplicationId app = ctx.getApplicationId();
    ctx.setApplicationName(name);
    ctx.setUnmanagedAM(true);
    ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(Map.of(), Map.of(), List.of(), null, null, null));
    yarn.submitApplication(ctx);
    Await.until("the unmanaged AM's attempt", Duration.ofMinutes(1), () -> {
      ApplicationReport r = yarn.getApplicationReport(app);
      return r.getCurrentApplicationAttemptId() != null && yarn.getApplicationAttemptReport(
          r.getCurrentApplicationAttemptId()).getYarnApplicationAttemptState() == YarnApplicationAttemptState.LAUNCHED;
    });
    Token<AMRMTokenIdentifier> token = yarn.getAMRMToken(app);
    token.setService(ClientRMProxy.getAMRMTokenService(conf));
    UserGroupInformation am = UserGroupInformation.createRemoteUser(UserGroupInformation.getCurrentUser().getUserName());
    am.addToken(token);
    AMRMClient<AMRMClient.ContainerRequest> rm = am.doAs((PrivilegedExceptionAction<AMRMClient<
        AMRMClient.ContainerRequest>>) () -> {
      AMRMClient<AMRMClient.ContainerRequest> c = AMRMClient.createAMRMClient();
      c.init(conf);
      c.start();
      c.registerApplicationMaster("", 0, "");
      return c;
    });
    NMClient nm = NMClient.createNMClient();
    nm.init(conf);
    nm.start();
    return new UnmanagedAm(app, rm, nm);
  }

  /** Waits for an application submitted by {@link #submitContainer} to end. */
  public static Ran awaitEnd(YarnClient yarn, ApplicationId appId) throws Exception {
    return Await.value("application " + appId + " to end", Duration.ofMinutes(3), () -> {
      ApplicationReport r = yarn.getApplicationReport(appId);
      YarnApplicationState s = r.getYarnApplicationState();
      boolean ended = s == YarnApplicationState.FINISHED || s == YarnApplicationState.FAILED
          || s == YarnApplicationState.KILLED;
      return ended ? Optional.of(new Ran(ContainerId.newContainerId(r.getCurrentApplicationAttemptId(), 1), s,
          r.getDiagnostics())) : Optional.empty();
    });
  }

  /**
   * Waits for the background cleanup to have cleaned the container's cgroup: removed, or retired (before Linux 7.1,
   * the default keeps a finished container's cgroup, empty and unprotected, while the page cache it was first to read
   * may be read again: the JDK's and the tools' files on a machine that pages idle page cache out). Read from the
   * kernel, so that it holds for a NodeManager in another JVM too.
   */
  public static void awaitCleaned(Path cgroup) throws Exception {
    Await.until(() -> cgroup + " to be removed or retired (empty and unprotected)", Duration.ofSeconds(90),
        () -> !Files.exists(cgroup) || isRetired(cgroup));
  }

  /** A container cgroup the plugin keeps retired, read from the kernel: no process, and no protection. */
  public static boolean isRetired(Path cgroup) {
    try {
      CgroupDriver driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
      String protection = driver.mount().version() == CgroupVersion.V1 ? "memory.soft_limit_in_bytes" : "memory.low";
      return driver.pids(cgroup).isEmpty() && driver.fs().read(cgroup.resolve(protection)).trim().equals("0");
    } catch (IOException gone) {
      return !Files.exists(cgroup);
    }
  }

  /**
   * Waits until every container cgroup under the lifecycle's root has been cleaned: removed, or retired by the
   * lifecycle itself (what stays after the applications ended is then the page cache that others may read again).
   *
   * @return the retired ones, as the lifecycle lists them
   */
  public static List<WaitingCgroup> awaitEveryCgroupCleaned(ContainerMemcgs memcgs) throws Exception {
    Await.until("every container cgroup under " + memcgs.root() + " removed or retired", Duration.ofSeconds(120),
        () -> unsettled(memcgs).isEmpty());
    return memcgs.waiting();
  }

  /**
   * The cgroups the lifecycle keeps retired, after a look now as its periodic pass would: those holding at least the
   * release threshold. One below it goes within seconds, once a second reading after the kernel's statistics flush
   * confirms it, so it is waited for like any other cleanup.
   */
  public static List<WaitingCgroup> keptRetired(ContainerMemcgs memcgs) {
    memcgs.lookAtRetired();
    long threshold = memcgs.settings().retire().releaseBelowBytes();
    return memcgs.waiting().stream().filter(w -> w.retired() && w.held() >= threshold).toList();
  }

  private static Set<String> unsettled(ContainerMemcgs memcgs) throws IOException {
    Set<String> left = new java.util.TreeSet<>(memcgs.containerIds());
    for (WaitingCgroup w : memcgs.waiting()) {
      if (w.retired()) {
        left.remove(w.containerId());
      }
    }
    return left;
  }

  public static int exitCode(Ran ran) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("exitCode: (-?\\d+)").matcher(ran.diagnostics());
    assertTrue(m.find(), "no exit code in: " + ran.diagnostics());
    return Integer.parseInt(m.group(1));
  }

  /** The one YarnMemcg bean of this JVM's NodeManager. */
  public static ObjectName metricsBean() throws Exception {
    Set<ObjectName> names = ManagementFactory.getPlatformMBeanServer()
        .queryNames(new ObjectName("Hadoop:name=" + MemcgMetrics.NAME + ",*"), null);
    assertEquals(1, names.size(), "one YarnMemcg bean: " + names);
    return names.iterator().next();
  }

  /** Every YarnMemcg metric as JMX shows it, "name=value ...". */
  public static String metricsThroughJmx() throws Exception {
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = metricsBean();
    StringBuilder seen = new StringBuilder();
    for (String attribute : List.of("ContainersStarted", "ContainersCompleted", "CgroupsRemoved", "BytesEvicted",
        "DrainTimeMs", "DeleteRetries", "RemovedStillCharged", "OomKills", "CgroupsGivenUp", "CgroupsSwept",
        "WritebackNudges", "PendingCleanups", "ReaperQueueLength", "DyingMemcgs", "RetiredCgroups", "RetiredBytes",
        "RetiredCgroupsReleased", "CgroupsDrainedOverBudget", "BytesEvictedOverBudget")) {
      seen.append(attribute).append('=').append(jmx.getAttribute(bean, attribute)).append(' ');
    }
    return seen.toString().trim();
  }

  /** A file whose pages are in the page cache, charged to this test process, not to any container. */
  public static Path cachedFile(Path dir, int mib) throws IOException, InterruptedException {
    Path file = Workloads.freshFile(dir, "cached-" + mib + "m", mib);
    Workloads.run(List.of("dd", "if=" + file, "of=/dev/null", "bs=1M", "status=none"));
    return file;
  }
}
