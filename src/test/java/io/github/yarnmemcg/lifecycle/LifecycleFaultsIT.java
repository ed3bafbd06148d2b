package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupIoException;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults reproduced on the real kernel: a straggler that escaped its process group and session, a
 * drain that runs out of budget, storms of rmdir EBUSY from processes that linger after SIGKILL (held in a
 * frozen v1 freezer cgroup, the way a task in uninterruptible sleep lingers), and the plugin's root removed
 * underneath it.
 */
@Tag("v1-guest")
class LifecycleFaultsIT {
  private static final Path FREEZER = Paths.get("/sys/fs/cgroup/freezer");

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;
  Path freezer;

  @AfterEach
  void close() throws Exception {
    if (freezer != null && Files.isDirectory(freezer)) {
      // Thaw first, so that the root's removal can kill what is left; then the freezer cgroup can go.
      Files.writeString(freezer.resolve("freezer.state"), "THAWED");
      RealCgroups.removeTree(cgroups.driver(), cgroups.root());
      awaitEmptyThenRemove(freezer);
    }
    if (memcgs != null) {
      memcgs.close();
    }
  }

  ContainerMemcgs open(LifecycleSettings settings) throws IOException {
    memcgs = new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings);
    memcgs.bootstrap();
    return memcgs;
  }

  static LifecycleSettings settings(Duration drain, Duration delete, Duration kill) {
    return LifecycleSettings.builder().drainTimeout(drain).deleteTimeout(delete).killTimeout(kill)
        .reaperGiveUp(Duration.ofMinutes(5)).build();
  }

  /** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session. */
  static long[] ppidPgrpSession(long pid) throws IOException {
    String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
  }

  @Test
  void doubleForkedStragglerOutsideTheProcessGroupIsKilledThroughTheCgroup() throws Exception {
    open(settings(Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 64 * ONE_MB, true);
    // The container's shell forks a subshell that forks a new session (setsid) running a child of its own,
    // then both the subshell and the container's shell exit: what is left is re-parented away from the
    // container, in a process group and session that a process-group kill (Hadoop's default) does not reach.
    // Like Hadoop's launch, the container's shell leads its own session and process group (setsid).
    Process container = new ProcessBuilder(cgroups.driver().joinThenExec(cg, List.of("setsid", "/bin/sh", "-c",
        "( setsid /bin/sh -c 'sleep 600 & sleep 600' > /dev/null 2>&1 < /dev/null & ) ; exit 0")))
        .inheritIO().start();
    long containerPgrp = container.pid();
    assertEquals(0, container.waitFor());
    List<Long> stragglers = awaitPids(cg, 2);
    for (long pid : stragglers) {
      long[] ids = ppidPgrpSession(pid);
      assertNotEquals(containerPgrp, ids[1], "straggler " + pid + " left the container's process group");
      assertNotEquals(containerPgrp, ids[2], "straggler " + pid + " left the container's session");
      assertNotEquals(container.pid(), ids[0], "and is not a child of the container's shell");
    }

    long t0 = System.nanoTime();
    CompletableFuture<CleanupResult> cleanup = memcgs.complete(id).cleanup();
    long completeNanos = System.nanoTime() - t0;
    CleanupResult r = cleanup.get(30, TimeUnit.SECONDS);
    assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
    for (long pid : stragglers) {
      assertTrue(Workloads.isDeadOrZombie(pid), "straggler " + pid + " was killed through the cgroup");
    }
    assertFalse(Files.exists(cg, LinkOption.NOFOLLOW_LINKS), "and the cgroup deleted");
    System.out.printf("[measure] double-forked straggler: complete() %.3f ms, cleanup %.1f ms (%s)%n",
        completeNanos / 1e6, r.nanos() / 1e6, r);
  }

  /** A container that read 8 MiB of a fresh file, and a process outside it that mlocks those pages. */
  record Pinned(String id, Path cgroup, Path input, Process pin) {}

  /** No drain can free the pinned pages while the pinning process lives. */
  Pinned pinnedContainer() throws Exception {
    Path input = Workloads.freshFile(files, "pinned", 8);
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 64 * ONE_MB, true);
    assertEquals(0, new ProcessBuilder(cgroups.driver().joinThenExec(cg, Workloads.readNoAtime(input)))
        .inheritIO().start().waitFor());
    return new Pinned(id, cg, input, Workloads.mlockFile(input));
  }

  @Test
  void drainThatCannotFinishHoldsUpNeitherCompletionNorOtherContainersEvenOnOneCleanupThread() throws Exception {
    // A budget far longer than the test: the pinned drain can only end when the pin is released, so the
    // ordering asserted below does not depend on how fast the host is. One cleanup thread: a drain that kept
    // its thread while waiting for the pages would queue the other container's cleanup behind it.
    open(LifecycleSettings.builder().drainTimeout(Duration.ofMinutes(10)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofMinutes(5)).build());
    Pinned p = pinnedContainer();
    try {
      long t0 = System.nanoTime();
      CompletableFuture<CleanupResult> pinned = memcgs.complete(p.id()).cleanup();
      long completeNanos = System.nanoTime() - t0;
      assertFalse(pinned.isDone(), "complete() returned while the drain was still running");

      // Meanwhile another container starts, runs and completes; its cleanup is not queued behind the drain.
      String otherId = Lifecycles.containerId(2);
      Path other = memcgs.start(otherId, 64 * ONE_MB, true);
      assertEquals(0, new ProcessBuilder(cgroups.driver().joinThenExec(other, List.of("true"))).start().waitFor());
      CleanupResult second = memcgs.complete(otherId).cleanup().get(60, TimeUnit.SECONDS);
      assertEquals(CleanupResult.Outcome.CLEANED, second.outcome(), second.toString());
      assertFalse(pinned.isDone(), "the other container was cleaned while the pinned drain still ran");

      // Once the pin goes, the same drain frees the pages and the cgroup is removed without a dying memcg.
      p.pin().destroyForcibly().waitFor();
      CleanupResult r = pinned.get(60, TimeUnit.SECONDS);
      assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
      assertTrue(r.leftCharged() < ONE_MB, "the drain finished once the pages could go: " + r);
      assertFalse(Files.exists(p.cgroup(), LinkOption.NOFOLLOW_LINKS));
      System.out.printf("[measure] unfinishable drain: complete() %.3f ms, other container's cleanup meanwhile"
          + " %.1f ms, pinned cleanup after release %.0f ms%n  other: %s%n", completeNanos / 1e6, second.nanos() / 1e6,
          r.nanos() / 1e6, second);
    } finally {
      p.pin().destroyForcibly().waitFor();
      Files.delete(p.input());
    }
  }

  @Test
  @Tag("locale")
  void drainOverItsBudgetGivesUpInTheBackgroundAndReportsWhatStayedCharged() throws Exception {
    Duration budget = Duration.ofSeconds(2);
    open(settings(budget, Duration.ofSeconds(5), Duration.ofSeconds(5)));
    Pinned p = pinnedContainer();
    try {
      long t0 = System.nanoTime();
      CompletableFuture<CleanupResult> pinned = memcgs.complete(p.id()).cleanup();
      long completeNanos = System.nanoTime() - t0;
      CleanupResult r = pinned.get(60, TimeUnit.SECONDS);
      assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
      assertTrue(r.nanos() >= budget.toNanos(), "the drain used its whole budget: " + r);
      assertTrue(r.leftCharged() >= 7 * ONE_MB, "and reported what stayed charged: " + r);
      assertFalse(Files.exists(p.cgroup(), LinkOption.NOFOLLOW_LINKS));
      System.out.printf("[measure] drain over a %d ms budget: complete() %.3f ms, background cleanup %.0f ms,"
          + " %.1f MiB left charged%n", budget.toMillis(), completeNanos / 1e6, r.nanos() / 1e6,
          r.leftCharged() / (double) ONE_MB);
    } finally {
      p.pin().destroyForcibly().waitFor();
      Files.delete(p.input());
    }
  }

  /** A v1 freezer cgroup of this test; skipped where the node has none (cgroup v2 freezes differently). */
  Path freezer() throws IOException {
    Assumptions.assumeTrue(Files.exists(FREEZER.resolve("cgroup.procs")), "no cgroup v1 freezer at " + FREEZER);
    freezer = Files.createDirectory(FREEZER.resolve("yarn-memcg-test-fz-" + UUID.randomUUID().toString()
        .substring(0, 8)));
    return freezer;
  }

  /**
   * Starts {@code n} cgroups under the root, each with one process that also sits in the frozen freezer and has
   * been sent SIGKILL: it stays in the memory cgroup (uninterruptible) until the freezer thaws.
   */
  List<Path> lingeringProcesses(List<Path> cgs) throws Exception {
    Path fz = freezer();
    List<Long> pids = new ArrayList<>();
    for (Path cg : cgs) {
      Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cg, List.of("/bin/sh", "-c",
          "echo $$ > " + fz.resolve("cgroup.procs") + " && exec sleep 600"))).start();
      pids.add(p.pid());
    }
    for (Path cg : cgs) {
      awaitPids(cg, 1);
    }
    awaitPids(fz, cgs.size());
    Files.writeString(fz.resolve("freezer.state"), "FROZEN");
    Await.until("the freezer to freeze", Duration.ofSeconds(10),
        () -> Files.readString(fz.resolve("freezer.state")).trim().equals("FROZEN"));
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    return cgs;
  }

  void thaw() throws IOException {
    Files.writeString(freezer.resolve("freezer.state"), "THAWED");
  }

  @Test
  @Tag("locale")
  void rmdirEbusyStormFromLingeringProcessesEndsWhenTheyGo() throws Exception {
    CgroupDriver driver = cgroups.driver();
    driver.create(cgroups.root());
    List<Path> cgs = new ArrayList<>();
    for (int i = 1; i <= 32; i++) {
      Path cg = cgroups.root().resolve(Lifecycles.containerId(i));
      driver.create(cg);
      cgs.add(cg);
    }
    lingeringProcesses(cgs);
    CgroupIoException busy = assertThrows(CgroupIoException.class,
        () -> driver.delete(cgs.get(0), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)));
    assertEquals(CgroupIoException.Kind.OTHER, busy.kind(), busy.toString());
    assertTrue(busy.getMessage().contains(cgs.get(0).toString()) && Files.isDirectory(cgs.get(0)), busy.getMessage());

    ExecutorService threads = Executors.newFixedThreadPool(cgs.size());
    try {
      List<Future<Integer>> deletes = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (Path cg : cgs) {
        deletes.add(threads.submit(() -> driver.delete(cg, deadline)));
      }
      Thread.sleep(1000); // the storm: 32 rmdirs failing with EBUSY, retried with backoff
      for (Future<Integer> d : deletes) {
        assertFalse(d.isDone(), "no rmdir succeeds while its process lingers");
      }
      thaw();
      int retries = 0;
      for (Future<Integer> d : deletes) {
        int r = d.get(60, TimeUnit.SECONDS);
        assertTrue(r > 0, "each rmdir was retried on EBUSY");
        retries += r;
      }
      for (Path cg : cgs) {
        assertFalse(Files.exists(cg, LinkOption.NOFOLLOW_LINKS), cg + " removed once its process went");
      }
      System.out.printf("[measure] rmdir EBUSY storm: 32 cgroups, one thread each, %d rmdir retries in all (%.1f each)%n",
          retries, retries / 32.0);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @Tag("locale")
  void containersWhoseProcessesLingerGoToTheReaperAndAreCleanedOnceTheyGo() throws Exception {
    open(settings(Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofMillis(100)));
    List<String> ids = new ArrayList<>();
    List<Path> cgs = new ArrayList<>();
    for (int i = 1; i <= 16; i++) {
      ids.add(Lifecycles.containerId(i));
      cgs.add(memcgs.start(ids.get(i - 1), 64 * ONE_MB, true));
    }
    lingeringProcesses(cgs);
    List<CompletableFuture<CleanupResult>> cleanups = new ArrayList<>();
    for (String id : ids) {
      cleanups.add(memcgs.complete(id).cleanup());
    }
    // Each first attempt waits the 100 ms kill timeout and fails; 16 of them on 2 threads take about 0.8 s.
    Thread.sleep(2000);
    for (CompletableFuture<CleanupResult> c : cleanups) {
      assertFalse(c.isDone(), "nothing is cleaned, nor given up, while the processes linger");
    }
    assertEquals(16, memcgs.counters().snapshot().pendingCleanups());
    thaw();
    int attempts = 0;
    for (CompletableFuture<CleanupResult> c : cleanups) {
      CleanupResult r = c.get(90, TimeUnit.SECONDS);
      assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
      assertTrue(r.attempts() >= 2, "the reaper retried: " + r);
      attempts += r.attempts();
    }
    assertEquals(List.of(), memcgs.containerIds());
    LifecycleCounters.Snapshot s = memcgs.counters().snapshot();
    assertEquals(0, s.givenUp());
    assertEquals(0, s.pendingCleanups());
    System.out.printf("[measure] lingering processes: 16 containers, %d cleanup attempts in all, reaper retries"
        + " until the processes went%n", attempts);
  }

  @Test
  void rootRemovedUnderneathIsRecreatedByTheNextStart() throws Exception {
    open(settings(Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    String first = Lifecycles.containerId(1);
    memcgs.start(first, 64 * ONE_MB, true);
    assertEquals(CleanupResult.Outcome.CLEANED, memcgs.complete(first).cleanup().get(30, TimeUnit.SECONDS)
        .outcome());
    // An operator or a node agent removes the (now empty) root while the NodeManager runs.
    Files.delete(cgroups.root());

    String next = Lifecycles.containerId(2);
    Path cg = memcgs.start(next, 64 * ONE_MB, true);
    assertTrue(Files.isDirectory(cg, LinkOption.NOFOLLOW_LINKS), "the next container got its cgroup");
    assertEquals(64 * ONE_MB, cgroups.driver().stats(cg).limit());
    assertEquals(0, new ProcessBuilder(cgroups.driver().joinThenExec(cg, List.of("true"))).start().waitFor());
    assertEquals(CleanupResult.Outcome.CLEANED, memcgs.complete(next).cleanup().get(30, TimeUnit.SECONDS)
        .outcome());
    assertEquals(List.of(), memcgs.containerIds());
  }

  /** Waits until the cgroup holds {@code n} processes and returns them. */
  List<Long> awaitPids(Path cg, int n) throws Exception {
    return Await.value(n + " processes in " + cg, Duration.ofSeconds(10), () -> {
      List<Long> pids = pids(cg);
      return pids.size() >= n ? Optional.of(pids) : Optional.empty();
    });
  }

  /** The processes of a memory cgroup (through the plugin's driver) or of the test's freezer cgroup. */
  List<Long> pids(Path cg) throws IOException {
    if (!cg.startsWith(FREEZER)) {
      return cgroups.driver().pids(cg);
    }
    // The freezer hierarchy is another mount: the memory driver's door refuses it, as it should.
    List<Long> pids = new ArrayList<>();
    for (String line : CgroupFs.open(FREEZER).read(cg.resolve("cgroup.procs")).split("\n")) {
      if (!line.trim().isEmpty()) {
        pids.add(Long.parseLong(line.trim()));
      }
    }
    return pids;
  }

  void awaitEmptyThenRemove(Path fz) throws Exception {
    Await.within(Duration.ofSeconds(10), () -> pids(fz).isEmpty());
    Files.delete(fz);
  }
}
