package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is told of each container's life to the two optional OOM parts: the {@link OomWatcher}, which reports kills in
 * running containers as they happen, and in elastic mode the {@link NodeOomGuard}, which must know every container's
 * request and type to choose a victim. Both are switched on before the first container and may stay off, so every
 * call here does nothing without them; kept in one place so that start, resize, reacquisition and completion cannot
 * tell one of them and forget the other.
 */
final class OomWiring {

  private static final Logger LOG = LoggerFactory.getLogger(OomWiring.class);

  private final CgroupDriver driver;
  private final LifecycleCounters counters;
  private volatile OomWatcher watcher;
  private volatile NodeOomGuard guard;

  OomWiring(CgroupDriver driver, LifecycleCounters counters) {
    this.driver = driver;
    this.counters = counters;
  }

  /** Starts watching for kills, once; kills are counted and logged before the listener hears of them. */
  synchronized String watchKills(OomWatcher.Listener listener) throws IOException {
    if (watcher == null) {
      watcher = new OomWatcher(driver, kill -> {
        counters.oomKills.add(kill.newKills());
        LOG.warn("{}: {}", kill.containerId(), kill.message());
        listener.oomKilled(kill);
      });
    }
    return watcher.how();
  }

  /** Whether kills are watched: the caller names the cgroup only then, so an id is checked only when it is used. */
  boolean watchingKills() {
    return watcher != null;
  }

  /** Watches a running container; a failure only delays its kills' report to its completion. */
  void watch(String containerId, Path cgroup) {
    OomWatcher w = watcher;
    if (w != null) {
      try {
        w.watch(containerId, cgroup);
      } catch (IOException e) {
        LOG.warn("{}: cannot watch for OOM kills, they will be reported when the container ends: {}", containerId,
            e.toString());
      }
    }
  }

  void elastic(NodeOomGuard on) {
    guard = on;
  }

  Optional<NodeOomGuard> elastic() {
    return Optional.ofNullable(guard);
  }

  boolean isElastic() {
    return guard != null;
  }

  /** A container started or reacquired: the guard learns its request and type. */
  void track(String containerId, long memoryBytes, boolean guaranteed) {
    NodeOomGuard g = guard;
    if (g != null) {
      g.track(containerId, memoryBytes, guaranteed);
    }
  }

  /**
   * A container completes: it is no longer watched nor a possible victim.
   *
   * @return the kills already reported for it while it ran, so that its final figures do not count them again
   */
  long ended(String containerId) {
    OomWatcher w = watcher;
    long reported = w == null ? 0 : w.unwatch(containerId);
    NodeOomGuard g = guard;
    if (g != null) {
      g.forget(containerId);
    }
    return reported;
  }

  void close() {
    NodeOomGuard g = guard;
    if (g != null) {
      g.close();
    }
    OomWatcher w = watcher;
    if (w != null) {
      w.close();
    }
  }
}
