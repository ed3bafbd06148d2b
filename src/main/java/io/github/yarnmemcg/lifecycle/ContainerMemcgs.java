package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.DrainResult;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Processes;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.commons.io.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of every container's memory cgroup under one root: created and limited before the container
 * starts, and on completion killed, drained of page cache and removed in the background so that the
 * completion path never waits for the kernel. Cleanups that fail go to a reaper that retries with backoff
 * and counts what it gives up on. Only directories named like YARN container ids, directly under the root,
 * are ever created, written or removed.
 */
public final class ContainerMemcgs implements Closeable {

  private static final Logger LOG = LoggerFactory.getLogger(ContainerMemcgs.class);

  /** The shape of {@code ContainerId.toString()}: nothing else can name a container cgroup. */
  public static final Pattern CONTAINER_ID = Pattern.compile("container_(e\\d+_)?\\d+_\\d+_\\d+_\\d+");

  private static final long MIB = FileUtils.ONE_MB;
  private static final long REAPER_FIRST_DELAY_MS = 1_000;
  private static final long REAPER_MAX_DELAY_MS = 60_000;
  private static final int CLEANUP_QUEUE = 4096;
  private static final long NUDGE_FIRST_DELAY_MS = 1_000;
  private static final long NUDGE_MAX_DELAY_MS = 16_000;
  private static final long NUDGE_MIN_HORIZON_MS = 60_000;
  private static final long DRAIN_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long DRAIN_WAIT_FIRST_MS = 250;
  private static final long DRAIN_WAIT_MAX_MS = 8_000;

  private final CgroupDriver driver;
  private final Path root;
  private final LifecycleSettings settings;
  private final LifecycleCounters counters = new LifecycleCounters();
  private final ConcurrentHashMap<String, Cleanup> cleanups = new ConcurrentHashMap<>();
  private final ThreadPoolExecutor cleaners;
  private final ScheduledExecutorService reaper;
  private final AtomicLong lastRemovalNanos = new AtomicLong();
  private final AtomicBoolean nudging = new AtomicBoolean();

  /** What {@link #complete} saw synchronously, and the background cleanup it started. */
  public static final class Completion {
    private final Path cgroup;
    private final Optional<MemoryStats> finalStats;
    private final CompletableFuture<CleanupResult> cleanup;

    Completion(Path cgroup, Optional<MemoryStats> finalStats, CompletableFuture<CleanupResult> cleanup) {
      this.cgroup = cgroup;
      this.finalStats = finalStats;
      this.cleanup = cleanup;
    }

    /** The final figures, read by the first completion only (later calls return the cleanup under way). */
    public Optional<MemoryStats> finalStats() {
      return finalStats;
    }

    public CompletableFuture<CleanupResult> cleanup() {
      return cleanup;
    }

    /**
     * When the kernel OOM-killed in this container, the one wording of it, which both executors' adapters report
     * (in the container's diagnostics where Hadoop lets them, else in the log), so that operators grep for one
     * message whichever executor runs the node.
     */
    public Optional<String> oomKill() {
      return finalStats.filter(s -> s.oomKill() > 0).map(s -> String.format(Locale.ROOT,
          "Container killed by the kernel OOM killer in its memory cgroup %s: limit %d MiB, peak %d MiB,"
              + " %d process(es) OOM-killed, limit hit %d times.", cgroup, s.limit() / MIB, s.peak() / MIB, s.oomKill(),
          s.limitHits()));
    }
  }

  public ContainerMemcgs(CgroupDriver driver, Path root, LifecycleSettings settings) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.cleaners = new ThreadPoolExecutor(settings.cleanupThreads(), settings.cleanupThreads(), 30,
        TimeUnit.SECONDS, new ArrayBlockingQueue<>(CLEANUP_QUEUE), daemon("yarn-memcg-cleanup"));
    this.cleaners.allowCoreThreadTimeOut(true);
    this.reaper = Executors.newSingleThreadScheduledExecutor(daemon("yarn-memcg-reaper"));
  }

  public CgroupDriver driver() {
    return driver;
  }

  public Path root() {
    return root;
  }

  public LifecycleCounters counters() {
    return counters;
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
              + " Delegate=yes, an ExecStartPre doing so, as in " + Delegation.SYSTEMD_DROP_IN + ")");
        }
      }
      parentOurs = driver.create(child);
      dir = child;
    }
    driver.enableMemoryForChildren(root);
    createAndRemoveEmptyChild("yarn-memcg-probe-");
    new Delegation(driver).checkCanMoveInto(root);
  }

  /** Creates and removes one empty cgroup under the root, named so that no sweep takes it for a container. */
  private void createAndRemoveEmptyChild(String prefix) throws IOException {
    Path child = root.resolve(prefix + Processes.self());
    driver.create(child);
    driver.delete(child, System.nanoTime() + settings.deleteTimeout().toNanos());
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
      if (cleanups.containsKey(id)) {
        continue;
      }
      try {
        if (rule.stateOf(this, id, now) == OrphanRule.State.ORPHAN) {
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
    reaper.scheduleWithFixedDelay(() -> {
      try {
        List<String> swept = sweep(rule);
        if (!swept.isEmpty()) {
          LOG.warn("periodic sweep: {} cgroup(s) under {} belonged to no running container, cleaning: {}",
              swept.size(), root, swept);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("periodic sweep of {} failed, next in {} ms: {}", root, interval.toMillis(), e.toString());
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
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
    Cleanup pending = cleanups.remove(containerId);
    if (pending != null) {
      pending.supersede();
    }
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
    LOG.debug("{}: memcg {} limit {} MiB ({})", containerId, cgroup, memoryBytes / MIB,
        guaranteed ? "guaranteed" : "opportunistic");
    return cgroup;
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
    MemoryStats now = driver.stats(cgroup);
    boolean lowering = now.limit() != MemoryStats.UNKNOWN && memoryBytes < now.limit();
    if (lowering && now.containerMemory() > memoryBytes) {
      throw new IOException("refusing to lower the memory limit of " + containerId + " to " + memoryBytes / MIB
          + " MiB: its processes use " + now.containerMemory() / MIB + " MiB of anonymous memory and shmem,"
          + " which the kernel could only free by OOM-killing them");
    }
    try {
      if (lowering) {
        applySoftLimits(cgroup, memoryBytes, guaranteed);
        driver.setHardLimit(cgroup, memoryBytes);
      } else {
        applyLimits(cgroup, memoryBytes, guaranteed);
      }
    } catch (IOException e) {
      throw new IOException("the kernel refused memory limit " + memoryBytes / MIB + " MiB for " + containerId
          + " (it uses " + now.usage() / MIB + " MiB now): " + e.getMessage(), e);
    }
  }

  private void applyLimits(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    driver.setHardLimit(cgroup, memoryBytes);
    applySoftLimits(cgroup, memoryBytes, guaranteed);
  }

  private void applySoftLimits(Path cgroup, long memoryBytes, boolean guaranteed) throws IOException {
    int softPercent = guaranteed ? settings.softLimitPercent() : LifecycleSettings.OPPORTUNISTIC_SOFT_LIMIT_PERCENT;
    driver.setSoftLimit(cgroup, memoryBytes / 100 * softPercent);
    driver.setSwappiness(cgroup, guaranteed ? settings.swappiness() : LifecycleSettings.OPPORTUNISTIC_SWAPPINESS);
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

  /** Sends SIGKILL to every process in the container's cgroup, including any that left its process group. */
  public void kill(String containerId) throws IOException {
    driver.signalKill(cgroupOf(containerId));
  }

  /**
   * Ends a container's cgroup: logs its final memory figures, signals any process left in it, and hands the
   * drain and rmdir to the background. Idempotent: a second call returns the cleanup already under way, and a
   * call for a cgroup that is gone returns an {@link CleanupResult.Outcome#ABSENT} result.
   */
  public Completion complete(String containerId) {
    Path cgroup = cgroupOf(containerId);
    Cleanup running = cleanups.get(containerId);
    if (running != null) {
      return new Completion(cgroup, Optional.empty(), running.future);
    }
    if (!driver.fs().isDirectory(cgroup)) {
      return new Completion(cgroup, Optional.empty(), CompletableFuture.completedFuture(new CleanupResult(containerId,
          CleanupResult.Outcome.ABSENT, true, 0, 0, 0, 0, 0)));
    }
    Cleanup cleanup = new Cleanup(containerId, cgroup);
    Cleanup raced = cleanups.putIfAbsent(containerId, cleanup);
    if (raced != null) {
      return new Completion(cgroup, Optional.empty(), raced.future);
    }
    counters.completed.increment();
    counters.pending.increment();
    Optional<MemoryStats> last = stats(containerId);
    last.ifPresent(s -> {
      if (s.oomKill() > 0) {
        counters.oomKills.add(s.oomKill());
      }
      LOG.info("{}: memcg final: limit={} MiB peak={} MiB anon={} MiB cache={} MiB shmem={} MiB failcnt={}"
          + " oom_kill={}", containerId, mib(s.limit()), mib(s.peak()), mib(s.anon()), mib(s.file()),
          mib(s.shmem()), s.limitHits(), s.oomKill());
    });
    try {
      driver.signalKill(cgroup);
    } catch (IOException e) {
      LOG.warn("{}: cannot signal leftover processes now, the cleanup will retry: {}", containerId, e.getMessage());
    }
    submit(cleanup);
    return new Completion(cgroup, last, cleanup.future);
  }

  private void submit(Cleanup cleanup) {
    try {
      cleaners.execute(cleanup);
    } catch (RejectedExecutionException e) {
      if (!reaper.isShutdown()) {
        reaper.schedule(() -> submit(cleanup), REAPER_FIRST_DELAY_MS, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Watches the root after a removal on cgroup v2. There a removed memcg also stays dying while inodes its
   * container dirtied are attached to its writeback context (cgroup writeback). The kernel moves such inodes
   * to the parent only when some memory cgroup goes offline, and it passes over a context whose inodes are
   * still dirty then, which they are right after the container's last write until the flusher has written
   * them (up to {@code vm.dirty_expire_centisecs}, 30 s). On a busy node the next container's removal does
   * this; after the last one nothing would. So while the root reports dying descendants, the reaper creates
   * and removes one empty cgroup under the root, at 1 s doubling to 16 s, for twice the drain budget (at least
   * 60 s) after the last removal. It is local to the root: no sync, no reclaim, nothing outside.
   */
  private void afterRemoval() {
    if (driver.mount().version() != CgroupVersion.V2 || !settings.drainEnabled()) {
      return;
    }
    lastRemovalNanos.set(System.nanoTime());
    if (nudging.compareAndSet(false, true)) {
      scheduleNudge(0);
    }
  }

  private void scheduleNudge(int round) {
    long delay = Math.min(NUDGE_MAX_DELAY_MS, NUDGE_FIRST_DELAY_MS << Math.min(round, 16));
    try {
      reaper.schedule(() -> nudge(round), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shutdown) {
      nudging.set(false);
    }
  }

  private void nudge(int round) {
    long removal = lastRemovalNanos.get();
    long horizonMs = Math.max(NUDGE_MIN_HORIZON_MS, 2 * settings.drainTimeout().toMillis());
    try {
      long dying = driver.dyingMemcgsUnder(root);
      if (dying <= 0 || (System.nanoTime() - removal) / 1_000_000 > horizonMs) {
        nudging.set(false);
        // A removal between the read above and the reset found the watch still on and left it to this one.
        if (lastRemovalNanos.get() != removal && nudging.compareAndSet(false, true)) {
          scheduleNudge(0);
        }
        return;
      }
      createAndRemoveEmptyChild("yarn-memcg-nudge-");
      counters.writebackNudges.increment();
      LOG.debug("{} dying memcg(s) under {}: nudged the kernel's writeback cleanup (round {})", dying, root, round);
    } catch (IOException | RuntimeException e) {
      LOG.debug("writeback nudge under {} failed, retrying later: {}", root, e.toString());
    }
    scheduleNudge(round + 1);
  }

  /**
   * Stops accepting work and waits up to {@code deleteTimeout} for cleanups under way; cgroups left then stay
   * under the root for the next start or a sweep.
   */
  @Override
  public void close() {
    reaper.shutdownNow();
    cleaners.shutdown();
    try {
      if (!cleaners.awaitTermination(settings.deleteTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        cleaners.shutdownNow();
      }
    } catch (InterruptedException e) {
      cleaners.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static String mib(long bytes) {
    return bytes == MemoryStats.UNKNOWN ? "?" : bytes == Long.MAX_VALUE ? "max"
        : String.format("%.1f", bytes / (double) MIB);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** One container's background cleanup; each run is one attempt, and failed attempts go to the reaper. */
  private final class Cleanup implements Runnable {
    final String containerId;
    final Path cgroup;
    final CompletableFuture<CleanupResult> future = new CompletableFuture<>();
    final long begun = System.nanoTime();
    int attempts;
    long drainedBytes;
    int deleteRetries;
    boolean superseded;
    boolean drainBegun;
    long drainBegunNanos;
    int drainWaits;
    volatile boolean drainResumed;

    Cleanup(String containerId, Path cgroup) {
      this.containerId = containerId;
      this.cgroup = cgroup;
    }

    /** Called by a relaunch: waits for a kill or rmdir in progress, then makes sure no other one starts. */
    synchronized void supersede() {
      superseded = true;
      finish(CleanupResult.Outcome.SUPERSEDED, false, 0);
    }

    @Override
    public void run() {
      if (!drainResumed) {
        attempts++;
      }
      drainResumed = false;
      try {
        synchronized (this) {
          if (superseded) {
            return;
          }
          if (!driver.killAll(cgroup, System.nanoTime() + settings.killTimeout().toNanos())) {
            throw new IOException("processes " + driver.pids(cgroup) + " still in " + cgroup + " after SIGKILL");
          }
        }
        long leftCharged = 0;
        if (settings.drainEnabled()) {
          long now = System.nanoTime();
          if (!drainBegun) {
            drainBegun = true;
            drainBegunNanos = now;
          }
          long drainDeadline = drainBegunNanos + settings.drainTimeout().toNanos();
          long sliceEnd = drainDeadline - now > DRAIN_SLICE_NANOS ? now + DRAIN_SLICE_NANOS : drainDeadline;
          DrainResult drain = driver.drain(cgroup, sliceEnd);
          drainedBytes += drain.drainedBytes();
          counters.drainedBytes.add(drain.drainedBytes());
          counters.drainNanos.add(drain.nanos());
          if (!drain.complete() && drainDeadline - System.nanoTime() > 0) {
            awaitPages(drain, drainDeadline);
            return;
          }
          leftCharged = drain.leftCharged();
          if (leftCharged > 0) {
            MemoryStats s = drain.after();
            LOG.warn("{}: memory still charged after draining for {} ms: file={} shmem={} dirty={} writeback={}"
                + " mapped={} bytes; removing the cgroup anyway, the kernel will keep it as a dying memcg",
                containerId, (System.nanoTime() - drainBegunNanos) / 1_000_000,
                s.file(), s.shmem(), s.dirty(), s.writeback(), s.mappedFile());
          }
        }
        if (Thread.currentThread().isInterrupted()) {
          // The NodeManager is stopping: removing a cgroup whose drain was cut short would leave it dying.
          LOG.info("{}: cleanup interrupted by shutdown, memcg {} stays for the next start", containerId, cgroup);
          return;
        }
        synchronized (this) {
          if (superseded) {
            return;
          }
          int retries = driver.delete(cgroup, System.nanoTime() + settings.deleteTimeout().toNanos());
          deleteRetries += retries;
          counters.deleteRetries.add(retries);
          if (leftCharged > 0) {
            counters.leftCharged.increment();
          }
          counters.cleaned.increment();
          finish(CleanupResult.Outcome.CLEANED, true, leftCharged);
          afterRemoval();
        }
      } catch (IOException | RuntimeException e) {
        retryLater(e);
      }
    }

    /**
     * Gives the thread back while the cgroup, empty of processes, waits for pages the kernel cannot reclaim yet
     * (dirty until the flusher writes them, held by a filesystem's journal, pinned by another process): the
     * reaper hands it back to a cleanup thread at once after progress, else at 250 ms doubling to 8 s, so that a
     * waiting drain never keeps other containers' cleanups queued. The budget counts from the first drain.
     */
    private void awaitPages(DrainResult drain, long drainDeadline) {
      boolean progressed = drain.drainedBytes() > 0;
      drainWaits = progressed ? 0 : drainWaits + 1;
      long delay = progressed ? 0 : Math.min(DRAIN_WAIT_MAX_MS, DRAIN_WAIT_FIRST_MS << Math.min(drainWaits - 1, 16));
      delay = Math.min(delay, Math.max(0, (drainDeadline - System.nanoTime()) / 1_000_000));
      try {
        reaper.schedule(() -> {
          drainResumed = true;
          submit(this);
        }, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shutdown) {
        // Removing a cgroup whose drain was cut short would leave it dying.
        LOG.info("{}: cleanup stopped by shutdown, memcg {} stays for the next start", containerId, cgroup);
      }
    }

    private void retryLater(Exception e) {
      long elapsedMs = (System.nanoTime() - begun) / 1_000_000;
      if (elapsedMs >= settings.reaperGiveUp().toMillis() || reaper.isShutdown()) {
        LOG.error("{}: giving up on memcg {} after {} attempts over {} ms: {}", containerId, cgroup, attempts,
            elapsedMs, e.toString());
        counters.givenUp.increment();
        synchronized (this) {
          finish(CleanupResult.Outcome.GIVEN_UP, false, 0);
        }
        return;
      }
      long delay = Math.min(REAPER_MAX_DELAY_MS, REAPER_FIRST_DELAY_MS << Math.min(attempts - 1, 16));
      LOG.warn("{}: cleanup attempt {} of memcg {} failed, the reaper retries in {} ms: {}", containerId, attempts,
          cgroup, delay, e.getMessage());
      try {
        counters.awaitingRetry.increment();
        reaper.schedule(() -> {
          counters.awaitingRetry.decrement();
          submit(this);
        }, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shutdown) {
        counters.awaitingRetry.decrement();
        synchronized (this) {
          finish(CleanupResult.Outcome.GIVEN_UP, false, 0);
        }
      }
    }

    private void finish(CleanupResult.Outcome outcome, boolean removed, long leftCharged) {
      if (future.isDone()) {
        return;
      }
      cleanups.remove(containerId, this);
      counters.pending.decrement();
      future.complete(new CleanupResult(containerId, outcome, removed, drainedBytes, leftCharged,
          System.nanoTime() - begun, deleteRetries, attempts));
    }
  }
}
