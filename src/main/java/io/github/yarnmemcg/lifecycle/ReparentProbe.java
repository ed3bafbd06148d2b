package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.apache.commons.io.IOUtils;

/**
 * Measures, before the first container, whether this kernel moves a removed memory cgroup's page cache to its
 * parent (Linux 7.1's "Eliminate Dying Memory Cgroup"; distributions backport, so the version string cannot
 * tell). A probe cgroup under the root gets a child process that writes and fsyncs 1 MiB of a fresh file, so the
 * clean pages are charged to the probe; the probe is removed without any drain, and the kernel is watched for up to
 * two seconds: on v2 the root's {@code nr_dying_descendants} falls back to where it was (nothing held the probe),
 * on v1 the root's own {@code cache} grows by the probe's pages (they moved up). Then the file is deleted, which
 * frees the pages on kernels that kept them, so that the probe leaves nothing dying itself.
 */
public final class ReparentProbe {

  private static final long FILE_BYTES = FileUtils.ONE_MB;
  private static final Duration WATCH = Duration.ofSeconds(2);
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(30);

  /** What the probe saw, for the start-up log and the doctor. */
  public static final class Finding {
    private final boolean reparents;
    private final String evidence;

    Finding(boolean reparents, String evidence) {
      this.reparents = reparents;
      this.evidence = evidence;
    }

    /** Whether a removed cgroup's page cache moved to the parent. */
    public boolean reparents() {
      return reparents;
    }

    /** What was measured, in one sentence. */
    public String evidence() {
      return evidence;
    }

    @Override
    public String toString() {
      return evidence;
    }
  }

  private final CgroupDriver driver;
  private final Path root;
  private final Path scratch;
  private final Duration deleteTimeout;

  /**
   * @param scratch a directory on a disk the containers use (the NodeManager's first local dir), where the probe's
   *     file is written and deleted
   */
  public ReparentProbe(CgroupDriver driver, Path root, Path scratch, Duration deleteTimeout) {
    this.driver = driver;
    this.root = root;
    this.scratch = scratch;
    this.deleteTimeout = deleteTimeout;
  }

  public Finding run() throws IOException {
    Path probe = root.resolve("yarn-memcg-probe-reparent-" + Processes.self());
    Files.createDirectories(scratch);
    Path file = Files.createTempFile(scratch, "yarn-memcg-probe-", ".data");
    driver.create(probe);
    try {
      writeFromInside(probe, file);
      long charged = driver.memoryStat(probe).pageCache();
      if (charged < FILE_BYTES / 2) {
        return new Finding(false, "inconclusive: the probe's " + FILE_BYTES / 1024 + " KiB write in " + scratch
            + " left only " + charged / 1024 + " KiB charged to its cgroup, so the drain stays on");
      }
      long dyingBefore = driver.dyingMemcgsUnder(root);
      long ownBefore = driver.ownPageCache(root);
      String signal = dyingBefore != MemoryStats.UNKNOWN ? "cgroup.stat nr_dying_descendants of " + root
          : "memory.stat cache of " + root;
      driver.delete(probe, System.nanoTime() + deleteTimeout.toNanos());
      long deadline = System.nanoTime() + WATCH.toNanos();
      long start = System.nanoTime();
      for (int attempt = 0; ; attempt++) {
        if (movedUp(dyingBefore, ownBefore, charged)) {
          return new Finding(true, String.format(Locale.ROOT, "a removed cgroup's %d KiB of page cache moved to"
              + " its parent within %d ms (%s)", charged / 1024, TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
              - start), signal));
        }
        if (!Backoff.STANDARD.pause(attempt, deadline)) {
          return new Finding(false, String.format(Locale.ROOT, "a removed cgroup's %d KiB of page cache stayed"
              + " charged to it for %d ms (%s): it would stay a dying memcg", charged / 1024, WATCH.toMillis(),
              signal));
        }
      }
    } finally {
      // Deleting the file frees the pages wherever they are charged: nothing of the probe stays dying.
      Files.deleteIfExists(file);
      driver.delete(probe, System.nanoTime() + deleteTimeout.toNanos());
    }
  }

  private boolean movedUp(long dyingBefore, long ownBefore, long charged) throws IOException {
    if (dyingBefore != MemoryStats.UNKNOWN) {
      return driver.dyingMemcgsUnder(root) <= dyingBefore;
    }
    return driver.ownPageCache(root) - ownBefore >= charged / 2;
  }

  /** Runs dd in the probe cgroup: the pages it writes and fsyncs are charged there, clean at exit. */
  private void writeFromInside(Path probe, Path file) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(driver.joinThenExec(probe, Arrays.asList("dd", "if=/dev/zero",
        "of=" + file, "bs=64k", "count=" + FILE_BYTES / 65536, "conv=fsync"))).redirectErrorStream(true);
    Process p = pb.start();
    try {
      String out = IOUtils.toString(p.getInputStream(), StandardCharsets.UTF_8);
      if (!p.waitFor(CHILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("the probe's dd in " + probe + " did not end within " + CHILD_TIMEOUT.getSeconds()
            + " s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("the probe's dd in " + probe + " failed (exit " + p.exitValue() + "): " + out.trim());
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while probing " + probe, e);
    }
  }
}
