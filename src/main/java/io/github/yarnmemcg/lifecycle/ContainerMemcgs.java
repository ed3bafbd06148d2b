package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Pressure;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.apache.commons.io.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of every container's memory cgroup under one root, the door the NodeManager adapters call: created and
 * limited before the container starts, and on completion handed to a background {@link Cleanup} that kills,
 * waits or drains as the node's {@link CleanupPolicy} says, and removes, so that the completion path never waits
 * for the kernel. Only directories named like YARN container ids, directly under the root, are ever created,
 * written or removed.
 */
public final class ContainerMemcgs implements Closeable {

  private static final Logger LOG = LoggerFactory.getLogger(ContainerMemcgs.class);

  /** The shape of {@code ContainerId.toString()}: nothing else can name a container cgroup. */
  public static final Pattern CONTAINER_ID = Applications.CONTAINER;


  private final CgroupDriver driver;
  private final Path root;
  private final LifecycleSettings settings;
  private final LifecycleCounters counters = new LifecycleCounters();
  private final Cleanups cleanups;
  private volatile OomWatcher oomWatcher;
  private volatile KernelInterfaces interfaces;
  /** Present where the kernel keeps no peak: see {@link PeakSampler}. */
  private volatile PeakSampler peaks;
  private volatile NodeOomGuard elastic;

  /** A lifecycle without an application signal, for tools that run apart from a NodeManager. */
  public ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings) {
    this(driver, root, settings, Applications.ALL_ENDED);
  }

  /** @param applications which applications have ended on this node (their waiting cgroups may then be drained) */
  public ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings, Applications applications) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.cleanups = new Cleanups(driver, root, settings, counters, applications, RetireSettings.possibleCpus());
  }

  /** With steps run, and time read, by this scheduler, on a node with this many possible CPUs: for unit tests. */
  ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings, Applications applications,
      StepScheduler scheduler, int possibleCpus) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.cleanups = new Cleanups(driver, root, settings, counters, applications, possibleCpus, scheduler);
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
    Path mount = driver.mount().path();
    Path rel = mount.relativize(root);
    Path dir = mount;
    boolean parentOurs = false;
    for (Path part : rel) {
      Path child = dir.resolve(part);
      if (driver.mount().version() == CgroupVersion.V2 && !driver.fs().isDirectory(child)) {
        if (parentOurs) {
          driver.enableMemoryForChildren(dir);
        } else if (!driver.memoryEnabledForChildren(dir)) {
          // Not ours to change: the plugin writes only inside its root.
          throw new IOException("cgroup " + dir + " does not delegate the memory controller to its children"
              + " (its cgroup.subtree_control lacks memory); enable it there before the NodeManager starts: as root,"
              + " echo +memory > " + dir.resolve("cgroup.subtree_control") + " (for a systemd service with"
              + " Delegate=yes: under systemd 254+ an ExecStartPre doing so with DelegateSubgroup=, as in "
              + Delegation.SYSTEMD_DROP_IN + "; under 249-253 bin/yarn-memcg-leaf in ExecStart=, as in "
              + Delegation.SYSTEMD_DROP_IN_249 + ")");
        }
      }
      parentOurs = driver.create(child);
      dir = child;
    }
    driver.enableMemoryForChildren(root);
    interfaces = WritebackNudger.emptyChild(driver, root, "yarn-memcg-probe-", settings.deleteTimeout());
    if (interfaces.peak() == KernelInterfaces.Peak.SAMPLED && peaks == null) {
      PeakSampler sampler = new PeakSampler(driver);
      cleanups.scheduler.every(PeakSampler.PERIOD, sampler::sampleAll);
      peaks = sampler;
    }
    new Delegation(driver).checkCanMoveInto(root);
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
    if (bytes == Long.MAX_VALUE) {
      driver.setHardLimit(root, Long.MAX_VALUE);
      return "no node limit";
    }
    long held = driver.unreclaimable(root);
    if (held > bytes) {
      long limit = driver.stats(root).limit();
      return "node limit " + bytes / ONE_MB + " MiB NOT set: the containers under " + root + " hold " + held / ONE_MB
          + " MiB of anonymous memory and shmem, which the kernel could only free by killing them; the root keeps "
          + (limit == MemoryStats.UNKNOWN || limit >= Long.MAX_VALUE / 2 ? "no limit" : limit / ONE_MB + " MiB");
    }
    driver.setHardLimit(root, bytes);
    return "node limit " + bytes / ONE_MB + " MiB on all containers together";
  }

  /**
   * Elastic mode from now on: containers started later get no hard limit of their own, only the node limit on the
   * root, and the guard chooses whom to kill when all of them together reach it. Call it before the first container
   * starts; the guard's {@link NodeOomGuard#start} is the caller's.
   */
  public void elastic(NodeOomGuard guard) {
    this.elastic = guard;
  }

  /** The elastic mode's guard, when on. */
  public Optional<NodeOomGuard> elastic() {
    return Optional.ofNullable(elastic);
  }

  /**
   * A container reacquired after a NodeManager restart: its cgroup and limits are as they were; elastic mode needs to
   * know its request and type again.
   */
  public void reacquired(String containerId, long memoryBytes, boolean guaranteed) {
    NodeOomGuard guard = elastic;
    if (guard != null) {
      guard.track(containerId, memoryBytes, guaranteed);
    }
  }

  /** The kernel interface used for each function, as read in a probe cgroup by {@link #bootstrap}. */
  public KernelInterfaces interfaces() {
    if (interfaces == null) {
      throw new IllegalStateException("bootstrap() has not run");
    }
    return interfaces;
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
    List<String> ids = new ArrayList<>();
    for (String name : driver.fs().subdirectories(root)) {
      if (CONTAINER_ID.matcher(name).matches()) {
        ids.add(name);
      }
    }
    return ids;
  }

  /**
   * Hands every container cgroup under the root that the rule calls an orphan, and whose cleanup is not already
   * under way, to the same kill, drain and delete as a completed container. This is how cgroups of containers
   * the NodeManager no longer knows (not recovered after a restart, or given up by the reaper) are cleaned.
   *
   * @return the container ids handed to cleanup
   */
  public List<String> sweep(OrphanRule rule) throws IOException {
    List<String> swept = new ArrayList<>();
    Instant now = Instant.now();
    for (String id : containerIds()) {
      if (cleanups.isUnderWay(id)) {
        continue;
      }
      try {
        if (rule.stateOf(driver, cgroupOf(id), id, now) == OrphanRule.State.ORPHAN) {
          complete(id);
          swept.add(id);
        }
      } catch (NoSuchFileException gone) {
        // removed between the listing and the reading: nothing to sweep
      }
    }
    counters.swept.add(swept.size());
    return swept;
  }

  /** Runs {@link #sweep} every {@code interval} on the reaper's thread, until {@link #close}. */
  public void sweepEvery(Duration interval, OrphanRule rule) {
    cleanups.scheduler.every(interval, () -> {
      try {
        List<String> swept = sweep(rule);
        if (!swept.isEmpty()) {
          LOG.warn("periodic sweep: {} cgroup(s) under {} belonged to no running container, cleaning: {}",
              swept.size(), root, swept);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("periodic sweep of {} failed, next in {} ms: {}", root, interval.toMillis(), e.toString());
      }
    });
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
    boolean created;
    try {
      created = driver.create(cgroup);
    } catch (IOException e) {
      if (driver.fs().isDirectory(root)) {
        throw e;
      }
      // The root is the plugin's own and was empty (rmdir refuses otherwise): someone removed it while the
      // NodeManager ran. Making it again is what the operator expects; failing every container would not help.
      synchronized (this) {
        if (!driver.fs().isDirectory(root)) {
          LOG.warn("{}: the root {} was removed underneath yarn-memcg; creating it again", containerId, root);
          bootstrap();
        }
      }
      created = driver.create(cgroup);
    }
    try {
      applyLimits(cgroup, memoryBytes, guaranteed);
      driver.setOomKillsAll(cgroup);
    } catch (IOException | RuntimeException e) {
      if (created) {
        try {
          driver.delete(cgroup, System.nanoTime() + settings.deleteTimeout().toNanos());
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    counters.started.increment();
    NodeOomGuard guard = elastic;
    if (guard != null) {
      guard.track(containerId, memoryBytes, guaranteed);
    }
    PeakSampler sampler = peaks;
    if (sampler != null) {
      try {
        sampler.track(containerId, cgroup);
      } catch (IOException e) {
        LOG.debug("{}: cannot sample its peak: {}", containerId, e.toString());
      }
    }
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
  public synchronized String watchOomKills(OomWatcher.Listener listener) throws IOException {
    if (oomWatcher == null) {
      oomWatcher = new OomWatcher(driver, kill -> {
        counters.oomKills.add(kill.newKills());
        LOG.warn("{}: {}", kill.containerId(), kill.message());
        listener.oomKilled(kill);
      });
    }
    return oomWatcher.how();
  }

  /**
   * Watches a running container for OOM kills (when {@link #watchOomKills} was called): {@link #start} does it for
   * new containers; a NodeManager calls it for the containers it reacquires after a restart.
   */
  public void watchOomKills(String containerId) {
    OomWatcher watcher = oomWatcher;
    if (watcher != null) {
      try {
        watcher.watch(containerId, cgroupOf(containerId));
      } catch (IOException e) {
        LOG.warn("{}: cannot watch for OOM kills, they will be reported when the container ends: {}", containerId,
            e.toString());
      }
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
    Path cgroup = cgroupOf(containerId);
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("container " + containerId + " cannot be resized to " + memoryBytes
          + " bytes");
    }
    NodeOomGuard guard = elastic;
    if (guard != null) {
      // No limit of its own to change: the guard judges it against its new request.
      guard.resized(containerId, memoryBytes, guaranteed);
      applyLimits(cgroup, memoryBytes, guaranteed);
      return;
    }
    MemoryStats now = driver.stats(cgroup);
    boolean lowering = now.limit() != MemoryStats.UNKNOWN && memoryBytes < now.limit();
    if (lowering && now.containerMemory() > memoryBytes) {
      throw new IOException("refusing to lower the memory limit of " + containerId + " to " + memoryBytes / ONE_MB
          + " MiB: its processes use " + now.containerMemory() / ONE_MB + " MiB of anonymous memory and shmem,"
          + " which the kernel could only free by OOM-killing them");
    }
    try {
      if (lowering) {
        applySoftLimits(cgroup, memoryBytes, guaranteed);
        driver.setLimits(cgroup, memoryBytes, settings.swapBytes(memoryBytes));
      } else {
        applyLimits(cgroup, memoryBytes, guaranteed);
      }
    } catch (IOException e) {
      throw new IOException("the kernel refused memory limit " + memoryBytes / ONE_MB + " MiB for " + containerId
          + " (it uses " + now.usage() / ONE_MB + " MiB now): " + e.getMessage(), e);
    }
  }

  private void applyLimits(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    driver.setLimits(cgroup, elastic == null ? memoryBytes : Long.MAX_VALUE, settings.swapBytes(memoryBytes));
    applySoftLimits(cgroup, memoryBytes, guaranteed);
  }

  private void applySoftLimits(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    int softPercent = guaranteed ? settings.softLimitPercent() : LifecycleSettings.OPPORTUNISTIC_SOFT_LIMIT_PERCENT;
    driver.setSoftLimit(cgroup, memoryBytes / 100 * softPercent);
    driver.setSwappiness(cgroup, guaranteed ? settings.swappiness() : LifecycleSettings.OPPORTUNISTIC_SWAPPINESS);
    int highPercent = guaranteed ? 0 : settings.opportunisticHighPercent();
    driver.setThrottleLimit(cgroup, highPercent == 0 ? Long.MAX_VALUE : memoryBytes / 100 * highPercent);
  }

  /** The container's memory now, or empty when it has no cgroup. */
  public Optional<MemoryStats> stats(String containerId) {
    Path cgroup = cgroupOf(containerId);
    try {
      return Optional.of(driver.stats(cgroup));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The container's memory pressure now; empty when it has no cgroup or the kernel reports none (v1). */
  public Optional<Pressure> pressure(String containerId) {
    try {
      return driver.memoryPressure(cgroupOf(containerId));
    } catch (IOException e) {
      return Optional.empty();
    }
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
    Path cgroup = cgroupOf(containerId);
    // First, so that a report under way ends before the final figures are read, and none is made twice.
    OomWatcher watcher = oomWatcher;
    long reported = watcher == null ? 0 : watcher.unwatch(containerId);
    NodeOomGuard guard = elastic;
    if (guard != null) {
      guard.forget(containerId);
    }
    Cleanup running = cleanups.underWay(containerId);
    if (running != null) {
      return new Completion(cgroup, Optional.empty(), running.future, reported, false);
    }
    if (!driver.fs().isDirectory(cgroup)) {
      return new Completion(cgroup, Optional.empty(),
          CompletableFuture.completedFuture(CleanupResult.absent(containerId)), reported, false);
    }
    PeakSampler sampler = peaks;
    Optional<MemoryStats> last = stats(containerId);
    if (sampler != null) {
      last = last.map(s -> sampler.finalPeak(containerId, s));
      if (!last.isPresent()) {
        sampler.forget(containerId);
      }
    }
    Optional<Pressure> pressure = pressure(containerId);
    try {
      driver.signalKill(cgroup);
    } catch (IOException e) {
      LOG.warn("{}: cannot signal leftover processes now, the cleanup will retry: {}", containerId, e.getMessage());
    }
    Cleanup cleanup = new Cleanup(cleanups, containerId, cgroup);
    Cleanup begun = cleanups.begin(cleanup);
    if (begun != cleanup) {
      // Another completion of the same container got there first: it reports the final figures.
      return new Completion(cgroup, Optional.empty(), begun.future, reported, false);
    }
    last.ifPresent(s -> {
      if (s.oomKill() > reported) {
        counters.oomKills.add(s.oomKill() - reported);
      }
      LOG.info("{}: memcg final: limit={} MiB peak={} MiB{} anon={} MiB cache={} MiB shmem={} MiB failcnt={}"
          + " oom_kill={}{}; cleanup: {}", containerId, MemoryStats.mib(s.limit()), MemoryStats.mib(s.peak()),
          sampler != null ? " (" + Completion.SAMPLED + ")" : "",
          MemoryStats.mib(s.anon()), MemoryStats.mib(s.file()), MemoryStats.mib(s.shmem()), s.limitHits(), s.oomKill(),
          pressure.map(p -> "; memory pressure " + p).orElse(""),
          cleanups.policy() == CleanupPolicy.AFTER_APPLICATION ? "waits for " + cleanup.applicationId + " to end"
              : cleanups.policy().name().toLowerCase(Locale.ROOT));
    });
    pressure.ifPresent(p -> counters.memoryStallMicros.add(p.fullTotalMicros()));
    return new Completion(cgroup, last, cleanup.future, reported, sampler != null);
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
    List<WaitingCgroup> all = new ArrayList<>();
    long now = cleanups.scheduler.nanoTime();
    for (Cleanup c : cleanups.waitingNow()) {
      all.add(new WaitingCgroup(c.containerId, c.applicationId, Duration.ofNanos(now - c.waitingSince()),
          c.state() == Cleanup.State.RETIRED, c.held(),
          c.reused() ? Optional.of(Duration.ofNanos(now - c.lastReuse())) : Optional.empty()));
    }
    return all;
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
    NodeOomGuard guard = elastic;
    if (guard != null) {
      guard.close();
    }
    OomWatcher watcher = oomWatcher;
    if (watcher != null) {
      watcher.close();
    }
    cleanups.scheduler.shutdown(settings.deleteTimeout());
  }
}
