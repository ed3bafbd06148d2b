package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which running container goes when all containers together reach the node limit, by Hadoop's rule (its
 * {@code DefaultOOMHandler}): opportunistic before guaranteed; within each, one that uses more than it requested
 * before one within its request; then the most recently started, which has the least work to lose. Unlike Hadoop's,
 * which compares the cgroup's whole usage with the request, a container's use here is its anonymous memory and shmem:
 * page cache is reclaimed before anyone is killed, and would make a container that reads much look over its request.
 */
public final class VictimOrder {

  private VictimOrder() {}

  /** A running container as the choice sees it. */
  public static final class Candidate {
    private final String containerId;
    private final boolean guaranteed;
    private final long requestBytes;
    private final long usedBytes;
    private final long startedNanos;

    private Candidate(String containerId, boolean guaranteed, long requestBytes, long usedBytes, long startedNanos) {
      this.containerId = containerId;
      this.guaranteed = guaranteed;
      this.requestBytes = requestBytes;
      this.usedBytes = usedBytes;
      this.startedNanos = startedNanos;
    }

    /**
     * @param usedBytes its anonymous memory and shmem now
     * @param startedNanos when its cgroup was made, a {@link System#nanoTime()} value
     */
    public static Candidate of(String containerId, boolean guaranteed, long requestBytes, long usedBytes,
        long startedNanos) {
      return new Candidate(containerId, guaranteed, requestBytes, usedBytes, startedNanos);
    }

    public String containerId() {
      return containerId;
    }

    public boolean guaranteed() {
      return guaranteed;
    }

    public long requestBytes() {
      return requestBytes;
    }

    public long usedBytes() {
      return usedBytes;
    }

    public boolean overRequest() {
      return usedBytes > requestBytes;
    }

    @Override
    public String toString() {
      return containerId + (guaranteed ? " guaranteed" : " opportunistic") + " uses " + usedBytes / ONE_MB + " of "
          + requestBytes / ONE_MB + " MiB";
    }
  }

  /** First the one to kill. */
  public static final Comparator<Candidate> ORDER = Comparator
      .comparing((Candidate c) -> c.guaranteed)
      .thenComparing(c -> !c.overRequest())
      .thenComparing(Comparator.comparingLong((Candidate c) -> c.startedNanos).reversed());

  /** The candidates in kill order. */
  public static List<Candidate> order(List<Candidate> candidates) {
    List<Candidate> sorted = new ArrayList<>(candidates);
    Collections.sort(sorted, ORDER);
    return sorted;
  }

  /** The one to kill, if any. */
  public static Optional<Candidate> choose(List<Candidate> candidates) {
    return candidates.stream().min(ORDER);
  }

  /** Why this one, among the others, in the words of the container's diagnostics. */
  public static String why(Candidate victim, List<Candidate> all, long nowNanos) {
    long sameType = all.stream().filter(c -> c.guaranteed == victim.guaranteed).count();
    long sameTypeAndLimit = all.stream()
        .filter(c -> c.guaranteed == victim.guaranteed && c.overRequest() == victim.overRequest()).count();
    StringBuilder why = new StringBuilder();
    why.append(victim.guaranteed ? "guaranteed" : "opportunistic");
    if (victim.guaranteed && sameType == all.size()) {
      why.append(" (all running containers were)");
    } else if (!victim.guaranteed) {
      why.append(" (opportunistic containers go first)");
    }
    why.append(String.format(Locale.ROOT, ", %s its request (anonymous memory and shmem %d MiB of %d MiB)",
        victim.overRequest() ? "over" : "within", victim.usedBytes / ONE_MB, victim.requestBytes / ONE_MB));
    if (sameTypeAndLimit > 1) {
      why.append(String.format(Locale.ROOT, ", the most recently started of %d such (%.1f s ago)", sameTypeAndLimit,
          (nowNanos - victim.startedNanos) / 1e9));
    }
    return why.toString();
  }
}
