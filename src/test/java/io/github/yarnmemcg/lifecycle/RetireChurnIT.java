package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Churn: thousands of short containers, each leaving 16 MiB of page cache no other container shares (a sparse file's
 * holes, read through the page cache: charged like any file page, with no disk I/O, so the test measures the
 * lifecycle and not the disk). The retired cgroups never exceed the budget; those drained over it are counted with
 * what they evicted; once the files are deleted every retired cgroup is released, no directory is left and nothing
 * stays dying. 2000 containers by default, four times the budget (CI time); the documented run used 5000
 * ({@code -Dyarnmemcg.churn.containers=5000}).
 */
class RetireChurnIT {
  private static final int CONTAINERS = Integer.getInteger("yarnmemcg.churn.containers", 2000);
  private static final int BUDGET = 500;
  private static final int FILE_MIB = 16;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;


  @Test
  void retiredCgroupsNeverExceedTheBudgetAndAllGoOnceTheirFilesDo() throws Exception {
    CgroupDriver driver = cgroups.driver();
    LifecycleSettings settings = Lifecycles.settings(true).withDrainWhen(DrainWhen.OVER_BUDGET, Duration.ofHours(1),
        512).withRetire(RetireSettings.of(BUDGET, 1L << 30, ONE_MB, Duration.ofSeconds(1)));
    memcgs = cgroups.closing(new ContainerMemcgs(driver, cgroups.root(), settings, Applications.ALL_ENDED));
    memcgs.bootstrap();
    long baseline = DyingMemcgs.stableBaseline(driver);
    int most = 0;
    long began = System.nanoTime();
    for (int i = 1; i <= CONTAINERS; i++) {
      Path file = files.resolve("part-" + i);
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(FILE_MIB * ONE_MB);
      }
      String id = Lifecycles.containerId(i);
      Path cg = memcgs.start(id, 64 * ONE_MB, true);
      Workloads.run(driver.joinThenExec(cg, Workloads.readNoAtime(file)));
      memcgs.complete(id);
      most = Math.max(most, memcgs.waiting().size());
      assertTrue(most <= BUDGET, "at most " + BUDGET + " retired, seen " + most + " after container " + i);
    }
    long churnMillis = (System.nanoTime() - began) / 1_000_000;
    Await.until(() -> "every cleanup retired or done: " + memcgs.counters().snapshot(), Duration.ofSeconds(120),
        () -> memcgs.counters().snapshot().pendingCleanups() == memcgs.counters().snapshot().retired());
    LifecycleCounters.Snapshot during = memcgs.counters().snapshot();
    System.out.printf("[measure] churn: %d containers x %d MiB in %.1f s (%.1f ms each); at most %d retired (budget"
        + " %d); %d drained over the budget, %.1f MiB evicted by it; %d released before the files went; retired now"
        + " %d holding %.1f MiB%n", CONTAINERS, FILE_MIB, churnMillis / 1000.0, churnMillis / (double) CONTAINERS,
        most, BUDGET, during.drainedOverBudget(), during.evictedOverBudget() / (double) ONE_MB, during.released(),
        during.retired(), during.retiredBytes() / (double) ONE_MB);
    assertTrue(during.retired() <= BUDGET, during.toString());
    // Every container beyond the budget's room made one drain; the kernel's own reclaim may have released some first.
    assertTrue(during.drainedOverBudget() + during.released() >= CONTAINERS - BUDGET, during.toString());
    assertEquals(during.evictedBytes(), during.evictedOverBudget() + releasedEvictions(during),
        "every eviction is either the budget's or a released cgroup's remainder");

    try (var all = Files.list(files)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.delete(p);
      }
    }
    Await.until(() -> "no container cgroup left: " + memcgs.counters().snapshot(), Duration.ofSeconds(120),
        () -> RetireIT.released(memcgs));
    LifecycleCounters.Snapshot after = memcgs.counters().snapshot();
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, cgroups.root(), baseline, 10_000);
    System.out.printf("[measure] churn, once the files were deleted: %d released in all, %.1f MiB freed without"
        + " eviction, %.1f MiB evicted in all (%.1f by the budget); %s%n", after.released(),
        after.freedWithoutEviction() / (double) ONE_MB, after.evictedBytes() / (double) ONE_MB,
        after.evictedOverBudget() / (double) ONE_MB, left);
    assertEquals(CONTAINERS, after.cleaned());
    assertEquals(0, after.retired());
    assertEquals(0, after.retiredBytes(), "what the gauge holds goes with the cgroups");
    assertTrue(left.nothingPinned(), "nothing left charged to a removed memcg: " + left);
  }

  /** What released cgroups' final drains evicted: below the release threshold each. */
  private static long releasedEvictions(LifecycleCounters.Snapshot s) {
    long rest = s.evictedBytes() - s.evictedOverBudget();
    assertTrue(rest <= s.released() * ONE_MB, "each released cgroup evicted less than the threshold: " + s);
    return rest;
  }
}
