package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the root after a removal on cgroup v2. There a removed memcg also stays dying while inodes its container
 * dirtied are attached to its writeback context (cgroup writeback; still so on 7.x kernels, which move the pages
 * themselves to the parent). The kernel moves such inodes to the parent only when some memory cgroup goes
 * offline, and it passes over a context whose inodes are still dirty then, which they are right after the
 * container's last write until the flusher has written them (up to {@code vm.dirty_expire_centisecs}, 30 s). On a
 * busy node the next container's removal does this; after the last one nothing would. So while the root reports
 * dying descendants, this creates and removes one empty cgroup under the root, at 1 s doubling to 16 s, for twice
 * the drain budget (at least 60 s) after the last removal. It is local to the root: no sync, no reclaim.
 */
final class WritebackNudger {

  private static final Logger LOG = LoggerFactory.getLogger(WritebackNudger.class);
  private static final Backoff ROUNDS = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(16));
  private static final Duration MIN_HORIZON = Duration.ofSeconds(60);

  private final CgroupDriver driver;
  private final Path root;
  private final LifecycleSettings settings;
  private final StepScheduler scheduler;
  private final LifecycleCounters counters;
  private final AtomicLong lastRemovalNanos = new AtomicLong();
  private final AtomicBoolean watching = new AtomicBoolean();

  WritebackNudger(CgroupDriver driver, Path root, LifecycleSettings settings, StepScheduler scheduler,
      LifecycleCounters counters) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.scheduler = scheduler;
    this.counters = counters;
  }

  /**
   * Creates and removes one empty cgroup under the root, named so that no sweep takes it for a container.
   *
   * @return the interfaces the driver uses in a container-level cgroup, read in that one meanwhile
   */
  static KernelInterfaces emptyChild(CgroupDriver driver, Path root, String prefix, Duration deleteTimeout)
      throws IOException {
    Path child = root.resolve(prefix + Processes.self());
    driver.create(child);
    try {
      return driver.interfaces(child);
    } finally {
      driver.delete(child, System.nanoTime() + deleteTimeout.toNanos());
    }
  }

  /** A container cgroup was removed: watch the root for its dying descendants (v2 only). */
  void removed() {
    if (driver.mount().version() != CgroupVersion.V2) {
      return;
    }
    lastRemovalNanos.set(System.nanoTime());
    if (watching.compareAndSet(false, true)) {
      schedule(0);
    }
  }

  private void schedule(int round) {
    if (!scheduler.later(ROUNDS.delayNanos(round), () -> round(round))) {
      watching.set(false);
    }
  }

  private void round(int round) {
    long removal = lastRemovalNanos.get();
    long horizon = Math.max(MIN_HORIZON.toNanos(), 2 * settings.drainTimeout().toNanos());
    try {
      long dying = driver.dyingMemcgsUnder(root);
      if (dying <= 0 || System.nanoTime() - removal > horizon) {
        watching.set(false);
        // A removal between the read above and the reset found the watch still on and left it to this one.
        if (lastRemovalNanos.get() != removal && watching.compareAndSet(false, true)) {
          schedule(0);
        }
        return;
      }
      emptyChild(driver, root, "yarn-memcg-nudge-", settings.deleteTimeout());
      counters.writebackNudges.increment();
      LOG.debug("{} dying memcg(s) under {}: nudged the kernel's writeback cleanup (round {})", dying, root, round);
    } catch (IOException | RuntimeException e) {
      LOG.debug("writeback nudge under {} failed, retrying later: {}", root, e.toString());
    }
    schedule(round + 1);
  }
}
