package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.Applications;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code yarn-memcg sweep}: finds the container cgroups under the root that no container uses any more and,
 * when asked, drains and removes them through the lifecycle's own completion path, so a sweep does exactly
 * what the NodeManager does when a container ends. A cgroup is an orphan when it is named like a YARN
 * container id (the lifecycle's rule), has no process in it, is older than the minimum age, which keeps
 * a sweep on a live node away from a cgroup the NodeManager has just created for a container that is about
 * to start, and its application has ended on this node (its local dirs are gone): one whose application still
 * runs is waiting for the NodeManager to clean it. Anything else under the root, and everything outside it, is
 * never touched.
 */
public final class Sweep {

  /** One container cgroup found under the root. */
  public static final class Found {
    private final String containerId;
    private final OrphanRule.State state;
    private final int processes;
    private final Duration age;
    private final long chargedBytes;

    public Found(String containerId, OrphanRule.State state, int processes, Duration age, long chargedBytes) {
      this.containerId = containerId;
      this.state = state;
      this.processes = processes;
      this.age = age;
      this.chargedBytes = chargedBytes;
    }

    public String containerId() {
      return containerId;
    }

    public OrphanRule.State state() {
      return state;
    }

    public int processes() {
      return processes;
    }

    public Duration age() {
      return age;
    }

    public long chargedBytes() {
      return chargedBytes;
    }
  }

  private final ContainerMemcgs memcgs;
  private final OrphanRule rule;

  public Sweep(ContainerMemcgs memcgs, Duration minAge) {
    this(memcgs, minAge, Applications.ALL_ENDED);
  }

  /** @param applications which applications have ended on this node: a cgroup of one that has not is waiting */
  public Sweep(ContainerMemcgs memcgs, Duration minAge, Applications applications) {
    this.memcgs = memcgs;
    this.rule = OrphanRule.emptyOlderThanAndEnded(minAge, applications);
  }

  /** Every container cgroup under the root with its state, by id. */
  public List<Found> find() throws IOException {
    List<Found> found = new ArrayList<>();
    Instant now = Instant.now();
    for (String id : memcgs.containerIds()) {
      Path cgroup = memcgs.cgroupOf(id);
      try {
        int processes = memcgs.driver().pids(cgroup).size();
        Duration age = OrphanRule.ageOf(memcgs.driver(), cgroup, now);
        OrphanRule.State state = rule.stateOf(id, processes, age);
        long charged = memcgs.stats(id).map(s -> s.usage()).orElse(-1L);
        found.add(new Found(id, state, processes, age, charged));
      } catch (java.nio.file.NoSuchFileException gone) {
        // Removed between the listing and the reading (the NodeManager's own cleanup): nothing to sweep.
      }
    }
    found.sort(Comparator.comparing(Found::containerId));
    return found;
  }

  /**
   * The directories under the root that are not container cgroups: listed so the operator sees them, never
   * touched.
   */
  public List<String> others() throws IOException {
    List<String> names = new ArrayList<>();
    for (String name : memcgs.driver().fs().subdirectories(memcgs.root())) {
      if (!ContainerMemcgs.CONTAINER_ID.matcher(name).matches()) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * Drains and removes the orphans, all at once on the lifecycle's cleanup threads, and waits for each. An
   * orphan that has gained a process since it was found is left alone.
   *
   * @param wait how long to wait for all cleanups together
   */
  public List<CleanupResult> apply(List<Found> found, Duration wait) throws IOException, InterruptedException {
    List<CompletableFuture<CleanupResult>> cleanups = new ArrayList<>();
    for (Found f : found) {
      // Asked again: a container may have started in the cgroup since it was found.
      if (f.state() == OrphanRule.State.ORPHAN
          && rule.stateOf(memcgs.driver(), memcgs.cgroupOf(f.containerId()), f.containerId(),
              Instant.now()) == OrphanRule.State.ORPHAN) {
        cleanups.add(memcgs.complete(f.containerId()).cleanup());
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    List<CleanupResult> results = new ArrayList<>();
    for (CompletableFuture<CleanupResult> c : cleanups) {
      try {
        results.add(c.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException e) {
        throw new IOException("cleanup failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        throw new IOException("cleanups still running after " + wait.getSeconds() + " s; run the sweep again");
      }
    }
    return results;
  }

  public static String table(List<Found> found) {
    Table t = new Table("container", "state", "procs", "age s", "charged MiB");
    for (Found f : found) {
      t.row(f.containerId(), f.state().name().toLowerCase(), f.processes(), f.age().getSeconds(),
          Table.mib(f.chargedBytes()));
    }
    return t.toString();
  }

  public static String resultTable(List<CleanupResult> results) {
    Table t = new Table("container", "outcome", "drained MiB", "left charged MiB", "removed");
    for (CleanupResult r : results) {
      t.row(r.containerId(), r.outcome().name().toLowerCase(), Table.mib(r.evictedBytes()),
          Table.mib(r.leftCharged()), r.removed() ? "yes" : "NO");
    }
    return t.toString();
  }
}
