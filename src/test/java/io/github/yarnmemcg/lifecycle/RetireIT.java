package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Disk;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retired cgroups ({@link CleanupPolicy#RETIRE}, the default before Linux 7.1): the page cache a finished container
 * leaves is not evicted while someone may still read it, across applications. Application A's container reads a file
 * no page cache holds and exits; A ends; application B's container reads the same file. The disk reads of B are
 * compared per setting with the drain off (stock Hadoop's behaviour), and the application-end and eager drains are the
 * controls that show the measure can fail. Once the file is deleted, the retired cgroup is released without eviction
 * and nothing stays dying. The budget is proven by which retired cgroup it drains first. Every decision rests on the
 * plugin's own counters and the disk's bytes over a few seconds, never on the machine being idle.
 */
// Not in the v1 guest (CI time): the retire policy's kernel side is the drain and memory.stat, which ContainerMemcgsIT
// and ApplicationEndIT's kernel-dependent tests cover there.
class RetireIT {
  private static final int HOT_MIB = Integer.getInteger("yarnmemcg.retire.hot-mib", 256);
  private static final String APP_A = "application_1700000000000_0001";
  private static final String APP_B = "application_1700000000000_0002";

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  final Set<String> ended = ConcurrentHashMap.newKeySet();
  ContainerMemcgs memcgs;


  ContainerMemcgs open(boolean drain, DrainWhen when, RetireSettings retire) throws Exception {
    if (memcgs != null) {
      memcgs.close();
      RealCgroups.removeTree(cgroups.driver(), cgroups.root());
    }
    LifecycleSettings settings = Lifecycles.settings(drain).withDrainWhen(when, Duration.ofHours(1), 512)
        .withRetire(retire);
    memcgs = cgroups.closing(new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings, ended::contains));
    memcgs.bootstrap();
    return memcgs;
  }

  /** A container of this application that reads the file and exits; its cleanup begins. */
  CompletableFuture<CleanupResult> reader(String app, int n, Path file) throws Exception {
    String id = "container_" + app.substring("application_".length()) + String.format("_01_%06d", n);
    Path cg = memcgs.start(id, 1024 * ONE_MB, true);
    Workloads.run(cgroups.driver().joinThenExec(cg, Workloads.readNoAtime(file)));
    return memcgs.complete(id).cleanup();
  }

  /**
   * @param dyingWhileCached dying memcgs added on the node while the file was still cached, after B read it
   * @param dyingAdded of the root, once the file was deleted (not judged for the drain off: -1)
   */
  record Run(String setting, CleanupPolicy policy, Disk b, long evictedWhileAEnded, long dyingWhileCached,
      long dyingAdded) {
    @Override
    public String toString() {
      return String.format("%-26s policy %-17s B read %6.1f MiB from disk; the plugin evicted %6.1f MiB of A's cache"
          + " before B read; dying memcgs while it was cached %d, once the file was deleted %d", setting, policy,
          b.readBytes() / (double) ONE_MB, evictedWhileAEnded / (double) ONE_MB, dyingWhileCached, dyingAdded);
    }
  }

  /**
   * One setting: A reads a fresh file and ends (its local dirs gone: the application-end signal); B then reads the
   * same file. Seconds pass between the two reads, far below the minute after which a machine's proactive reclaim
   * may page out idle page cache.
   */
  Run crossApplication(String setting, boolean drain, DrainWhen when) throws Exception {
    open(drain, when, RetireSettings.defaults());
    CgroupDriver driver = cgroups.driver();
    long baseline = DyingMemcgs.stableBaseline(driver);
    Path hot = Workloads.freshFile(files, "hot-" + setting, HOT_MIB);
    CompletableFuture<CleanupResult> a = reader(APP_A, 1, hot);
    ended.add(APP_A);
    memcgs.applicationCleaned(APP_A);
    // Whatever the policy does at A's end happens before B reads: its cleanup ends, or it is kept.
    Await.until(() -> setting + ": A's cleanup settled, " + memcgs.waiting().size() + " kept",
        Duration.ofSeconds(60), () -> a.isDone() || memcgs.counters().snapshot().retired() == 1);
    long evicted = memcgs.counters().snapshot().evictedBytes();
    Disk before = Disk.of(files);
    CompletableFuture<CleanupResult> b = reader(APP_B, 1, hot);
    Disk read = Disk.of(files).minus(before);
    long dyingWhileCached = DyingMemcgs.addedSince(driver, baseline, 0);
    if (memcgs.policy() == CleanupPolicy.RETIRE) {
      // Alive, not dying: A's cgroup is still there, retired, holding the file's pages (B's, which holds almost
      // nothing, goes once a second reading confirms it).
      WaitingCgroup kept = memcgs.waiting().get(0);
      assertTrue(kept.retired() && kept.containerId().contains("_0001_01_") && kept.held() >= (HOT_MIB - 1) * ONE_MB,
          setting + ": " + memcgs.counters().snapshot());
    }
    ended.add(APP_B);
    // The hot data goes at last (the table is dropped): whatever is retired is released, nothing stays dying.
    Files.delete(hot);
    memcgs.applicationCleaned(APP_A);
    memcgs.applicationCleaned(APP_B);
    for (CompletableFuture<CleanupResult> f : List.of(a, b)) {
      assertEquals(CleanupResult.Outcome.CLEANED, f.get(120, TimeUnit.SECONDS).outcome(), setting);
    }
    assertEquals(List.of(), memcgs.containerIds(), setting + ": no cgroup left");
    Run r = new Run(setting, memcgs.policy(), read, evicted, dyingWhileCached, drain ? dyingAdded(baseline) : -1);
    System.out.println("[measure] cross-application hot data, " + r);
    return r;
  }

  long dyingAdded(long baseline) throws Exception {
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(cgroups.driver(), cgroups.root(), baseline, 90_000);
    if (cgroups.driver().mount().version() == CgroupVersion.V2) {
      return left.underRoot().orElseThrow().descendants();
    }
    return left.nothingPinned() ? 0 : Math.max(1, left.nodeDyingAdded());
  }

  @Test
  @Tag("v2-6.12")
  void hotDataTheNextApplicationReadsStaysCachedUntilItIsDeleted() throws Exception {
    Run off = crossApplication("drain.enabled=false", false, DrainWhen.AUTO);
    Run def = crossApplication("default (auto)", true, DrainWhen.AUTO);
    Run afterApp = crossApplication("drain.when=application-end", true, DrainWhen.APPLICATION_END);
    Run eager = crossApplication("drain.when=container-exit", true, DrainWhen.CONTAINER_EXIT);
    long hot = HOT_MIB * ONE_MB;
    if (!DyingMemcgs.kernelReparents()) {
      assertEquals(CleanupPolicy.RETIRE, def.policy());
    }
    assertTrue(def.evictedWhileAEnded() <= ONE_MB, "the default evicted nothing of A's page cache: " + def);
    assertTrue(def.b().readBytes() <= off.b().readBytes() * 1.1 + 16 * ONE_MB,
        "B reads no more from disk with the default than with the drain off (+10% + 16 MiB): " + def + " vs " + off);
    assertEquals(0, def.dyingAdded(), "the default leaves nothing dying once the file is deleted: " + def);
    // The controls: both drains evict A's page cache, and B reads it all back from the disk.
    for (Run control : List.of(afterApp, eager)) {
      assertTrue(control.evictedWhileAEnded() >= hot * 9 / 10, "the control evicted A's page cache: " + control);
      assertTrue(control.b().readBytes() >= hot * 9 / 10, "so B read it back from disk: " + control);
    }
    if (!DyingMemcgs.kernelReparents()) {
      assertTrue(off.dyingWhileCached() > 0, "without the drain A's memcg stayed dying while the file was cached"
          + " (the count can fail): " + off);
    }
  }

  /**
   * A long-running application (it never ends here) releases containers whose files it reads again later, for longer
   * than the age cap of the application-end policy (shortened to 2 s for the test): retired, they keep their page
   * cache with no clock, and a later reader reads nothing from the disk. The control, the application-end policy with
   * the same 2 s cap, evicts them and the reader reads it all back.
   */
  @Test
  void aLongRunningApplicationsReleasedContainersKeepTheirPageCacheWithoutAClock() throws Exception {
    long retired = releasedThenReadAgain(DrainWhen.OVER_BUDGET);
    long capped = releasedThenReadAgain(DrainWhen.APPLICATION_END);
    assertTrue(retired <= 4 * ONE_MB,
        "retired: read again from the page cache, " + retired / ONE_MB + " MiB from disk");
    assertTrue(capped >= 4 * 15 * ONE_MB, "the control, the 2 s age cap, evicted them: " + capped / ONE_MB
        + " MiB read back");
  }

  /** @return what reading the released containers' files again read from the disk */
  long releasedThenReadAgain(DrainWhen when) throws Exception {
    memcgs = null;
    LifecycleSettings settings = Lifecycles.settings(true).withDrainWhen(when, Duration.ofSeconds(2), 512)
        .withRetire(RetireSettings.defaults());
    memcgs = cgroups.closing(new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings, ended::contains));
    memcgs.bootstrap();
    List<Path> shuffle = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      shuffle.add(Workloads.freshFile(files, "shuffle-" + when.value() + "-" + i, 16));
      reader(APP_A, i, shuffle.get(i - 1));
    }
    // Longer than the age cap, and the application still runs.
    Thread.sleep(4_000);
    memcgs.lookAtRetired();
    Disk before = Disk.of(files);
    for (Path p : shuffle) {
      Workloads.run(Workloads.readNoAtime(p));
    }
    long read = Disk.of(files).minus(before).readBytes();
    LifecycleCounters.Snapshot s = memcgs.counters().snapshot();
    System.out.printf("[measure] long-running application, %s: after 4 s its released containers' files read %.1f MiB"
        + " from disk; evicted %.1f MiB; %d retired%n", when.value(), read / (double) ONE_MB,
        s.evictedBytes() / (double) ONE_MB, s.retired());
    for (Path p : shuffle) {
      Files.delete(p);
    }
    ended.add(APP_A);
    memcgs.applicationCleaned(APP_A);
    Await.until("all gone", Duration.ofSeconds(60), () -> released(memcgs));
    memcgs.close();
    ended.clear();
    return read;
  }

  /** Three containers read a file each; with room for two, the third's retirement drains one of the first two. */
  @Test
  void overTheBudgetTheRetiredCgroupNotReadAgainGoesFirst() throws Exception {
    String reused = budgetVictim(true);
    assertEquals("second", reused, "the first container's file was read again, so the second one went first");
    String control = budgetVictim(false);
    assertEquals("first", control, "the control: with no file read again, the oldest retirement goes first");
  }

  /** @return which container the budget drained: "first", "second" or "third" */
  String budgetVictim(boolean readFirstAgain) throws Exception {
    open(true, DrainWhen.OVER_BUDGET, RetireSettings.of(2, 1L << 30, ONE_MB, Duration.ofHours(1)));
    List<String> names = List.of("first", "second", "third");
    List<Path> inputs = new ArrayList<>();
    List<CompletableFuture<CleanupResult>> cleanups = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      inputs.add(Workloads.freshFile(files, names.get(i) + "-" + readFirstAgain, 16));
      cleanups.add(reader(APP_A, i + 1, inputs.get(i)));
    }
    Await.until("two retired", Duration.ofSeconds(30), () -> memcgs.counters().snapshot().retired() == 2);
    if (readFirstAgain) {
      // Someone else (this test's own process, outside the root) reads the first container's file again.
      Workloads.run(Workloads.readNoAtime(inputs.get(0)));
    }
    memcgs.lookAtRetired();
    inputs.add(Workloads.freshFile(files, "third-" + readFirstAgain, 16));
    cleanups.add(reader(APP_A, 3, inputs.get(2)));
    Await.until("one drained over the budget", Duration.ofSeconds(60),
        () -> memcgs.counters().snapshot().drainedOverBudget() == 1 && memcgs.counters().snapshot().retired() == 2
            && cleanups.stream().anyMatch(CompletableFuture::isDone));
    String victim = null;
    for (int i = 0; i < 3; i++) {
      CompletableFuture<CleanupResult> c = cleanups.get(i);
      if (c.isDone()) {
        assertTrue(victim == null, "only one drained: " + victim + " and " + names.get(i));
        victim = names.get(i);
        assertTrue(c.get().evictedBytes() >= 15 * ONE_MB, victim + " was drained: " + c.get().evictedBytes());
      }
    }
    LifecycleCounters.Snapshot s = memcgs.counters().snapshot();
    System.out.printf("[measure] retire budget 2, first read again: %s; drained: %s; %s%n", readFirstAgain, victim, s);
    assertEquals(2, s.retired(), "two stay retired");
    assertEquals(1, s.drainedOverBudget());
    assertTrue(s.evictedOverBudget() >= 15 * ONE_MB);
    for (WaitingCgroup w : memcgs.waiting()) {
      assertTrue(w.retired() && w.held() >= 15 * ONE_MB, "the others hold their page cache: " + w.containerId());
    }
    for (Path p : inputs) {
      Files.delete(p);
    }
    Await.until("all released", Duration.ofSeconds(30), () -> released(memcgs));
    assertEquals(2, memcgs.counters().snapshot().released(), "released once their files were deleted");
    return victim;
  }

  /**
   * What a released cgroup's drain cannot free yet (here shmem: a tmpfs file that outlives its container, which no
   * drain frees) keeps it retired, alive, instead of removing it still charged, which would leave it dying; it goes
   * once the file is deleted. (Drained at exit or after its application instead, the same cgroup is removed still
   * charged: DrainShapesIT's tmpfs shape counts those.)
   */
  @Test
  void aRemainderThatCannotGoYetKeepsTheCgroupRetiredInsteadOfDying() throws Exception {
    open(true, DrainWhen.OVER_BUDGET, RetireSettings.of(4096, 1L << 30, ONE_MB, Duration.ofHours(1)));
    long baseline = DyingMemcgs.stableBaseline(cgroups.driver());
    Path shm = Files.createTempFile(Path.of("/dev/shm"), "yarn-memcg-retire-", ".bin");
    try {
      String id = Lifecycles.containerId(1);
      Path cg = memcgs.start(id, 64 * ONE_MB, true);
      Workloads.run(cgroups.driver().joinThenExec(cg, List.of("dd", "if=/dev/zero", "of=" + shm, "bs=64k", "count=4",
          "status=none")));
      CompletableFuture<CleanupResult> cleanup = memcgs.complete(id).cleanup();
      // Below the threshold, so released after two readings; its drain frees nothing, so it is retired again.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      while (System.nanoTime() < until) {
        memcgs.lookAtRetired();
        Thread.sleep(500);
      }
      assertFalse(cleanup.isDone(), "kept: " + memcgs.counters().snapshot());
      assertTrue(Files.isDirectory(cg) && YarnClusters.isRetired(cg), "retired, alive");
      assertEquals(0, memcgs.counters().snapshot().leftCharged(), "never removed still charged");
      Files.delete(shm);
      Await.until("released once the file is gone", Duration.ofSeconds(30), () -> released(memcgs));
      CleanupResult r = cleanup.get(10, TimeUnit.SECONDS);
      System.out.println("[measure] a 256 KiB tmpfs remainder: retired until deleted, then " + r.outcome()
          + ", evicted " + r.evictedBytes() + " B, charged at removal " + r.leftCharged() + " B");
      assertEquals(0, r.leftCharged());
    } finally {
      Files.deleteIfExists(shm);
    }
    assertEquals(0, dyingAdded(baseline), "nothing dying");
  }

  /**
   * Whether every retired cgroup has been released, looking at them now as the periodic pass would (a cgroup goes
   * after two readings below the threshold a statistics flush apart).
   */
  static boolean released(ContainerMemcgs memcgs) throws Exception {
    memcgs.lookAtRetired();
    return memcgs.containerIds().isEmpty();
  }

  /** A NodeManager restart: the new lifecycle's sweep adopts retired cgroups as retired, evicting nothing. */
  @Test
  void aRestartAdoptsRetiredCgroups() throws Exception {
    open(true, DrainWhen.OVER_BUDGET, RetireSettings.defaults());
    Path input = Workloads.freshFile(files, "kept", 16);
    reader(APP_A, 1, input);
    Await.until("retired", Duration.ofSeconds(30), () -> memcgs.counters().snapshot().retired() == 1);
    memcgs.close();

    LifecycleSettings settings = Lifecycles.settings(true).withDrainWhen(DrainWhen.OVER_BUDGET, Duration.ofHours(1),
        512);
    memcgs = cgroups.closing(new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings, ended::contains));
    memcgs.bootstrap();
    assertEquals(1, memcgs.sweep(OrphanRule.claimedBy(id -> false)).size(), "the restart's sweep");
    Await.until("adopted as retired", Duration.ofSeconds(30), () -> memcgs.counters().snapshot().retired() == 1);
    assertFalse(memcgs.containerIds().isEmpty());
    assertEquals(0, memcgs.counters().snapshot().evictedBytes(), "nothing evicted by the restart");
    Files.delete(input);
    Await.until("released", Duration.ofSeconds(30), () -> released(memcgs));
    assertTrue(memcgs.counters().snapshot().evictedBytes() <= ONE_MB);
  }
}
