package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Pressure;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of every container's memory cgroup under one root, the door the NodeManager adapters call: created and
 * limited before the container starts, and on completion handed to a background {@link Cleanup} that kills,
 * waits or drains as the node's {@link CleanupPolicy} says, and removes, so that the completion path never waits
 * for the kernel. Only directories named like YARN container ids, directly under the root, are ever created,
 * written or removed. Each job behind the door has its own class: the root's preparation and node limit
 * ({@link NodeRoot}), a container's cgroup with its limits ({@link ContainerLimits}), the OOM watcher and the elastic
 * guard ({@link OomWiring}), the completion path ({@link Completions}), the adoption of orphans ({@link OrphanSweep})
 * and the cleanups under way ({@link Cleanups}).
 */
public final class ContainerMemcgs implements Closeable {

  private static final Logger LOG = LoggerFactory.getLogger(ContainerMemcgs.class);

  /** The shape of {@code ContainerId.toString()}: nothing else can name a container cgroup. */
  public static final Pattern CONTAINER_ID = Applications.CONTAINER;

  private final CgroupDriver driver;
  private final Path root;
  private final LifecycleSettings settings;
  private final LifecycleCounters counters;
  private final Cleanups cleanups;
  private final NodeRoot nodeRoot;
  private final OomWiring oom;
  private final ContainerLimits limits;
  private final OrphanSweep orphans;
  private final Completions completions;

  /** A lifecycle without an application signal, for tools that run apart from a NodeManager. */
  public ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings) {
    this(driver, root, settings, Applications.ALL_ENDED);
  }

  /** @param applications which applications have ended on this node (their waiting cgroups may then be drained) */
  public ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings, Applications applications) {
    this(driver, root, settings,
        new Cleanups(driver, root, settings, new LifecycleCounters(), applications, RetireSettings.possibleCpus()));
  }

  /** With steps run, and time read, by this scheduler, on a node with this many possible CPUs: for unit tests. */
  ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings, Applications applications,
      StepScheduler scheduler, int possibleCpus) {
    this(driver, root, settings,
        new Cleanups(driver, root, settings, new LifecycleCounters(), applications, possibleCpus, scheduler));
  }

  private ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings, Cleanups cleanups) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.cleanups = cleanups;
    this.counters = cleanups.counters;
    this.nodeRoot = new NodeRoot(driver, root, settings, cleanups.scheduler);
    this.oom = new OomWiring(driver, counters);
    this.limits = new ContainerLimits(driver, settings, nodeRoot, oom);
    this.orphans = new OrphanSweep(driver, root, cleanups, counters, this::complete);
    this.completions = new Completions(driver, cleanups, nodeRoot, oom);
  }

  public CgroupDriver driver() {
    return driver;
  }

  public Path root() {
    return root;
  }

  public LifecycleSettings settings() {
    return settings;
  }

  public LifecycleCounters counters() {
    return counters;
  }

  /** What this node does with finished containers' cgroups: from the settings, then {@link #decidePolicy}. */
  public CleanupPolicy policy() {
    return cleanups.policy();
  }

  /**
   * Settles the policy before the first container: with {@code drain.when=auto} (and the drain on), measures with a
   * {@link ReparentProbe} whether this kernel moves a removed cgroup's page cache to its parent.
   *
   * @param scratch where the probe may write and delete its file: a disk the containers use
   * @return what was measured, or why nothing needed measuring
   */
  public String decidePolicy(Path scratch) throws IOException {
    CleanupPolicy.Decision d = CleanupPolicy.decide(settings,
        new ReparentProbe(driver, root, scratch, settings.deleteTimeout()));
    cleanups.policy(d.policy());
    return d.why();
  }

  /**
   * Creates the root (and any missing parents below the mount) and proves it usable by creating and removing
   * a probe cgroup in it. On v2, parents that this call did not create must already delegate memory, and this
   * process must be able to move its children into the root ({@link Delegation#checkCanMoveInto}).
   */
  public void bootstrap() throws IOException {
    nodeRoot.prepare();
  }

  /**
   * Puts one hard limit on the root, over all containers together and the finished containers' cgroups it keeps
   * ({@code Long.MAX_VALUE}: none). Above it the kernel reclaims page cache anywhere under the root, and OOM-kills
   * under the root only when the containers' own memory does not fit. A limit below what the containers under the
   * root hold in anonymous memory and shmem now (a NodeManager restarted with less memory for containers) is not
   * set, since the kernel could only meet it by killing them: the root keeps its limit, and the reason is returned.
   *
   * @return what the root's limit is now, for the log
   */
  public String limitNode(long bytes) throws IOException {
    return nodeRoot.limit(bytes);
  }

  /**
   * Elastic mode from now on: containers started later get no hard limit of their own, only the node limit on the
   * root, and the guard chooses whom to kill when all of them together reach it. Call it before the first container
   * starts; the guard's {@link NodeOomGuard#start} is the caller's.
   */
  public void elastic(NodeOomGuard guard) {
    oom.elastic(guard);
  }

  /** The elastic mode's guard, when on. */
  public Optional<NodeOomGuard> elastic() {
    return oom.elastic();
  }

  /**
   * A container reacquired after a NodeManager restart: its cgroup and limits are as they were; elastic mode needs to
   * know its request and type again.
   */
  public void reacquired(String containerId, long memoryBytes, boolean guaranteed) {
    oom.track(containerId, memoryBytes, guaranteed);
  }

  /** The kernel interface used for each function, as read in a probe cgroup by {@link #bootstrap}. */
  public KernelInterfaces interfaces() {
    return nodeRoot.interfaces();
  }

  /** The cgroup of a container, refusing any id that is not a YARN container id. */
  public Path cgroupOf(String containerId) {
    if (containerId == null || !CONTAINER_ID.matcher(containerId).matches()) {
      throw new IllegalArgumentException("refusing container id '" + containerId + "': not a YARN container id,"
          + " so it cannot name a cgroup directly under " + root);
    }
    return root.resolve(containerId);
  }

  /** The container cgroups that exist under the root now. */
  public List<String> containerIds() throws IOException {
    return orphans.containerIds();
  }

  /**
   * Hands every container cgroup under the root that the rule calls an orphan, and whose cleanup is not already
   * under way, to the same kill, drain and delete as a completed container. This is how cgroups of containers
   * the NodeManager no longer knows (not recovered after a restart, or given up by the reaper) are cleaned.
   *
   * @return the container ids handed to cleanup
   */
  public List<String> sweep(OrphanRule rule) throws IOException {
    return orphans.sweep(rule);
  }

  /** Runs {@link #sweep} every {@code interval} on the reaper's thread, until {@link #close}. */
  public void sweepEvery(Duration interval, OrphanRule rule) {
    orphans.every(interval, rule);
  }

  /**
   * Creates the container's cgroup with its limits, before any of its processes exist. A cleanup of the same
   * container still under way (a relaunch) is stopped first, so that it cannot remove the new cgroup.
   *
   * @param guaranteed guaranteed containers get the soft limit and swappiness of the settings; opportunistic
   *     ones get none and 100, as Hadoop's own handler does
   */
  public Path start(String containerId, long memoryBytes, boolean guaranteed) throws IOException {
    Path cgroup = cgroupOf(containerId);
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("container " + containerId + " has no memory allocated (" + memoryBytes
          + " bytes)");
    }
    cleanups.supersede(containerId);
    limits.create(containerId, cgroup, memoryBytes, guaranteed);
    counters.started.increment();
    oom.track(containerId, memoryBytes, guaranteed);
    nodeRoot.samplePeak(containerId, cgroup);
    watchOomKills(containerId);
    LOG.debug("{}: memcg {} limit {} MiB ({})", containerId, cgroup, memoryBytes / ONE_MB,
        guaranteed ? "guaranteed" : "opportunistic");
    return cgroup;
  }

  /**
   * From now on, OOM kills in running containers are counted, logged and told to the listener as they happen (see
   * {@link OomWatcher}), instead of only when each container completes. Call it before the first container starts.
   *
   * @return how the kernel tells of kills on this node, for the log
   */
  public String watchOomKills(OomWatcher.Listener listener) throws IOException {
    return oom.watchKills(listener);
  }

  /**
   * Watches a running container for OOM kills (when {@link #watchOomKills} was called): {@link #start} does it for
   * new containers; a NodeManager calls it for the containers it reacquires after a restart.
   */
  public void watchOomKills(String containerId) {
    if (oom.watchingKills()) {
      oom.watch(containerId, cgroupOf(containerId));
    }
  }

  /**
   * Applies a new memory size to a running container. Raising sets the hard limit before the soft limit
   * follows it; lowering goes the other way, and is refused when the container's anonymous memory and shmem
   * alone exceed the new limit, because the kernel could then only get under it by OOM-killing the container
   * (v2) or refuse with EBUSY after reclaiming for a while (v1). Page cache above the new limit is reclaimed by
   * the kernel as part of the write.
   */
  public void update(String containerId, long memoryBytes, boolean guaranteed) throws IOException {
    limits.resize(containerId, cgroupOf(containerId), memoryBytes, guaranteed);
  }

  /** The container's memory now, or empty when it has no cgroup. */
  public Optional<MemoryStats> stats(String containerId) {
    return completions.stats(cgroupOf(containerId));
  }

  /** The container's memory pressure now; empty when it has no cgroup or the kernel reports none (v1). */
  public Optional<Pressure> pressure(String containerId) {
    return completions.pressure(cgroupOf(containerId));
  }

  /** Sends SIGKILL to every process in the container's cgroup, including any that left its process group. */
  public void kill(String containerId) throws IOException {
    driver.signalKill(cgroupOf(containerId));
  }

  /**
   * Ends a container's cgroup: logs its final memory figures, signals any process left in it, and hands the rest
   * (by the node's {@link #policy}: wait for the application, drain, rmdir) to the background. Idempotent: a second
   * call returns the cleanup already under way, and a call for a cgroup that is gone returns an
   * {@link CleanupResult.Outcome#ABSENT} result.
   */
  public Completion complete(String containerId) {
    return completions.complete(containerId, cgroupOf(containerId));
  }

  /**
   * The NodeManager has just deleted files of this application (its executor's deleteAsUser returned): cgroups
   * waiting for it ask at once whether it has ended, instead of at their next poll.
   */
  public void applicationCleaned(String applicationId) {
    cleanups.applicationCleaned(applicationId);
  }

  /**
   * The finished containers' cgroups kept now, waiting for their applications or retired, in the order they began.
   */
  public List<WaitingCgroup> waiting() {
    return cleanups.waitingCgroups();
  }

  /** Reads every retired cgroup's charge now, as the periodic retirement pass does, and removes those let go. */
  public void lookAtRetired() {
    cleanups.lookAtRetired();
  }

  /**
   * Stops accepting work and waits up to {@code deleteTimeout} for cleanups under way; cgroups left then stay
   * under the root for the next start or a sweep.
   */
  @Override
  public void close() {
    oom.close();
    cleanups.scheduler.shutdown(settings.deleteTimeout());
  }
}
