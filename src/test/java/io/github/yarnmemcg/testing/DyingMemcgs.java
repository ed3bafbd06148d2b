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
