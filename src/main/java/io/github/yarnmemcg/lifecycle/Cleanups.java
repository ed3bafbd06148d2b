package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cleanups under way on one root and what they share: the driver, the settings, the node's policy, the
 * scheduler, the writeback nudger, the application signal, and the cgroups waiting for their applications in the
 * order they began to wait, so that the count cap drains the longest-waiting one first.
 */
final class Cleanups {

  final CgroupDriver driver;
  final LifecycleSettings settings;
  final LifecycleCounters counters;
  final CleanupScheduler scheduler;
  final Applications applications;
  private final WritebackNudger nudger;
  private final ConcurrentHashMap<String, Cleanup> byId = new ConcurrentHashMap<>();
  private final Set<Cleanup> waiting = new LinkedHashSet<>();
  private volatile CleanupPolicy policy;

  Cleanups(CgroupDriver driver, Path root, LifecycleSettings settings, LifecycleCounters counters,
      Applications applications) {
    this.driver = driver;
    this.settings = settings;
    this.counters = counters;
    this.applications = applications;
    this.scheduler = new CleanupScheduler(settings.cleanupThreads());
    this.nudger = new WritebackNudger(driver, root, settings, scheduler, counters);
    this.policy = CleanupPolicy.of(settings, false);
  }

  CleanupPolicy policy() {
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

  void waiting(Cleanup c) {
    Cleanup longest = null;
    synchronized (this) {
      waiting.add(c);
      counters.waiting.increment();
      if (waiting.size() > settings.maxWaiting()) {
        longest = waiting.iterator().next();
        waiting.remove(longest);
        counters.waiting.decrement();
      }
    }
    if (longest != null) {
      longest.wake(Cleanup.Wake.COUNT_CAP);
    }
  }

  synchronized void stoppedWaiting(Cleanup c) {
    if (waiting.remove(c)) {
      counters.waiting.decrement();
    }
  }

  void finished(Cleanup c) {
    byId.remove(c.containerId, c);
    counters.pending.decrement();
  }

  /** A cgroup was removed: on v2, the nudger watches for removed cgroups that dirty inodes still hold. */
  void removed() {
    if (policy != CleanupPolicy.NO_DRAIN) {
      nudger.removed();
    }
  }
}
