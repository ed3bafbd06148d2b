package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adoption of container cgroups nobody completes: at start and then periodically, every directory under the root
 * named like a container id, whose cleanup is not under way and which the {@link OrphanRule} calls an orphan, is
 * handed to the same completion as a finished container. This is how the cgroups of containers the NodeManager no
 * longer knows (not recovered after a restart, or given up by the reaper) are cleaned; the completion itself is the
 * caller's, so that a swept cgroup goes exactly the way a finished one does.
 */
final class OrphanSweep {

  private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

  private final CgroupDriver driver;
  private final Path root;
  private final Cleanups cleanups;
  private final LifecycleCounters counters;
  private final Consumer<String> complete;

  OrphanSweep(CgroupDriver driver, Path root, Cleanups cleanups, LifecycleCounters counters,
      Consumer<String> complete) {
    this.driver = driver;
    this.root = root;
    this.cleanups = cleanups;
    this.counters = counters;
    this.complete = complete;
  }

  /** The container cgroups that exist under the root now: only these names are ever swept. */
  List<String> containerIds() throws IOException {
    List<String> ids = new ArrayList<>();
    for (String name : driver.fs().subdirectories(root)) {
      if (Applications.CONTAINER.matcher(name).matches()) {
        ids.add(name);
      }
    }
    return ids;
  }

  /** @return the container ids handed to completion */
  List<String> sweep(OrphanRule rule) throws IOException {
    List<String> swept = new ArrayList<>();
    Instant now = Instant.now();
    for (String id : containerIds()) {
      if (cleanups.isUnderWay(id)) {
        continue;
      }
      try {
        if (rule.stateOf(driver, root.resolve(id), id, now) == OrphanRule.State.ORPHAN) {
          complete.accept(id);
          swept.add(id);
        }
      } catch (NoSuchFileException gone) {
        // removed between the listing and the reading: nothing to sweep
      }
    }
    counters.swept.add(swept.size());
    return swept;
  }

  /** Sweeps every {@code interval} on the reaper's thread; a failed sweep is logged and the next one comes anyway. */
  void every(Duration interval, OrphanRule rule) {
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
}
