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
 * tell). 1 MiB of a fresh file is written around the page cache ({@code O_DIRECT}, from the NodeManager's own
 * cgroup), and a child process in a probe cgroup under the root reads it without touching its atime: the clean
 * pages are charged to the probe, and no inode of the probe's is left for cgroup writeback to hold it by. The
 * probe is removed without any drain, and the kernel is watched for up to two seconds: on v2 the root's
 * {@code nr_dying_descendants} falls back to where it was (nothing held the probe), on v1 the root's own
 * {@code cache} grows by the probe's pages (they moved up). Then the file is deleted, which frees the pages on
 * kernels that kept them, and on v2 the dying count is watched back to where it was: the probe leaves nothing.
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

  /** Where the probe writes and deletes its file. */
  public Path scratch() {
    return scratch;
  }

  public Finding run() throws IOException {
    Path probe = root.resolve("yarn-memcg-probe-reparent-" + Processes.self());
    Files.createDirectories(scratch);
    Path file = Files.createTempFile(scratch, "yarn-memcg-probe-", ".data");
    long dyingAtStart = driver.dyingMemcgsUnder(root);
    driver.create(probe);
    try {
      run(Arrays.asList("dd", "if=/dev/zero", "of=" + file, "bs=64k", "count=" + FILE_BYTES / 65536,
          "oflag=direct", "conv=notrunc,fsync"), "write " + file + " around the page cache");
      run(driver.joinThenExec(probe, Arrays.asList("dd", "if=" + file, "of=/dev/null", "bs=64k", "iflag=noatime")),
          "read " + file + " in " + probe);
      long charged = driver.memoryStat(probe).pageCache();
      if (charged < FILE_BYTES / 2) {
        return new Finding(false, "inconclusive: reading " + FILE_BYTES / 1024 + " KiB of a fresh file in " + scratch
            + " charged only " + charged / 1024 + " KiB to the probe cgroup, so the drain stays on");
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
      awaitReleased(dyingAtStart);
    }
  }

  /** On v2, waits (two seconds at most) until the kernel has freed the probe's memcg, so the probe leaves none. */
  private void awaitReleased(long dyingAtStart) throws IOException {
    if (dyingAtStart == MemoryStats.UNKNOWN) {
      return;
    }
    long deadline = System.nanoTime() + WATCH.toNanos();
    for (int attempt = 0; driver.dyingMemcgsUnder(root) > dyingAtStart; attempt++) {
      if (!Backoff.STANDARD.pause(attempt, deadline)) {
        return;
      }
    }
  }

  private boolean movedUp(long dyingBefore, long ownBefore, long charged) throws IOException {
    if (dyingBefore != MemoryStats.UNKNOWN) {
      return driver.dyingMemcgsUnder(root) <= dyingBefore;
    }
    return driver.ownPageCache(root) - ownBefore >= charged / 2;
  }

  /** Runs one command of the probe to its end. */
  private static void run(java.util.List<String> command, String what) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = IOUtils.toString(p.getInputStream(), StandardCharsets.UTF_8);
      if (!p.waitFor(CHILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("the probe could not " + what + " within " + CHILD_TIMEOUT.getSeconds() + " s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("the probe could not " + what + " (exit " + p.exitValue() + "): " + out.trim());
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the probe tried to " + what, e);
    }
  }
}
