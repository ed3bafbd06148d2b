package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cleanups under way on one root and what they share: the driver, the settings, the node's policy, the
 * scheduler, the writeback nudger, the application signal, and the cgroups kept after their containers exited
 * (waiting for their applications, or retired) in the order they began, so that the count cap drains the
 * longest-waiting one first and the retire budget the one {@link RetiredOrder} puts first. Every
 * {@code retire.check-interval-ms} the retirement pass reads each retired cgroup's charge.
 */
final class Cleanups implements CleanupOwner {

  final CgroupDriver driver;
  final LifecycleSettings settings;
  final LifecycleCounters counters;
  final StepScheduler scheduler;
  final Applications applications;
  private final WritebackNudger nudger;
  private final ConcurrentHashMap<String, Cleanup> byId = new ConcurrentHashMap<>();
  private final Set<Cleanup> waiting = new LinkedHashSet<>();
  private final int retireBudget;
  private volatile CleanupPolicy policy;

  Cleanups(CgroupDriver driver, Path root, LifecycleSettings settings, LifecycleCounters counters,
      Applications applications, int possibleCpus) {
    this(driver, root, settings, counters, applications, possibleCpus,
        new CleanupScheduler(settings.cleanupThreads()));
  }

  /** With steps run, and time read, by this scheduler: the unit tests' hand-driven one. */
  Cleanups(CgroupDriver driver, Path root, LifecycleSettings settings, LifecycleCounters counters,
      Applications applications, int possibleCpus, StepScheduler scheduler) {
    this.driver = driver;
    this.settings = settings;
    this.counters = counters;
    this.applications = applications;
    this.scheduler = scheduler;
    this.nudger = new WritebackNudger(driver, root, settings, scheduler, counters);
    this.policy = CleanupPolicy.of(settings, false);
    this.retireBudget = settings.retire().budget(possibleCpus);
    scheduler.every(settings.retire().checkInterval(), () -> scheduler.now(this::lookAtRetired));
  }

  /** The retirement pass: each retired cgroup's charge is read, and those the kernel has let go are removed. */
  @Override
  public CgroupDriver driver() {
    return driver;
  }

  @Override
  public LifecycleSettings settings() {
    return settings;
  }

  @Override
  public LifecycleCounters counters() {
    return counters;
  }

  @Override
  public StepScheduler scheduler() {
    return scheduler;
  }

  @Override
  public Applications applications() {
    return applications;
  }

  void lookAtRetired() {
    for (Cleanup c : waitingNow()) {
      c.look();
    }
  }

  @Override
  public CleanupPolicy policy() {
    return policy;
  }

  void policy(CleanupPolicy decided) {
    policy = decided;
  }

  boolean isUnderWay(String containerId) {
    return byId.containsKey(containerId);
  }

  Cleanup underWay(String containerId) {
    return byId.get(containerId);
  }

  /** Begins this cleanup unless one of the same container is under way already: then returns that one instead. */
  Cleanup begin(Cleanup fresh) {
    Cleanup raced = byId.putIfAbsent(fresh.containerId, fresh);
    if (raced != null) {
      return raced;
    }
    counters.completed.increment();
    counters.pending.increment();
    fresh.begin();
    return fresh;
  }

  /** A relaunch of the container: its cleanup under way stops, leaving the cgroup to the new launch. */
  void supersede(String containerId) {
    Cleanup pending = byId.get(containerId);
    if (pending != null) {
      pending.supersede();
    }
  }

  /** The NodeManager has just deleted files of this application: its waiting cgroups ask again at once. */
  void applicationCleaned(String applicationId) {
    for (Cleanup c : waitingNow()) {
      if (c.applicationId.equals(applicationId)) {
        c.recheck();
      }
    }
  }

  /** The cleanups waiting now, longest-waiting first. */
  synchronized List<Cleanup> waitingNow() {
    return new ArrayList<>(waiting);
  }

  /** The cgroups kept now, waiting for their applications or retired, longest-waiting first, as the API shows them. */
  List<WaitingCgroup> waitingCgroups() {
    List<WaitingCgroup> all = new ArrayList<>();
    long now = scheduler.nanoTime();
    for (Cleanup c : waitingNow()) {
      all.add(new WaitingCgroup(c.containerId, c.applicationId, Duration.ofNanos(now - c.waitingSince()),
          c.state() == Cleanup.State.RETIRED, c.held(),
          c.reused() ? Optional.of(Duration.ofNanos(now - c.lastReuse())) : Optional.empty()));
    }
    return all;
  }

  /** A cleanup begins to wait for its application: over the count cap, the longest-waiting one is drained. */
  @Override
  public void waiting(Cleanup c) {
    Cleanup longest;
    synchronized (this) {
      waiting.add(c);
      counters.waiting.increment();
      longest = waiting.size() > settings.maxWaiting() ? waiting.iterator().next() : null;
      stoppedWaiting(longest);
    }
    if (longest != null) {
      longest.wake(Cleanup.Wake.COUNT_CAP);
    }
  }

  /** A cleanup retires holding this much: over the budget, the retired cgroup least likely to be read again goes. */
  @Override
  public void retired(Cleanup c, long held) {
    Cleanup first;
    synchronized (this) {
      waiting.add(c);
      counters.retired.increment();
      held(c, held);
      first = waiting.size() > retireBudget ? RetiredOrder.first(waiting) : null;
      stoppedWaiting(first);
    }
    if (first != null) {
      first.wake(Cleanup.Wake.OVER_BUDGET);
    }
  }

  /** What a retired cgroup holds now, counted in the gauge while it is retired (a victim already left it). */
  @Override
  public synchronized void held(Cleanup c, long bytes) {
    if (waiting.contains(c)) {
      counters.retiredBytes.add(bytes - c.held());
      c.held(bytes);
    }
  }

  /** A cleanup stops waiting or being retired (does nothing for null or one that has already stopped). */
  @Override
  public synchronized void stoppedWaiting(Cleanup c) {
    if (c != null && waiting.remove(c)) {
      if (c.state() == Cleanup.State.RETIRED) {
        counters.retired.decrement();
        counters.retiredBytes.add(-c.held());
        c.held(0);
      } else {
        counters.waiting.decrement();
      }
    }
  }

  @Override
  public void finished(Cleanup c) {
    byId.remove(c.containerId, c);
    counters.pending.decrement();
  }

  /** A cgroup was removed: on v2, the nudger watches for removed cgroups that dirty inodes still hold. */
  @Override
  public void removed() {
    if (policy != CleanupPolicy.NO_DRAIN) {
      nudger.removed();
    }
  }
}
