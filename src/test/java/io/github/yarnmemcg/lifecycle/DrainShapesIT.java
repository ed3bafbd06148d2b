package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.KeyValues;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.Percentiles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dying memcgs left by 20 containers of each workload shape, with the drain of {@link ContainerMemcgs}
 * and, as a control that proves the counts can fail, without it. Each container runs in its own cgroup and
 * touches its own fresh 8 MiB file, so all the page cache it leaves is its own. Figures go to the test output
 * as {@code [measure]} lines. In the VM stage all shapes run on 5.10, the v2 kernel whose drain has no
 * {@code memory.reclaim} (a zero {@code memory.high} instead); 6.1 runs the two writing shapes.
 */
@Tag("v2-5.10")
class DrainShapesIT {
  /** Containers per shape: 20, or fewer where a kernel stage sets YARN_MEMCG_DRAIN_SHAPES_CONTAINERS (CI time). */
  private static final int CONTAINERS = Integer.parseInt(
      System.getenv().getOrDefault("YARN_MEMCG_DRAIN_SHAPES_CONTAINERS", "20"));
  private static final int FILE_MIB = 8;
  private static final long SETTLE_MS = 10_000;
  /**
   * On cgroup v2 a drained memcg can stay dying until the flusher has written the inodes its container dirtied
   * (30 s) and the plugin's writeback nudge has run after that (at most 16 s later): the count is polled that long.
   */
  private static final long SETTLE_V2_DRAINED_MS = 90_000;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;
  final List<Path> shmFiles = new ArrayList<>();
  /**
   * Whether the disk of the containers' files also carries a NodeManager's own writes during the run, as every
   * NodeManager's local disk does (container logs, the state store): a line appended and fsynced every second
   * from outside the root. It matters on ext4 for one reason: a metadata block that a container was the first to
   * read (an inode table or bitmap block) is charged to it and held by the journal until the next journal commit
   * after the flusher wrote it; on a disk nobody writes to, that commit never comes.
   */
  boolean busyDisk = true;

  /** What each container does; every container gets its own path. */
  enum Shape {
    /** cat of a file written with O_DIRECT: atime == mtime, so relatime updates atime on the read. */
    READ_ATIME,
    /** dd of 8 MiB with conv=fsync: the data is clean when the container exits. */
    WRITE_FSYNC,
    /** dd of 8 MiB without fsync: the data is still dirty when the container exits. */
    WRITE_NO_FSYNC,
    /** Every page of a fresh file read through a shared read-only mmap. */
    MMAP_READ,
    /** 8 MiB written to a file under /dev/shm, which outlives the container. */
    SHMEM;

    boolean readsAFreshFile() {
      return this == READ_ATIME || this == MMAP_READ;
    }

    List<String> command(Path file) {
      switch (this) {
        case READ_ATIME:
          return List.of("/bin/sh", "-c", "cat \"$0\" > /dev/null", file.toString());
        case WRITE_FSYNC:
          return List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + FILE_MIB, "conv=fsync",
              "status=none");
        case WRITE_NO_FSYNC:
        case SHMEM:
          return List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + FILE_MIB, "status=none");
        case MMAP_READ:
          return List.of("/usr/bin/python3", "-c", String.join("\n",
              "import mmap, sys",
              "with open(sys.argv[1], 'rb') as f:",
              "    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)",
              "    s = sum(m[i] for i in range(0, len(m), mmap.PAGESIZE))",
              "    assert s == 0, s",
              "    m.close()"), file.toString());
        default:
          throw new AssertionError(this);
      }
    }
  }

  /** When the shmem files of a run go: never during the run, or between the container's exit and complete(). */
  enum ShmRemoval { KEPT, BEFORE_COMPLETE }

  void open(boolean drain) throws Exception {
    memcgs = Lifecycles.open(cgroups, drain);
  }

  @AfterEach
  void close() throws IOException {
    if (memcgs != null) {
      memcgs.close();
    }
    // Before RealCgroups removes the root: a kept shmem file would otherwise pin its memcg.
    for (Path f : shmFiles) {
      Files.deleteIfExists(f);
    }
  }

  static String containerId(int i) {
    return String.format("container_1700000000000_0001_01_%06d", i);
  }

  /** What a run left in the kernel once all its container cgroups were removed. */
  record Run(String label, long baseline, DyingMemcgs.Left left, long[] cleanupNanos, long[] exitToCleanedNanos,
      int leftChargedResults, long maxLeftCharged, int dirtyAtExit, long firstExitNanos, long lastExitNanos,
      LifecycleCounters.Snapshot counters) {

    /** Node-wide: reported, and asserted only where other activity on the node can only work against it. */
    long dyingAdded() {
      return left.nodeDyingAdded();
    }

    /** User pages still charged under the root right after the last removal. */
    long bytesHeld() {
      return left.pagesAtOnce();
    }
  }

  /** Appends a line to a log on the containers' disk and fsyncs it every second, from the test's own cgroup. */
  static ScheduledExecutorService nodeManagerDiskActivity(Path log) {
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    writer.scheduleWithFixedDelay(() -> {
      try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        ch.write(ByteBuffer.wrap((System.nanoTime() + " heartbeat\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, 0, 1, TimeUnit.SECONDS);
    return writer;
  }

  Run run(Shape shape, boolean drain, ShmRemoval shm) throws Exception {
    ScheduledExecutorService disk = busyDisk ? nodeManagerDiskActivity(files.resolve("nodemanager.log")) : null;
    try {
      return runContainers(shape, drain, shm);
    } finally {
      if (disk != null) {
        disk.shutdownNow();
        disk.awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  Run runContainers(Shape shape, boolean drain, ShmRemoval shm) throws Exception {
    String label = shape + (shape == Shape.SHMEM ? " " + shm : "") + (drain ? " drain on" : " drain off (control)")
        + (busyDisk ? "" : ", idle disk");
    open(drain);
    CgroupDriver driver = cgroups.driver();
    List<Path> paths = new ArrayList<>();
    String tag = UUID.randomUUID().toString().substring(0, 8);
    for (int i = 1; i <= CONTAINERS; i++) {
      if (shape.readsAFreshFile()) {
        paths.add(Workloads.freshFile(files, "input-" + i, FILE_MIB));
      } else if (shape == Shape.SHMEM) {
        Path f = Path.of("/dev/shm", "yarn-memcg-test-" + tag + "-" + i);
        shmFiles.add(f);
        paths.add(f);
      } else {
        paths.add(files.resolve("output-" + i));
      }
    }
    long baseline = DyingMemcgs.stableBaseline(driver);
    List<CompletableFuture<CleanupResult>> cleanups = new ArrayList<>();
    long[] exitAt = new long[CONTAINERS];
    long[] cleanedAt = new long[CONTAINERS];
    int dirtyAtExit = 0;
    for (int i = 1; i <= CONTAINERS; i++) {
      String id = containerId(i);
      Path file = paths.get(i - 1);
      FileTime atimeBefore = shape == Shape.READ_ATIME
          ? (FileTime) Files.getAttribute(file, "lastAccessTime") : null;
      Path cg = memcgs.start(id, 64 * ONE_MB, true);
      Process p = new ProcessBuilder(driver.joinThenExec(cg, shape.command(file))).inheritIO().start();
      assertEquals(0, p.waitFor(), label + ": container " + i + " failed");
      exitAt[i - 1] = System.nanoTime();
      MemoryStats s = driver.stats(cg);
      // The shape must really be what it claims, or the counts below prove nothing.
      if (shape == Shape.SHMEM) {
        assertTrue(s.shmem() >= (FILE_MIB - 1) * ONE_MB, label + ": the container's shmem is charged to it: " + s);
      } else {
        assertTrue(s.file() >= (FILE_MIB - 1) * ONE_MB, label + ": the container left its file in page cache: " + s);
      }
      if (shape == Shape.READ_ATIME) {
        FileTime atimeAfter = (FileTime) Files.getAttribute(file, "lastAccessTime");
        assertTrue(atimeAfter.compareTo(atimeBefore) > 0, label + ": relatime updated atime on the read ("
            + atimeBefore + " -> " + atimeAfter + ")");
      }
      if (s.dirty() >= (FILE_MIB - 1) * ONE_MB) {
        dirtyAtExit++;
      }
      if (shape == Shape.SHMEM && shm == ShmRemoval.BEFORE_COMPLETE) {
        Files.delete(file);
      }
      int idx = i - 1;
      cleanups.add(memcgs.complete(id).cleanup().thenApply(r -> {
        cleanedAt[idx] = System.nanoTime();
        return r;
      }));
    }
    if (shape == Shape.WRITE_NO_FSYNC) {
      assertTrue(dirtyAtExit >= 1, label + ": at least one container exited with its 8 MiB still dirty");
    }
    long[] cleanupNanos = new long[CONTAINERS];
    long[] exitToCleaned = new long[CONTAINERS];
    int leftCharged = 0;
    long maxLeftCharged = 0;
    for (int i = 0; i < CONTAINERS; i++) {
      CleanupResult r = cleanups.get(i).get(120, TimeUnit.SECONDS);
      assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
      assertTrue(r.removed());
      cleanupNanos[i] = r.nanos();
      exitToCleaned[i] = cleanedAt[i] - exitAt[i];
      if (r.leftCharged() > 0) {
        leftCharged++;
      }
      maxLeftCharged = Math.max(maxLeftCharged, r.leftCharged());
    }
    assertEquals(List.of(), memcgs.containerIds(), "no container cgroup is left under the root");
    // Kept shmem stays dying whatever the wait: only page cache is waited for.
    // So do writers' memcgs on v2 before 5.14, held by cgroup writeback (assertDrainedWriters).
    boolean writebackHolds = (shape == Shape.WRITE_FSYNC || shape == Shape.WRITE_NO_FSYNC)
        && driver.mount().version() == CgroupVersion.V2 && !DyingMemcgs.kernelReleasesWritebackOfRemovedCgroups();
    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, memcgs.root(), baseline,
        settleMillis(driver, drain && !(shape == Shape.SHMEM && shm == ShmRemoval.KEPT) && !writebackHolds));
    long held = left.pagesAtOnce();
    long added = left.nodeDyingAdded();
    LifecycleCounters.Snapshot c = memcgs.counters().snapshot();
    System.out.printf("[measure] %-34s dying added %3d, held %6.1f MiB, cleanup p50 %8.1f p99 %8.1f max %8.1f ms,"
        + " exit->cleaned p50 %8.1f max %8.1f ms, leftCharged %2d (counter %d), drained %6.1f MiB,"
        + " dirty at exit %2d/%d, writeback nudges %d%n", label + ":", added, held / (double) ONE_MB,
            Percentiles.millis(cleanupNanos, 50),
        Percentiles.millis(cleanupNanos, 99), Percentiles.millis(cleanupNanos, 100), Percentiles.millis(exitToCleaned, 50),
        Percentiles.millis(exitToCleaned, 100), leftCharged, c.leftCharged(), c.evictedBytes() / (double) ONE_MB,
            dirtyAtExit,
        CONTAINERS, c.writebackNudges());
    return new Run(label, baseline, left, cleanupNanos, exitToCleaned, leftCharged, maxLeftCharged, dirtyAtExit,
        exitAt[0], exitAt[CONTAINERS - 1], c);
  }

  static long settleMillis(CgroupDriver driver, boolean drain) {
    return drain && driver.mount().version() == CgroupVersion.V2 ? SETTLE_V2_DRAINED_MS : SETTLE_MS;
  }

  /** The drain contract for page cache: nothing left dying, nothing left charged, nothing reported left. */
  static void assertDrained(Run r) {
    // Other memcgs on the node may be freed meanwhile (the count then goes below the baseline); a leak can only
    // raise it. The exact check is the per-root charge below.
    assertTrue(r.left().nothingPinned(), r.label() + ": " + CONTAINERS + " drained containers must add no dying memcg: " + r);
    assertCleanedAndNothingLeftCharged(r);
  }

  static void assertCleanedAndNothingLeftCharged(Run r) {
    assertEquals(0, r.leftChargedResults(), r.label() + ": no cleanup reported page cache left: " + r);
    assertEquals(0, r.counters().leftCharged(), r.label() + ": " + r.counters());
    assertEquals(CONTAINERS, r.counters().cleaned(), r.label() + ": " + r.counters());
    assertEquals(0, r.counters().pendingCleanups(), r.label() + ": " + r.counters());
  }

  /** The control: proves that the counts in {@link #assertDrained} can fail for this shape. */
  static void assertLeftDying(Run r) {
    // The node-wide count can only be lowered by other memcgs freed meanwhile, so it is checked loosely;
    // the charge still held under this test's own root is exact.
    assertTrue(r.dyingAdded() >= CONTAINERS / 2, r.label() + ": undrained containers stay dying: " + r);
    assertTrue(r.bytesHeld() >= CONTAINERS * FILE_MIB / 2 * ONE_MB,
        r.label() + ": their page cache is still charged under the root: " + r);
  }

  /** Dirty plus writeback bytes charged under a cgroup and all its descendants, removed ones included. */
  long dirtyUnder(Path cgroup) throws IOException {
    Map<String, Long> stat = KeyValues.parse(Files.readString(cgroup.resolve("memory.stat")));
    if (stat.containsKey("total_dirty")) {
      return stat.get("total_dirty") + stat.getOrDefault("total_writeback", 0L);
    }
    return stat.getOrDefault("file_dirty", 0L) + stat.getOrDefault("file_writeback", 0L);
  }

  static final List<String> RECLAIM_COUNTERS = List.of("pgsteal_kswapd", "pgsteal_direct", "pgsteal_proactive",
      "pgsteal_file", "drop_pagecache");

  /** Node-wide reclaim counters: anything but our own drain that frees page cache shows up here. */
  static Map<String, Long> vmstat() throws IOException {
    return KeyValues.parse(Files.readString(Path.of("/proc/vmstat")));
  }

  static String vmstatDelta(Map<String, Long> before) throws IOException {
    Map<String, Long> now = vmstat();
    StringBuilder b = new StringBuilder();
    for (String k : RECLAIM_COUNTERS) {
      if (now.containsKey(k)) {
        b.append(b.length() == 0 ? "" : " ").append(k).append("+")
            .append(now.get(k) - before.getOrDefault(k, 0L));
      }
    }
    return b.toString();
  }

  // --- drain on ---------------------------------------------------------------------------------------------

  @Test
  void readWithAtimeUpdate() throws Exception {
    assertDrained(run(Shape.READ_ATIME, true, null));
  }

  @Test
  @Tag("v2-6.1")
  void writeWithFsync() throws Exception {
    assertDrainedWriters(run(Shape.WRITE_FSYNC, true, null));
  }

  /**
   * Writers drained: no dying memcg; but on cgroup v2 before Linux 5.14 the kernel keeps a removed memcg whose
   * container wrote files dying, with no page left, until those inodes leave the inode cache (see
   * {@link DyingMemcgs#kernelReleasesWritebackOfRemovedCgroups}): measured on 5.10, 3 writers drained to 0 stayed
   * dying for minutes, and went once their inodes did. There the drain is held to what it can do: every page gone.
   */
  void assertDrainedWriters(Run r) throws IOException {
    if (cgroups.driver().mount().version() == CgroupVersion.V1 || DyingMemcgs.kernelReleasesWritebackOfRemovedCgroups()) {
      assertDrained(r);
      return;
    }
    System.out.println("[measure] " + r.label() + " before 5.14: " + r.left() + " (held by cgroup writeback, no page)");
    assertTrue(r.left().noPageLeft(), r.label() + ": every page drained: " + r);
    assertCleanedAndNothingLeftCharged(r);
  }

  /**
   * The same containers on a disk nobody else writes to. On ext4 a container that was the first to read a
   * metadata block keeps that page charged until the journal's next commit after writeback, which an idle disk
   * never makes (measured on cgroup v2: one of 20 containers, 4 KiB, held for minutes; {@code memory.reclaim}
   * cannot free a buffer the journal holds). The contract then is the fallback: the drain waits its
   * budget, removes the cgroup anyway, and reports what it left; every memcg left dying is one so reported,
   * and what it holds is a few clean pages, not the container's data.
   */
  @Test
  // What an idle disk's journal holds is measured where the kernel releases writers' memcgs (5.14+ on v2, and v1).
  @Tag("not-v2-5.10")
  void writeWithFsyncOnAnIdleDisk() throws Exception {
    busyDisk = false;
    Run r = run(Shape.WRITE_FSYNC, true, null);
    // Dying memcgs of this root: counted by the root itself on v2; on v1 only pages pin them, and pages below the
    // slack are the reported metadata pages at most.
    long ours = r.left().underRoot().map(DyingMemcgs.UnderRoot::descendants)
        .orElse(r.left().pagesSettled() < DyingMemcgs.PAGES_SLACK ? 0L : Long.MAX_VALUE);
    if (cgroups.driver().mount().version() == CgroupVersion.V1 || DyingMemcgs.kernelReleasesWritebackOfRemovedCgroups()) {
      assertTrue(ours <= r.leftChargedResults(),
          "every memcg left dying is one whose cleanup reported what stayed charged: " + r);
    } else {
      // Before 5.14 cgroup writeback also holds them, with no page (assertDrainedWriters).
      assertTrue(r.left().noPageLeft(), "every page drained: " + r);
    }
    assertTrue(r.maxLeftCharged() <= 64 * 1024, "and that is a few metadata pages, not the 8 MiB written: " + r);
    assertEquals(r.leftChargedResults(), r.counters().leftCharged(), "each one counted: " + r.counters());
    assertEquals(CONTAINERS, r.counters().cleaned(), r.counters().toString());
  }

  @Test
  @Tag("v2-6.1")
  void writeWithoutFsync() throws Exception {
    assertDrainedWriters(run(Shape.WRITE_NO_FSYNC, true, null));
  }

  @Test
  void mmapRead() throws Exception {
    assertDrained(run(Shape.MMAP_READ, true, null));
  }

  /**
   * Shmem is not page cache: no drain can reclaim it without swap, it stays charged to the removed cgroup,
   * which stays dying for as long as the file exists, and goes with the file.
   */
  @Test
  void shmemKeptPastCleanupHoldsTheMemcgUntilTheFileGoes() throws Exception {
    CgroupDriver driver = cgroups.driver();
    Run kept = run(Shape.SHMEM, true, ShmRemoval.KEPT);
    assertTrue(kept.bytesHeld() >= CONTAINERS * (FILE_MIB - 1) * ONE_MB,
        "the shmem of the removed cgroups is still charged under the root: " + kept);
    assertTrue(kept.dyingAdded() >= CONTAINERS / 2, "their memcgs are dying while the files exist: " + kept);
    assertEquals(CONTAINERS, kept.leftChargedResults(), "each cleanup reports the shmem it leaves charged: " + kept);
    assertEquals(CONTAINERS, kept.counters().leftCharged(), kept.counters().toString());
    for (Path f : shmFiles) {
      Files.delete(f);
    }
    DyingMemcgs.Left after = DyingMemcgs.leftUnder(driver, memcgs.root(), kept.baseline(), SETTLE_MS);
    System.out.printf("[measure] %-34s dying added %3d, held %6.1f MiB%n", "SHMEM KEPT, files removed after:",
        after.nodeDyingAdded(), after.pagesSettled() / (double) ONE_MB);
    assertTrue(after.nothingPinned(), "removing the files frees the dying memcgs and their charge: " + after);
  }

  @Test
  void shmemRemovedBeforeComplete() throws Exception {
    assertDrained(run(Shape.SHMEM, true, ShmRemoval.BEFORE_COMPLETE));
  }

  // --- drain off: the controls ------------------------------------------------------------------------------
  // All four run on the host; in the v2 stage (time-bound) the read control stands for them ("host-only" tag).

  @Test
  void controlReadWithAtimeUpdate() throws Exception {
    assertLeftDying(run(Shape.READ_ATIME, false, null));
  }

  @Test
  @Tag("host-only")
  void controlWriteWithFsync() throws Exception {
    assertLeftDying(run(Shape.WRITE_FSYNC, false, null));
  }

  @Test
  @Tag("host-only")
  void controlMmapRead() throws Exception {
    assertLeftDying(run(Shape.MMAP_READ, false, null));
  }

  /**
   * Also measures how long the kernel flusher alone takes to clean the containers' dirty pages with the node's
   * defaults (no drain, so nothing kicks it), and whether the clean pages stay charged: writeback alone frees
   * nothing. That measurement waits up to a minute for the flusher and asserts nothing, so it runs only when asked
   * for ({@code -Dyarnmemcg.measure.flusher=true}); CI runs the control's checks.
   */
  @Test
  @Tag("host-only")
  void controlWriteWithoutFsync() throws Exception {
    Run r = run(Shape.WRITE_NO_FSYNC, false, null);
    assertLeftDying(r);
    // Loose: a force_empty anywhere else on the node (another drain) kicks the flusher for every dirty page.
    assertTrue(r.dirtyAtExit() >= CONTAINERS / 2, "without a drain the pages are still dirty at the exit: " + r);
    if (!Boolean.getBoolean("yarnmemcg.measure.flusher")) {
      return;
    }
    Path root = memcgs.root();
    long deadline = r.firstExitNanos() + 60_000_000_000L;
    Map<String, Long> vmBefore = vmstat();
    long dirty = dirtyUnder(root);
    long lastPrint = 0;
    while (dirty > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      dirty = dirtyUnder(root);
      if (System.nanoTime() - lastPrint > 5_000_000_000L) {
        lastPrint = System.nanoTime();
        System.out.printf("[diag] t=%.1f s dirty %.1f MiB held %.1f MiB vmstat %s%n",
            (lastPrint - r.firstExitNanos()) / 1e9, dirty / (double) ONE_MB,
            DyingMemcgs.heldByRemovedChildren(cgroups.driver(), root) / (double) ONE_MB, vmstatDelta(vmBefore));
      }
    }
    long cleanAt = System.nanoTime();
    long held = DyingMemcgs.heldByRemovedChildren(cgroups.driver(), root);
    System.out.printf("[measure] %-34s dirty+writeback under the root %s %.1f s after the first exit (%.1f s after"
        + " the last); still held %.1f MiB, dying added %d; node reclaim meanwhile %s%n",
        "WRITE_NO_FSYNC flusher alone:",
        dirty == 0 ? "reached 0" : "still " + dirty / ONE_MB + " MiB", (cleanAt - r.firstExitNanos()) / 1e9,
        (cleanAt - r.lastExitNanos()) / 1e9, held / (double) ONE_MB,
        cgroups.driver().dyingMemcgs() - r.baseline(), vmstatDelta(vmBefore));
    // Not asserted: anything that reclaims page cache node-wide meanwhile (another tenant's drop_caches,
    // global pressure) lowers it; the vmstat deltas on the line above show whether that happened.
  }
}
