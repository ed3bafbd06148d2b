package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.lifecycle.VictimOrder.Candidate;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elastic mode's node-wide choice: containers have no limit of their own, only the node limit on the root, and when
 * all of them together come close to it the NodeManager kills the one YARN would ({@link VictimOrder}), not the
 * kernel. Every {@link #PERIOD} it reads the root: on v1, where the kernel's OOM killer is held off in the root, it
 * acts when tasks wait at the limit ({@code under_oom}); on both versions it acts as soon as the containers' anonymous
 * memory and shmem pass the {@link #threshold} below the limit, since on v2 the OOM killer cannot be held off and
 * {@code memory.high}, set to the threshold on the root, only slows allocations down for the moments this takes.
 * One victim at a time: the next is chosen only once the last one's processes are gone (or the kill timeout passed).
 */
public final class NodeOomGuard implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeOomGuard.class);

  /** How often the root is read: about what a kill takes on v1, and 10 small reads a second. */
  public static final Duration PERIOD = Duration.ofMillis(100);

  /** Told of each container the guard kills, with the words for its diagnostics. */
  public interface Listener {
    void killed(String containerId, String message);
  }

  private static final class Tracked {
    final long requestBytes;
    final boolean guaranteed;
    final long startedNanos;

    Tracked(long requestBytes, boolean guaranteed, long startedNanos) {
      this.requestBytes = requestBytes;
      this.guaranteed = guaranteed;
      this.startedNanos = startedNanos;
    }
  }

  private final CgroupDriver driver;
  private final Path root;
  private final long nodeLimit;
  private final String limitKey;
  private final Function<String, Path> cgroupOf;
  private final Duration killTimeout;
  private final Map<String, Tracked> running = new ConcurrentHashMap<>();
  private final LongAdder kills = new LongAdder();
  private volatile Listener listener = (id, message) -> { };
  private ScheduledExecutorService timer;
  private boolean heldOff;
  private String killing;
  private long killingSince;

  /**
   * @param limitKey the setting that made the node limit, named in the diagnostics
   * @param cgroupOf where a container's cgroup is
   */
  public NodeOomGuard(CgroupDriver driver, Path root, long nodeLimit, String limitKey,
      Function<String, Path> cgroupOf, Duration killTimeout) {
    if (nodeLimit <= 0 || nodeLimit == Long.MAX_VALUE) {
      throw new IllegalArgumentException("elastic mode needs a node limit, not " + nodeLimit);
    }
    this.driver = driver;
    this.root = root;
    this.nodeLimit = nodeLimit;
    this.limitKey = limitKey;
    this.cgroupOf = cgroupOf;
    this.killTimeout = killTimeout;
  }

  /**
   * Where the guard acts: the node limit less a headroom of 1/32 of it, at least 64 MiB and at most 1 GiB, which the
   * containers' page cache and the kernel's own use fill while a victim is chosen and dies.
   */
  public static long threshold(long nodeLimit) {
    long headroom = Math.min(1L << 30, Math.max(64 * ONE_MB, nodeLimit / 32));
    return Math.max(nodeLimit / 2, nodeLimit - headroom);
  }

  public long threshold() {
    return threshold(nodeLimit);
  }

  /**
   * Sets the root up for the guard (v1: the OOM killer held off; v2: {@code memory.high} at the threshold) and reads
   * it every {@link #PERIOD} from now on.
   *
   * @return how the guard acts on this node, for the log
   */
  public synchronized String start() throws IOException {
    heldOff = driver.holdOffOomKiller(root, true);
    if (!heldOff) {
      driver.setThrottleLimit(root, threshold());
    }
    if (timer == null) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "yarn-memcg-node-oom");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::checkLogged, PERIOD.toNanos(), PERIOD.toNanos(), TimeUnit.NANOSECONDS);
    }
    return String.format(Locale.ROOT, "elastic: containers limited together by the node limit %d MiB, the"
        + " NodeManager kills the one YARN would choose once they hold %d MiB of anonymous memory and shmem%s",
        nodeLimit / ONE_MB, threshold() / ONE_MB,
        heldOff ? " or wait at the limit (the kernel's OOM killer held off in the root)"
            : " (memory.high of the root there)");
  }

  /** Who is told of each kill (the executor, to put it in the container's diagnostics). */
  public void listener(Listener listener) {
    this.listener = listener;
  }

  /** A container started (or was reacquired) with this request. */
  public void track(String containerId, long requestBytes, boolean guaranteed) {
    running.put(containerId, new Tracked(requestBytes, guaranteed, System.nanoTime()));
  }

  /** A running container's request changed. */
  public void resized(String containerId, long requestBytes, boolean guaranteed) {
    running.computeIfPresent(containerId, (id, t) -> new Tracked(requestBytes, guaranteed, t.startedNanos));
  }

  /** A container ended. */
  public void forget(String containerId) {
    running.remove(containerId);
  }

  /** How many containers the guard has killed. */
  public long kills() {
    return kills.sum();
  }

  private void checkLogged() {
    try {
      check();
    } catch (IOException | RuntimeException e) {
      LOG.warn("yarn-memcg: cannot read the node's containers at {}: {}", root, e.toString());
    }
  }

  /**
   * One look at the root, as the timer takes it (tests call it directly): kills one container when the node needs
   * it and none is dying already.
   *
   * @return the container killed by this look
   */
  public synchronized Optional<String> check() throws IOException {
    boolean waiting = heldOff && driver.underOom(root);
    long held = driver.unreclaimable(root);
    if (!waiting && held < threshold()) {
      killing = null;
      return Optional.empty();
    }
    if (killing != null) {
      boolean gone = driver.pids(cgroupOf.apply(killing)).isEmpty();
      if (!gone && System.nanoTime() - killingSince < killTimeout.toNanos()) {
        return Optional.empty();
      }
      running.remove(killing);
      killing = null;
    }
    List<Candidate> candidates = new ArrayList<>();
    for (Map.Entry<String, Tracked> e : running.entrySet()) {
      Path cgroup = cgroupOf.apply(e.getKey());
      if (!driver.fs().isDirectory(cgroup) || driver.pids(cgroup).isEmpty()) {
        continue;
      }
      Tracked t = e.getValue();
      candidates.add(Candidate.of(e.getKey(), t.guaranteed, t.requestBytes,
          driver.memoryStat(cgroup).containerMemory(), t.startedNanos));
    }
    Optional<Candidate> victim = VictimOrder.choose(candidates);
    if (!victim.isPresent()) {
      LOG.warn("yarn-memcg: the containers under {} hold {} MiB of anonymous memory and shmem, past {} MiB of the"
          + " node limit, but no running container is known to choose from", root, held / ONE_MB, threshold() / ONE_MB);
      return Optional.empty();
    }
    Candidate v = victim.get();
    String message = String.format(Locale.ROOT, "Container killed by yarn-memcg to keep the node within its limit:"
        + " all containers together held %d MiB of anonymous memory and shmem against the node limit %d MiB (%s)%s;"
        + " chosen as YARN chooses, of %d running: %s.", held / ONE_MB, nodeLimit / ONE_MB, limitKey,
        waiting ? ", and tasks waited at the limit" : ", past " + threshold() / ONE_MB + " MiB", candidates.size(),
        VictimOrder.why(v, candidates, System.nanoTime()));
    driver.signalKill(cgroupOf.apply(v.containerId()));
    killing = v.containerId();
    killingSince = System.nanoTime();
    kills.increment();
    LOG.warn("{}: {}", v.containerId(), message);
    listener.killed(v.containerId(), message);
    return Optional.of(v.containerId());
  }

  /** Stops reading and gives the root back to the kernel's OOM killer, so that no task waits with no one watching. */
  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
    try {
      if (heldOff) {
        driver.holdOffOomKiller(root, false);
      }
    } catch (IOException e) {
      LOG.warn("yarn-memcg: cannot let the kernel's OOM killer act in {} again: {}", root, e.toString());
    }
  }
}
