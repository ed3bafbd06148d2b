package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;

/**
 * Counts the dying memcgs a run added to the node. The kernel frees a drained cgroup's memcg asynchronously
 * after rmdir, so the count is polled until it is back at the baseline or the settle time has passed; a leak
 * shows as a count that stays above it. Never drops caches or syncs.
 */
public final class DyingMemcgs {
  private DyingMemcgs() {}

  /**
   * The node's dying count once it has stopped moving (two equal readings 200 ms apart, 3 s at most): the
   * kernel frees older dying memcgs whenever their last page goes, which would otherwise hide a leak.
   */
  public static long stableBaseline(CgroupDriver driver) throws IOException, InterruptedException {
    long previous = driver.dyingMemcgs();
    for (int i = 0; i < 15; i++) {
      Thread.sleep(200);
      long now = driver.dyingMemcgs();
      if (now == previous) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  /**
   * Memory still charged under a cgroup whose children are all removed: what its dying descendants hold.
   * Exact for one root, unlike the node-wide count, because a removed memcg's pages stay in its parent's
   * hierarchical usage until they are freed.
   */
  public static long heldByRemovedChildren(CgroupDriver driver, java.nio.file.Path root) throws IOException {
    return driver.stats(root).usage();
  }

  public static long addedSince(CgroupDriver driver, long baseline, long settleMillis) throws IOException {
    long deadline = System.nanoTime() + settleMillis * 1_000_000;
    long added = driver.dyingMemcgs() - baseline;
    for (int attempt = 0; added > 0 && new Backoff(java.time.Duration.ofMillis(1),
        java.time.Duration.ofMillis(200)).pause(attempt, deadline); attempt++) {
      added = driver.dyingMemcgs() - baseline;
    }
    return added;
  }
}
