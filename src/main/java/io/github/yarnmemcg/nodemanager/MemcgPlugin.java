package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.Version;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.lifecycle.ContainerCpu;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.NodeOomGuard;
import io.github.yarnmemcg.lifecycle.OomWatcher;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.ContainerTokenIdentifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin on one NodeManager, what both executors' adapters share: it validates {@code yarn.nodemanager.memcg.*}
 * before anything is created, prepares the root (a failure says what to change), registers the metrics, and holds
 * the Hadoop-free lifecycle ({@link ContainerMemcgs}) that the adapters call directly. Hadoop's types end here:
 * the allocation in MiB becomes bytes, the token's execution type becomes "guaranteed".
 */
public final class MemcgPlugin implements Closeable {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgPlugin.class);

  private final MemcgConfiguration settings;
  private final ContainerMemcgs memcgs;
  private final boolean metricsRegistered;
  /** CPU in the containers' cgroups and the shares it gives, when {@code cpu.enabled}; else both null. */
  private final ContainerCpu cpu;
  private final HadoopCpuShares cpuShares;

  private MemcgPlugin(MemcgConfiguration settings, ContainerMemcgs memcgs, boolean metricsRegistered,
      ContainerCpu cpu, HadoopCpuShares cpuShares) {
    this.settings = settings;
    this.memcgs = memcgs;
    this.metricsRegistered = metricsRegistered;
    this.cpu = cpu;
    this.cpuShares = cpuShares;
  }

  /**
   * Reads the settings and prepares the root.
   *
   * @throws IOException naming the key and value, or the path and what to change, when the NodeManager must not
   *     start
   */
  public static MemcgPlugin start(Configuration conf) throws IOException {
    MemcgConfiguration settings;
    try {
      settings = MemcgConfiguration.from(conf);
    } catch (IllegalArgumentException e) {
      throw new IOException("yarn-memcg cannot start: " + e.getMessage(), e);
    }
    try {
      MemoryMount mount = settings.discoverMount();
      Path root = settings.resolveRoot(mount);
      CgroupDriver driver = CgroupDrivers.forMount(mount);
      LocalDirApplications applications = new LocalDirApplications(LocalDirApplications.localDirs(conf));
      ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, settings.lifecycle(), applications);
      try {
        memcgs.bootstrap();
      } catch (IOException e) {
        memcgs.close();
        throw new IOException(MemcgRoot.bootstrapFailure(root, driver, e), e);
      }
      String nodeLimit;
      try {
        nodeLimit = memcgs.limitNode(settings.nodeLimitBytes());
        if (settings.elastic()) {
          NodeOomGuard guard = new NodeOomGuard(driver, root, settings.nodeLimitBytes(),
              MemcgKeys.NODE_LIMIT_MB.name(), memcgs::cgroupOf, settings.lifecycle().killTimeout());
          memcgs.elastic(guard);
          nodeLimit += "; " + guard.start();
        } else {
          // A root left by an elastic NodeManager before: the kernel acts alone again.
          driver.holdOffOomKiller(root, false);
          driver.setThrottleLimit(root, Long.MAX_VALUE);
        }
      } catch (IOException e) {
        memcgs.close();
        throw new IOException("cannot set " + MemcgKeys.NODE_LIMIT_MB.name() + " on " + root + ": "
            + e.getMessage(), e);
      }
      ContainerCpu cpu = null;
      HadoopCpuShares shares = null;
      if (settings.cpu()) {
        if (mount.version() == CgroupVersion.V1) {
          memcgs.close();
          throw new IOException("invalid yarn-memcg setting " + MemcgKeys.CPU_ENABLED.name() + "='true':"
              + " the memory controller is on cgroup v1, where CPU is a hierarchy of its own; leave it false and use"
              + " Hadoop's CPU handler (LinuxContainerExecutor, " + YarnConfiguration.NM_CPU_RESOURCE_ENABLED + ")");
        }
        // Only here: Hadoop's hardware detection reads the node's CPUs, which nothing else needs.
        shares = HadoopCpuShares.from(conf);
        try {
          cpu = new ContainerCpu(driver.cpu().orElseThrow(() -> new IOException("the " + mount.version()
              + " driver has no cpu controller")), root);
          cpu.enable(shares.forAllContainers());
        } catch (IOException e) {
          memcgs.close();
          throw new IOException(MemcgKeys.CPU_ENABLED.name() + " is true but " + e.getMessage(), e);
        }
        LOG.info("yarn-memcg: CPU in the containers' cgroups as Hadoop's v2 CPU handler computes it ({}); all"
            + " containers together: {}", shares, shares.forAllContainers().map(Object::toString).orElse("no cap"));
      }
      String why = decidePolicy(memcgs, applications);
      boolean metrics = new MemcgMetrics(memcgs).register(DefaultMetricsSystem.instance());
      LOG.info("yarn-memcg {}: container memory cgroups under {} (cgroup {}, kernel {}: {}); {}; {} ({}){}",
          Version.get(), root,
          mount.version().name().toLowerCase(), System.getProperty("os.version"), memcgs.interfaces().describe(),
          nodeLimit,
          memcgs.policy().description(), why,
          memcgs.policy() == CleanupPolicy.RETIRE
              ? "; retire budget: " + settings.lifecycle().retire().describe(RetireSettings.possibleCpus()) : "");
      return new MemcgPlugin(settings, memcgs, metrics, cpu, shares);
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("yarn-memcg cannot start: " + e.getMessage(), e);
    }
  }

  /**
   * Runs the kernel probe in the first local dir, the disk the containers' files are on. A probe that fails
   * costs nothing but its answer: the node then waits for applications to end, which is safe on every kernel.
   */
  private static String decidePolicy(ContainerMemcgs memcgs, LocalDirApplications applications) {
    Path scratch = applications.dirs().isEmpty() ? Paths.get(System.getProperty("java.io.tmpdir"))
        : applications.dirs().get(0);
    try {
      return memcgs.decidePolicy(scratch);
    } catch (IOException | RuntimeException e) {
      LOG.warn("yarn-memcg: the kernel probe in {} failed, retiring finished containers' cgroups: {}", scratch,
          e.toString());
      return "the probe failed: " + e.getMessage();
    }
  }

  /**
   * Reports OOM kills in running containers as they happen, unless {@code oom-watch.enabled} is false: the lifecycle
   * logs and counts each, then tells the listener (the executor's diagnostics).
   */
  public void watchOomKills(OomWatcher.Listener listener) throws IOException {
    if (settings.oomWatch()) {
      LOG.info("yarn-memcg: OOM kills in running containers are {}", memcgs.watchOomKills(listener));
    }
  }

  public ContainerMemcgs memcgs() {
    return memcgs;
  }

  public MemcgConfiguration settings() {
    return settings;
  }

  /** Cleans, once, every container cgroup under the root that the rule calls an orphan. */
  public List<String> sweepAtStart(OrphanRule rule) throws IOException {
    List<String> swept = memcgs.sweep(rule);
    if (!swept.isEmpty()) {
      LOG.info("yarn-memcg: {} cgroup(s) under {} belong to no container the NodeManager has, cleaning: {}",
          swept.size(), memcgs.root(), swept);
    }
    return swept;
  }

  /** Then, every {@code sweep.interval-ms} (unless 0), every one that the rule calls an orphan. */
  public void sweepPeriodically(OrphanRule rule) {
    if (!settings.sweepInterval().isZero()) {
      memcgs.sweepEvery(settings.sweepInterval(), rule);
    }
  }

  /**
   * Creates and limits a container's cgroup before its first process exists: the one start both executors call.
   *
   * @throws IOException naming the container and why, which fails the container's launch
   */
  public Path startContainer(String containerId, Resource resource, boolean guaranteed) throws IOException {
    try {
      Path cgroup = memcgs.start(containerId, memoryBytes(resource), guaranteed);
      if (cpu != null) {
        cpu.apply(cgroup, cpuShares.forContainer(resource.getVirtualCores(), guaranteed));
      }
      return cgroup;
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("cannot create the memory cgroup of " + containerId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Applies a running container's new size to its cgroup: memory (lowering is refused while the container holds more
   * than the new size) and, with {@code cpu.enabled}, its CPU share.
   */
  public void updateContainer(String containerId, Resource resource, boolean guaranteed) throws IOException {
    memcgs.update(containerId, memoryBytes(resource), guaranteed);
    if (cpu != null) {
      cpu.apply(memcgs.cgroupOf(containerId), cpuShares.forContainer(resource.getVirtualCores(), guaranteed));
    }
  }

  /** A container's memory as YARN allocates it (MiB), in bytes. */
  public static long memoryBytes(Resource resource) {
    return resource.getMemorySize() * FileUtils.ONE_MB;
  }

  /** Hadoop's rule: a container without a token identifier is guaranteed. */
  public static boolean isGuaranteed(ContainerTokenIdentifier token) {
    return token == null || token.getExecutionType() != ExecutionType.OPPORTUNISTIC;
  }

  /** Unregisters the metrics and stops the background cleanup (cgroups left stay for the next start). */
  @Override
  public void close() {
    if (metricsRegistered) {
      DefaultMetricsSystem.instance().unregisterSource(MemcgMetrics.NAME);
    }
    memcgs.close();
  }
}
