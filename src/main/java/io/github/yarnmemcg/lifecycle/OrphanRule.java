package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * When a container cgroup under the root belongs to no container and may be cleaned: the one rule behind the
 * sweep at NodeManager start, the periodic sweep and {@code yarn-memcg sweep}. Where the NodeManager says which
 * containers it has (its state store at start, its running containers later), a cgroup it does not claim is an
 * orphan, processes or not: they belong to a container that will not be reacquired. Where that is unknown
 * (LinuxContainerExecutor gives its handler no NodeManager context; the CLI runs apart), a cgroup with a process
 * in it is kept, and so is one younger than a minimum age, whose container may be about to start.
 */
public final class OrphanRule {

  /** What the rule says of one container cgroup. */
  public enum State {
    /** The NodeManager has this container. */
    CLAIMED,
    /** Processes are in it: a container is running. */
    RUNNING,
    /** Empty but younger than the minimum age: possibly a container about to start. */
    RECENT,
    /** Empty, and its application still has its files on this node: the NodeManager cleans it when it ends. */
    WAITING,
    /** Nothing will use it again: to be killed, drained and removed like a finished container. */
    ORPHAN
  }

  private final Predicate<String> claimed;
  private final Duration minAge;
  private final Applications applications;

  private OrphanRule(Predicate<String> claimed, Duration minAge, Applications applications) {
    this.claimed = claimed;
    this.minAge = minAge;
    this.applications = applications;
  }

  /** The NodeManager says which containers it has: every other cgroup is an orphan. */
  public static OrphanRule claimedBy(Predicate<String> nodeManagerHas) {
    return new OrphanRule(nodeManagerHas, null, null);
  }

  /** Nobody says which containers exist: only empty cgroups at least {@code minAge} old are orphans. */
  public static OrphanRule emptyAndOlderThan(Duration minAge) {
    return new OrphanRule(null, minAge, null);
  }

  /**
   * For tools apart from the NodeManager ({@code yarn-memcg sweep}, the doctor): only empty cgroups at least
   * {@code minAge} old whose application has ended on this node are orphans; one whose application still runs is
   * waiting, which is the NodeManager's to clean.
   */
  public static OrphanRule emptyOlderThanAndEnded(Duration minAge, Applications applications) {
    return new OrphanRule(null, minAge, applications);
  }

  /** The state of one container cgroup now, read from the kernel where the rule needs it. */
  public State stateOf(CgroupDriver driver, Path cgroup, String containerId, Instant now) throws IOException {
    if (claimed != null) {
      // The NodeManager's word decides: neither processes nor age is read.
      return stateOf(containerId, 0, Duration.ZERO);
    }
    int processes = driver.pids(cgroup).size();
    return stateOf(containerId, processes, processes > 0 ? Duration.ZERO : ageOf(driver, cgroup, now));
  }

  /** The state of a container cgroup whose processes and age the caller has read already (the CLI lists both). */
  public State stateOf(String containerId, int processes, Duration age) {
    if (claimed != null) {
      return claimed.test(containerId) ? State.CLAIMED : State.ORPHAN;
    }
    if (processes > 0) {
      return State.RUNNING;
    }
    if (applications != null && !applications.hasEnded(Applications.applicationOf(containerId))) {
      return State.WAITING;
    }
    return age.compareTo(minAge) < 0 ? State.RECENT : State.ORPHAN;
  }

  /** The cgroup directory's age by its modification time, as sweeps have always measured it. */
  public static Duration ageOf(CgroupDriver driver, Path cgroup, Instant now) throws IOException {
    return Duration.between(driver.fs().attributes(cgroup).lastModifiedTime().toInstant(), now);
  }
}
