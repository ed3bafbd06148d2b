package io.github.yarnmemcg.nodemanager;

import static io.github.yarnmemcg.nodemanager.KeyParser.bool;
import static io.github.yarnmemcg.nodemanager.KeyParser.drainWhen;
import static io.github.yarnmemcg.nodemanager.KeyParser.millis;
import static io.github.yarnmemcg.nodemanager.KeyParser.number;
import static io.github.yarnmemcg.nodemanager.KeyParser.value;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.CLEANUP_THREADS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.CPU_ENABLED;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.DELETE_TIMEOUT_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.DRAIN_ENABLED;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.DRAIN_TIMEOUT_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.DRAIN_WAIT_MAX_CGROUPS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.DRAIN_WAIT_MAX_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.KILL_TIMEOUT_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.OOM_SCORE_ADJ_GUARANTEED;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.OOM_SCORE_ADJ_OPPORTUNISTIC;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.OOM_WATCH;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.OPPORTUNISTIC_HIGH_PERCENT;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.REAPER_GIVE_UP_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.RESIZE_INTERVAL_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.RETIRE_CHECK_INTERVAL_MS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.RETIRE_KERNEL_MEMORY_MB;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.RETIRE_MAX_CGROUPS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.RETIRE_RELEASE_BELOW_KB;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.ROOT;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.SOFT_LIMIT_PERCENT;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.SWAPPINESS;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.SWAP_PERCENT;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.SWEEP_INTERVAL_MS;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The plugin's settings, read from {@code yarn.nodemanager.memcg.*} in yarn-site.xml and validated in full
 * before anything is created, so that a bad value stops the NodeManager with a message naming the key and
 * the value instead of misbehaving later. The keys are listed in {@link MemcgKeys}, each read by {@link KeyParser};
 * the root is placed in the memory controller's mount by {@link MemcgRoot}.
 */
public final class MemcgConfiguration {
  private final Optional<CgroupVersion> mode;
  private final String root;
  private final LifecycleSettings lifecycle;
  private final Duration sweepInterval;
  private final boolean oomWatch;
  private final boolean cpu;
  private final Duration resizeInterval;
  private final long nodeLimitBytes;
  private final boolean elastic;
  private final OomOrder oomOrder;

  private MemcgConfiguration(Optional<CgroupVersion> mode, String root, LifecycleSettings lifecycle,
      Duration sweepInterval, boolean oomWatch, boolean cpu, Duration resizeInterval, long nodeLimitBytes,
      boolean elastic, OomOrder oomOrder) {
    this.mode = mode;
    this.root = root;
    this.lifecycle = lifecycle;
    this.sweepInterval = sweepInterval;
    this.oomWatch = oomWatch;
    this.cpu = cpu;
    this.resizeInterval = resizeInterval;
    this.nodeLimitBytes = nodeLimitBytes;
    this.elastic = elastic;
    this.oomOrder = oomOrder;
  }

  /**
   * The limit on all containers together, on the root ({@link MemcgKeys#NODE_LIMIT_MB}); {@code Long.MAX_VALUE}
   * when there is none.
   */
  public long nodeLimitBytes() {
    return nodeLimitBytes;
  }

  /** Whether containers share the node limit with no limit of their own ({@link MemcgKeys#ELASTIC_ENABLED}). */
  public boolean elastic() {
    return elastic;
  }

  /** The {@code oom_score_adj} each kind of container starts with ({@link MemcgKeys#OOM_SCORE_ADJ_GUARANTEED}). */
  public OomOrder oomOrder() {
    return oomOrder;
  }

  public Optional<CgroupVersion> mode() {
    return mode;
  }

  public String root() {
    return root;
  }

  public LifecycleSettings lifecycle() {
    return lifecycle;
  }

  public Duration sweepInterval() {
    return sweepInterval;
  }

  /** Whether OOM kills in running containers are reported as they happen ({@link MemcgKeys#OOM_WATCH}). */
  public boolean oomWatch() {
    return oomWatch;
  }

  /** Whether containers get their CPU share in their own cgroup ({@link MemcgKeys#CPU_ENABLED}; cgroup v2). */
  public boolean cpu() {
    return cpu;
  }

  /** How often running containers' sizes are reconciled with their cgroups; zero: never. */
  public Duration resizeInterval() {
    return resizeInterval;
  }

  private static final long MAX_TIMEOUT_MS = Duration.ofDays(1).toMillis();

  /**
   * Reads and checks every key, in the order their messages have always come: the first bad value is the one named.
   *
   * @throws IllegalArgumentException naming the key and the value that is wrong
   */
  public static MemcgConfiguration from(Configuration conf) {
    Optional<CgroupVersion> mode = KeyParser.mode(conf);
    String root = value(conf, ROOT);
    MemcgRoot.checkSyntax(root);
    // Read in the order their messages have always come: the first bad value is the one named.
    LifecycleSettings lifecycle = LifecycleSettings.builder()
        .drainEnabled(bool(conf, DRAIN_ENABLED))
        .drainTimeout(Duration.ofMillis(millis(conf, DRAIN_TIMEOUT_MS, 1, MAX_TIMEOUT_MS)))
        .deleteTimeout(Duration.ofMillis(millis(conf, DELETE_TIMEOUT_MS, 1, MAX_TIMEOUT_MS)))
        .killTimeout(Duration.ofMillis(millis(conf, KILL_TIMEOUT_MS, 1, MAX_TIMEOUT_MS)))
        .softLimitPercent((int) number(conf, SOFT_LIMIT_PERCENT, 0, 100))
        .swappiness((int) number(conf, SWAPPINESS, 0, 100))
        .cleanupThreads((int) number(conf, CLEANUP_THREADS, 1, 64))
        .reaperGiveUp(Duration.ofMillis(millis(conf, REAPER_GIVE_UP_MS, 1, Duration.ofDays(30).toMillis())))
        .drainWhen(drainWhen(conf))
        .maxWait(Duration.ofMillis(millis(conf, DRAIN_WAIT_MAX_MS, 0, Duration.ofDays(30).toMillis())))
        .maxWaiting((int) number(conf, DRAIN_WAIT_MAX_CGROUPS, 0, 100_000))
        .opportunisticHighPercent((int) number(conf, OPPORTUNISTIC_HIGH_PERCENT, 0, 100))
        .swapPercent((int) number(conf, SWAP_PERCENT, LifecycleSettings.UNLIMITED_SWAP, 10_000))
        .retire(RetireSettings.of((int) number(conf, RETIRE_MAX_CGROUPS, 0, 1_000_000),
            number(conf, RETIRE_KERNEL_MEMORY_MB, 0, 1L << 20) << 20,
            number(conf, RETIRE_RELEASE_BELOW_KB, 0, 1L << 30) << 10,
            Duration.ofMillis(millis(conf, RETIRE_CHECK_INTERVAL_MS, 100, MAX_TIMEOUT_MS))))
        .build();
    Duration sweepInterval = Duration.ofMillis(millis(conf, SWEEP_INTERVAL_MS, 0, MAX_TIMEOUT_MS));
    return new MemcgConfiguration(mode, root, lifecycle, sweepInterval, bool(conf, OOM_WATCH), bool(conf, CPU_ENABLED),
        Duration.ofMillis(millis(conf, RESIZE_INTERVAL_MS, 0, MAX_TIMEOUT_MS)), KeyParser.nodeLimitBytes(conf),
        KeyParser.elastic(conf), OomOrder.of((int) number(conf, OOM_SCORE_ADJ_GUARANTEED, -1000, 1000),
            (int) number(conf, OOM_SCORE_ADJ_OPPORTUNISTIC, -1000, 1000)));
  }

  /**
   * The root as a path inside the memory controller's mount, refusing anything that leaves it, is the mount
   * itself, passes through a symbolic link, or sits on a filesystem that is not cgroupfs ({@link MemcgRoot}).
   */
  public Path resolveRoot(MemoryMount mount) throws IOException {
    return MemcgRoot.resolve(root, mount);
  }

  /**
   * The memory controller this node has for the configured mode.
   *
   * @throws IllegalArgumentException naming the mode key and value when the node lacks that controller
   */
  public MemoryMount discoverMount() throws IOException {
    return MemcgRoot.discoverMount(mode);
  }

  /**
   * The yarn-site keys with which LinuxContainerExecutor puts each container into cgroups of Hadoop's own as well
   * (its ResourceHandlerModule): on cgroup v2, where a process has one cgroup, the last written wins.
   */
  public static List<String> hadoopCgroupHandlerKeys(Configuration conf) {
    List<String> on = new ArrayList<>();
    for (String key : Arrays.asList(YarnConfiguration.NM_CPU_RESOURCE_ENABLED,
        YarnConfiguration.NM_MEMORY_RESOURCE_ENABLED, YarnConfiguration.NM_NETWORK_RESOURCE_ENABLED,
        YarnConfiguration.NM_DISK_RESOURCE_ENABLED)) {
      if (conf.getBoolean(key, false)) {
        on.add(key);
      }
    }
    return on;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MemcgConfiguration)) {
      return false;
    }
    MemcgConfiguration other = (MemcgConfiguration) o;
    return Objects.equals(mode, other.mode)
        && Objects.equals(root, other.root)
        && Objects.equals(lifecycle, other.lifecycle)
        && Objects.equals(sweepInterval, other.sweepInterval)
        && oomWatch == other.oomWatch
        && cpu == other.cpu
        && Objects.equals(resizeInterval, other.resizeInterval)
        && nodeLimitBytes == other.nodeLimitBytes
        && elastic == other.elastic
        && oomOrder.equals(other.oomOrder);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, root, lifecycle, sweepInterval, oomWatch, cpu, resizeInterval, nodeLimitBytes, elastic,
        oomOrder);
  }
}
