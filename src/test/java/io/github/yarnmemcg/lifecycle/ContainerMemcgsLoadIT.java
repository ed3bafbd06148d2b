package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.Percentiles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load: 1000 container lifecycles from 16 threads on the real memory controller, each with a real
 * process that joins its cgroup and reads its own fresh file, with the drain on. The run must end without an
 * error, with nothing left under the root, with no dying memcg added and within a generous bound (a deadlock
 * guard, not a performance figure: the figures are printed as {@code [measure]} lines).
 */
class ContainerMemcgsLoadIT {
  private static final int LIFECYCLES = 1000;
  private static final int THREADS = 16;
  private static final int FILE_BYTES = 256 << 10;
  /** Far above the ~1 min this takes on a busy 2-core VM; only a hang or a deadlock reaches it. */
  private static final long BOUND_NANOS = TimeUnit.MINUTES.toNanos(6);

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;


  /** Writes a file with O_DIRECT, so none of it is in the page cache until the container reads it. */
  static Path freshFile(Path file, int bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(bytes + 4096).alignedSlice(4096);
    buf.limit(bytes);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        ExtendedOpenOption.DIRECT)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
    return file;
  }

  /** One lifecycle: start, a process that joins and reads, complete. Returns its cleanup. */
  CompletableFuture<CleanupResult> lifecycle(int i, long[] nanos) throws Exception {
    String id = Lifecycles.containerId(i);
    Path input = freshFile(files.resolve("input-" + i), FILE_BYTES);
    CgroupDriver driver = cgroups.driver();
    long t0 = System.nanoTime();
    Path cg = memcgs.start(id, 64 * ONE_MB, i % 2 == 0);
    Process p = new ProcessBuilder(driver.joinThenExec(cg, Workloads.readNoAtime(input)))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(id + ": the container process failed: " + out);
    }
    CompletableFuture<CleanupResult> cleanup = memcgs.complete(id).cleanup();
    nanos[i - 1] = System.nanoTime() - t0;
    return cleanup;
  }

  @Test
  void thousandLifecyclesFromSixteenThreadsLeaveNothing() throws Exception {
    memcgs = cgroups.closing(Lifecycles.open(cgroups, true));
    CgroupDriver driver = cgroups.driver();
    long baseline = DyingMemcgs.stableBaseline(driver);
    long[] lifecycleNanos = new long[LIFECYCLES];
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<CompletableFuture<CleanupResult>> cleanups = new ConcurrentLinkedQueue<>();
    AtomicInteger next = new AtomicInteger(1);
    long deadline = System.nanoTime() + BOUND_NANOS;
    long start = System.nanoTime();
    ExecutorService workers = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        running.add(workers.submit(() -> {
          for (int i = next.getAndIncrement(); i <= LIFECYCLES; i = next.getAndIncrement()) {
            try {
              cleanups.add(lifecycle(i, lifecycleNanos));
            } catch (Throwable e) {
              errors.add(e);
            }
          }
        }));
      }
      for (Future<?> f : running) {
        f.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      }
      long launched = System.nanoTime() - start;
      List<CleanupResult> results = new ArrayList<>();
      for (CompletableFuture<CleanupResult> c : cleanups) {
        results.add(c.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
      long total = System.nanoTime() - start;

      assertEquals(List.of(), errors.stream().map(Throwable::toString).toList(), "no lifecycle failed");
      assertEquals(LIFECYCLES, results.size());
      long[] cleanupNanos = new long[results.size()];
      for (int i = 0; i < results.size(); i++) {
        CleanupResult r = results.get(i);
        assertEquals(CleanupResult.Outcome.CLEANED, r.outcome(), r.toString());
        assertTrue(r.removed() && r.leftCharged() == 0, r.toString());
        cleanupNanos[i] = r.nanos();
      }
      try (Stream<Path> left = Files.list(memcgs.root())) {
        assertEquals(List.of(), left.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList(),
            "no cgroup is left under the root");
      }
      LifecycleCounters.Snapshot c = memcgs.counters().snapshot();
      assertEquals(LIFECYCLES, c.started());
      assertEquals(LIFECYCLES, c.cleaned());
      assertEquals(0, c.givenUp());
      assertEquals(0, c.leftCharged());
      assertEquals(0, c.pendingCleanups());
      // Each container was charged its whole input when it read it; the drain must have reclaimed it.
      assertTrue(c.evictedBytes() >= LIFECYCLES * (long) FILE_BYTES / 2, "the drain reclaimed the inputs: " + c);
      long held = DyingMemcgs.pagesHeldByRemovedChildren(driver, memcgs.root());
      long usage = DyingMemcgs.heldByRemovedChildren(driver, memcgs.root());
      long added = DyingMemcgs.addedSince(driver, baseline, 10_000);
      System.out.printf("[measure] load: %d lifecycles from %d threads (drain on, %d KiB fresh read each):"
          + " all launched and completed in %.1f s, all cleaned in %.1f s; start..complete() per lifecycle"
          + " p50 %.1f ms p99 %.1f ms max %.1f ms; background cleanup p50 %.1f ms p99 %.1f ms; rmdir retries %d;"
          + " drained %.1f MiB; dying memcgs added %d; pages still charged under the root %d bytes (usage with"
          + " reparented kernel objects %.1f MiB)%n",
          LIFECYCLES, THREADS, FILE_BYTES >> 10, launched / 1e9, total / 1e9,
          Percentiles.millis(lifecycleNanos, 50), Percentiles.millis(lifecycleNanos, 99),
          Percentiles.millis(lifecycleNanos, 100), Percentiles.millis(cleanupNanos, 50),
          Percentiles.millis(cleanupNanos, 99), c.deleteRetries(), c.evictedBytes() / (double) ONE_MB, added, held,
          usage / (double) ONE_MB);
      // Exact for this root: a dying child's pages stay charged to the root until they are freed. Its kernel
      // objects are reparented to the root and pin nothing, so the root's usage is not the measure here.
      assertTrue(held < FILE_BYTES, "not even one container's input is still charged under the root: " + held);
      // That is also the exact dying check for this root on v1, where only pages pin a removed memcg; the
      // node-wide count above moves with anything else on the machine, so it is reported, not asserted.
    } catch (TimeoutException e) {
      throw new AssertionError("1000 lifecycles did not finish within " + TimeUnit.NANOSECONDS.toMinutes(BOUND_NANOS)
          + " min: a hang or deadlock (" + memcgs.counters().snapshot() + ")", e);
    } finally {
      workers.shutdownNow();
    }
  }
}
