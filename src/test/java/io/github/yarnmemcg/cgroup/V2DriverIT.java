package io.github.yarnmemcg.cgroup;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroup v2 files of the kernel layer, read and written on a real v2 memory controller: {@code memory.events},
 * {@code memory.oom.group}, {@code memory.stat}, {@code memory.peak}, {@code memory.reclaim} and
 * {@code cgroup.kill}. This machine's memory controller is on v1, so failsafe leaves out the {@code cgroup-v2}
 * tag; the v2 VM stage ({@code src/test/vm/v2-stage}) runs these in a guest kernel with {@code CI=true}, where a
 * missing v2 memory controller fails them.
 */
@Tag("v2-stage")
@Tag("cgroup-v2")
class V2DriverIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups(Optional.of(CgroupVersion.V2));

  @TempDir
  Path files;

  CgroupDriver driver;
  Path cg;

  @BeforeEach
  void createCgroup() throws Exception {
    driver = cgroups.driver();
    cgroups.createRoot();
    cg = child("c1");
  }

  Path child(String name) throws Exception {
    Path c = cgroups.root().resolve(name);
    assertTrue(driver.create(c));
    return c;
  }

  Map<String, Long> keyValues(Path cgroup, String file) throws Exception {
    return KeyValues.parse(Files.readString(cgroup.resolve(file)));
  }

  long value(Path cgroup, String file) throws Exception {
    return KeyValues.parseValue(Files.readString(cgroup.resolve(file)));
  }

  Process startIn(Path cgroup, List<String> command) throws Exception {
    return new ProcessBuilder(driver.joinThenExec(cgroup, command)).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** Waits until {@code cgroup.events} says no process is left in the cgroup. */
  boolean awaitUnpopulated(Path cgroup, Duration within) throws Exception {
    return Await.within(within, () -> keyValues(cgroup, "cgroup.events").get("populated") == 0);
  }

  @Test
  void limitIsEnforcedAndTheOomKillCountedInMemoryEvents() throws Exception {
    driver.setLimits(cg, 32 * ONE_MB, 0); // no swap besides it, as the plugin sets containers by default
    assertEquals(32 * ONE_MB, value(cg, "memory.max"));
    Process p = startIn(cg, Workloads.allocateAnon(128));
    assertEquals(137, p.waitFor(), "a process allocating 128 MiB under memory.max = 32 MiB dies of SIGKILL");
    Map<String, Long> events = keyValues(cg, "memory.events");
    assertTrue(events.get("oom_kill") >= 1, "memory.events counts the OOM kill: " + events);
    assertTrue(events.get("max") > 0, "and the times usage hit memory.max: " + events);
    MemoryStats s = driver.stats(cg);
    assertEquals(events.get("oom_kill"), s.oomKill(), "the driver reports memory.events: " + s);
    assertEquals(events.get("max"), s.limitHits());
  }

  @Test
  void oomGroupTakesEveryProcessOfTheContainer() throws Exception {
    // A sleeper that left the process group, then an allocator past the limit. With memory.oom.group the OOM
    // kill takes both; the control cgroup without it proves the sleeper would otherwise live on.
    String command = "setsid sleep 600 > /dev/null 2>&1 & exec perl -e 'my $x = \"a\"; $x x= (128 << 20);'";
    Path control = child("control");
    driver.setLimits(cg, 32 * ONE_MB, 0); // no swap besides it, as the plugin sets containers by default
    driver.setLimits(control, 32 * ONE_MB, 0);
    driver.setOomKillsAll(cg);
    assertEquals(1, value(cg, "memory.oom.group"));
    assertEquals(0, value(control, "memory.oom.group"));

    assertEquals(137, startIn(control, List.of("sh", "-c", command)).waitFor());
    assertEquals(1, driver.pids(control).size(), "without memory.oom.group the sleeper survives the OOM kill");

    assertEquals(137, startIn(cg, List.of("sh", "-c", command)).waitFor());
    assertTrue(awaitUnpopulated(cg, Duration.ofSeconds(10)), "with memory.oom.group the sleeper went too: "
        + driver.pids(cg));
    Map<String, Long> events = keyValues(cg, "memory.events");
    assertTrue(events.get("oom_kill") >= 2, "both processes were OOM-killed: " + events);
    if (events.containsKey("oom_group_kill")) {
      assertTrue(events.get("oom_group_kill") >= 1, events.toString());
    }
  }

  @Test
  void memoryStatSeparatesAnonFromFileAndMemoryPeakKeepsTheHighWaterMark() throws Exception {
    Path file = Workloads.freshFile(files, "data", 48);
    assertEquals(0, startIn(cg, Workloads.readNoAtime(file)).waitFor());
    Map<String, Long> stat = keyValues(cg, "memory.stat");
    assertTrue(stat.get("file") >= 46 * ONE_MB, "reading a fresh 48 MiB file charges ~48 MiB file: " + stat);
    assertTrue(stat.get("anon") < 8 * ONE_MB, "and little anon: " + stat);
    assertEquals(stat.get("file") - stat.get("shmem"), driver.stats(cg).pageCache());

    Path holder = child("holder");
    Process p = startIn(holder, Workloads.holdAnon(64));
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      Map<String, Long> holding = keyValues(holder, "memory.stat");
      assertTrue(holding.get("anon") >= 60 * ONE_MB, "holding 64 MiB shows ~64 MiB anon: " + holding);
      assertTrue(holding.get("anon") < 100 * ONE_MB, "not much more: " + holding);
      assertTrue(holding.get("file") < 8 * ONE_MB, "and little file: " + holding);
      p.getOutputStream().close();
      assertEquals(0, p.waitFor());
    }
    long current = value(holder, "memory.current");
    assertTrue(current < 16 * ONE_MB, "after the process freed it, memory.current is low again: " + current);
    if (!Files.exists(holder.resolve("memory.peak"))) {
      // Before 5.19: the driver says the peak is unknown and that it samples it instead.
      assertEquals(MemoryStats.UNKNOWN, driver.stats(holder).peak());
      assertEquals(KernelInterfaces.Peak.SAMPLED, driver.interfaces(holder).peak());
      return;
    }
    long peak = value(holder, "memory.peak");
    assertTrue(peak >= 64 * ONE_MB, "memory.peak keeps the 64 MiB high-water mark: " + peak);
    assertEquals(peak, driver.stats(holder).peak());
    assertEquals(KernelInterfaces.Peak.KERNEL, driver.interfaces(holder).peak());
  }

  /**
   * A drain of a cgroup a process still pins: with {@code memory.reclaim} (5.19+) partial, its EAGAIN no error; without
   * it refused, because the zero {@code memory.high} it would set would throttle that process.
   */
  @Test
  void drainOfAPinnedCgroupIsPartialWithMemoryReclaimAndRefusedWithout() throws Exception {
    boolean reclaim = Files.exists(cg.resolve("memory.reclaim"));
    assertEquals(reclaim ? KernelInterfaces.Drain.RECLAIM : KernelInterfaces.Drain.HIGH_ZERO,
        driver.interfaces(cg).drain(), "the drain follows the kernel's files");
    if (!reclaim) {
      Path locked = Workloads.freshFile(files, "locked", 8);
      Process pin = startIn(cg, Workloads.mlock(locked));
      try (BufferedReader out = new BufferedReader(new InputStreamReader(pin.getInputStream(),
          StandardCharsets.UTF_8))) {
        assertEquals("ready", out.readLine());
        CgroupIoException refused = assertThrows(CgroupIoException.class,
            () -> driver.drain(cg, System.nanoTime() + Duration.ofSeconds(2).toNanos()));
        System.out.println("[measure] drain without memory.reclaim, a process inside: " + refused.getMessage());
        assertEquals("max", Files.readString(cg.resolve("memory.high")).trim(), "memory.high untouched");
      } finally {
        pin.destroyForcibly().waitFor();
      }
      return;
    }
    // The kernel answers EAGAIN when it reclaimed less than asked; here it can reclaim nothing (anon, and no swap for
    // this cgroup, as the plugin sets containers by default, on a node with swap or without).
    driver.setLimits(cg, Long.MAX_VALUE, 0);
    Process anon = startIn(cg, Workloads.holdAnon(32));
    try (BufferedReader out = new BufferedReader(new InputStreamReader(anon.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      CgroupIoException eagain = assertThrows(CgroupIoException.class,
          () -> ((AbstractCgroupDriver) driver).write(cg.resolve("memory.reclaim"), Long.toString(16 * ONE_MB)));
      assertEquals(CgroupIoException.Kind.TRY_AGAIN, eagain.kind(), "EAGAIN from memory.reclaim: " + eagain);
      anon.getOutputStream().close();
      assertEquals(0, anon.waitFor());
    }

    // 16 MiB of page cache the drain can free, and 8 MiB that a process in the cgroup maps and mlocks.
    Path free = Workloads.freshFile(files, "free", 16);
    Path locked = Workloads.freshFile(files, "locked", 8);
    Path pinned = child("pinned");
    assertEquals(0, startIn(pinned, Workloads.readNoAtime(free)).waitFor());
    Process pin = startIn(pinned, Workloads.mlock(locked));
    try (BufferedReader out = new BufferedReader(new InputStreamReader(pin.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      DrainResult r = driver.drain(pinned, System.nanoTime() + Duration.ofSeconds(2).toNanos());
      System.out.printf("[measure] v2 drain with 8 MiB mlocked: %s%n", r);
      assertTrue(r.pageCacheBefore() >= 23 * ONE_MB, r.toString());
      assertTrue(r.drainedBytes() >= 15 * ONE_MB, "the free 16 MiB went: " + r);
      assertFalse(r.complete(), "the locked 8 MiB could not: " + r);
      assertTrue(r.pageCacheAfter() >= 7 * ONE_MB, r.toString());
    } finally {
      pin.destroyForcibly().waitFor();
    }
  }

  /**
   * The drain of kernels without {@code memory.reclaim} (5.10 to 5.18), run on every kernel: {@code memory.high} set
   * to 0 on the emptied cgroup takes its page cache without an OOM event, waits for dirty pages, and the previous
   * value comes back; the cgroup then goes without a dying memcg. With a process inside it is refused, limit untouched.
   */
  @Test
  void drainThroughMemoryHighEmptiesAnEmptiedCgroupAndRestoresItsValue() throws Exception {
    V2Driver v2 = (V2Driver) driver;
    driver.setThrottleLimit(cg, 48 * ONE_MB);
    Path clean = Workloads.freshFile(files, "clean", 24);
    assertEquals(0, startIn(cg, Workloads.readNoAtime(clean)).waitFor());
    // 8 MiB written without fsync: dirty until the flusher or the drain's wait gets them written.
    assertEquals(0, startIn(cg, List.of("dd", "if=/dev/zero", "of=" + files.resolve("dirty"), "bs=1M", "count=8",
        "status=none")).waitFor());
    assertTrue(awaitUnpopulated(cg, Duration.ofSeconds(10)));
    MemoryStats before = driver.memoryStat(cg);
    assertTrue(before.pageCache() >= 30 * ONE_MB, "24 MiB read and 8 MiB written are charged: " + before);

    long dyingBefore = driver.dyingMemcgsUnder(cgroups.root());
    DrainResult r = v2.drainThroughHigh(cg, System.nanoTime() + Duration.ofSeconds(30).toNanos());
    System.out.printf("[measure] drain through memory.high on %s: %s%n", System.getProperty("os.version"), r);
    assertTrue(r.complete(), "every page went, the dirty ones once written: " + r);
    assertEquals(48 * ONE_MB, value(cg, "memory.high"), "the previous memory.high is back");
    assertEquals(0, keyValues(cg, "memory.events").get("oom"), "a zero memory.high counts no OOM event");
    driver.delete(cg, System.nanoTime() + Duration.ofSeconds(5).toNanos());
    if (io.github.yarnmemcg.testing.DyingMemcgs.kernelReleasesWritebackOfRemovedCgroups()) {
      assertTrue(Await.within(Duration.ofSeconds(10), () -> driver.dyingMemcgsUnder(cgroups.root()) == dyingBefore),
          "removed after the drain, it left no dying memcg: " + driver.dyingMemcgsUnder(cgroups.root()));
    } else {
      // Before 5.14 the inode it dirtied may keep the removed memcg dying through cgroup writeback, with no page
      // charged (docs/kernels.md): what the drain owes is that no page is left.
      assertTrue(Await.within(Duration.ofSeconds(10), () -> io.github.yarnmemcg.testing.DyingMemcgs
          .pagesHeldByRemovedChildren(driver, cgroups.root()) < io.github.yarnmemcg.testing.DyingMemcgs.PAGES_SLACK),
          "removed after the drain, it left no page charged");
    }

    Path busy = child("busy");
    Process holder = startIn(busy, Workloads.holdAnon(4));
    try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
        StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      CgroupIoException refused = assertThrows(CgroupIoException.class,
          () -> v2.drainThroughHigh(busy, System.nanoTime() + Duration.ofSeconds(5).toNanos()));
      assertTrue(refused.getMessage().contains(busy.toString()), refused.getMessage());
      assertEquals("max", Files.readString(busy.resolve("memory.high")).trim(), "untouched with a process inside");
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  /** An escaped shell that keeps forking sleepers: a signal per listed pid misses the children forked meanwhile. */
  private List<Long> startForkingStraggler(Path cgroup) throws Exception {
    assertEquals(0, startIn(cgroup, List.of("sh", "-c",
        "setsid sh -c 'i=0; while [ $i -lt 5000 ]; do sleep 600 & i=$((i+1)); done; wait' > /dev/null 2>&1 &"))
        .waitFor());
    Await.until("the straggler to fork", Duration.ofSeconds(10), () -> driver.pids(cgroup).size() >= 5);
    return driver.pids(cgroup);
  }

  @Test
  void killTakesAForkingStragglerInOneCall() throws Exception {
    KernelInterfaces.Kill kill = driver.interfaces(cg).kill();
    assertEquals(Files.exists(cg.resolve("cgroup.kill")) ? KernelInterfaces.Kill.CGROUP_KILL
        : KernelInterfaces.Kill.FREEZE_THEN_SIGNAL, kill, "cgroup.kill where the kernel has it (5.14+), else freeze");
    List<Long> before = startForkingStraggler(cg);
    driver.signalKill(cg);
    assertTrue(awaitUnpopulated(cg, Duration.ofSeconds(10)), "one call (" + kill + ") emptied the cgroup: "
        + driver.pids(cg));
    for (long pid : before) {
      assertTrue(Workloads.isDeadOrZombie(pid), "process " + pid + " is dead");
    }
    driver.delete(cg, System.nanoTime() + Duration.ofSeconds(5).toNanos());
    assertFalse(Files.exists(cg));
  }

  /**
   * A fork bomb in a container (bounded by the container's 64 MiB limit, whose OOM kills it outlives): the freeze,
   * signal and thaw of kernels without {@code cgroup.kill}, run on every kernel, empties it in one call.
   */
  @Test
  void freezeThenSignalTakesAForkBombInOneCall() throws Exception {
    driver.setLimits(cg, 64 * ONE_MB, 0);
    Process bomb = startIn(cg, List.of("bash", "-c", "b() { b | b & }; b"));
    Await.until("the bomb to spread", Duration.ofSeconds(20), () -> driver.pids(cg).size() >= 20);
    int spread = driver.pids(cg).size();
    long start = System.nanoTime();
    ((V2Driver) driver).freezeThenSignal(cg);
    long nanos = System.nanoTime() - start;
    assertTrue(awaitUnpopulated(cg, Duration.ofSeconds(10)), "one freeze, signal and thaw emptied the bomb's cgroup: "
        + driver.pids(cg));
    System.out.printf("[measure] fork bomb of %d+ processes: freeze, signal, thaw in %.1f ms, %d OOM kills meanwhile%n",
        spread, nanos / 1e6, keyValues(cg, "memory.events").get("oom_kill"));
    assertEquals(0, keyValues(cg, "cgroup.events").get("frozen"), "nothing is left frozen");
    bomb.destroyForcibly().waitFor();
  }

  /**
   * The kill of kernels without {@code cgroup.kill} (5.10 to 5.13), run on every kernel: freeze, signal, thaw empties
   * a cgroup that forks as fast as it can in one call; the control, one signal per listed process, leaves some behind.
   */
  @Test
  void freezeThenSignalTakesAForkingStragglerInOneCallWhereOneSignalPerPidDoesNot() throws Exception {
    // The control makes the race certain: the processes listed, a moment for the straggler to fork, then one SIGKILL
    // to each listed one, as one pass of a per-process kill does when the kernel is slow.
    Path control = child("control");
    startForkingStraggler(control);
    List<Long> listed = driver.pids(control);
    Thread.sleep(100);
    Processes.kill(listed);
    Thread.sleep(200);
    List<Long> survivors = driver.pids(control);
    System.out.printf("[measure] one SIGKILL per listed pid left %d process(es) of a forking straggler%n",
        survivors.size());
    assertFalse(survivors.isEmpty(), "the control: children forked after the listing survive one pass");
    driver.killAll(control, System.nanoTime() + Duration.ofSeconds(10).toNanos());

    List<Long> before = startForkingStraggler(cg);
    long start = System.nanoTime();
    ((V2Driver) driver).freezeThenSignal(cg);
    System.out.printf("[measure] freeze, signal, thaw took %.1f ms%n", (System.nanoTime() - start) / 1e6);
    assertTrue(awaitUnpopulated(cg, Duration.ofSeconds(10)), "freeze, signal, thaw emptied the cgroup in one call: "
        + driver.pids(cg));
    for (long pid : before) {
      assertTrue(Workloads.isDeadOrZombie(pid), "process " + pid + " is dead");
    }
    assertEquals(0, keyValues(cg, "cgroup.events").get("frozen"), "and nothing is left frozen");
    assertEquals("0", Files.readString(cg.resolve("cgroup.freeze")).trim());
  }
}
