package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.KeyValues;
import io.github.yarnmemcg.cgroup.MemoryStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts the dying memcgs a run added to the node. The kernel frees a drained cgroup's memcg asynchronously
 * after rmdir, so the count is polled until it is back at the baseline or the settle time has passed; a leak
 * shows as a count that stays above it. Never drops caches or syncs.
 */
public final class DyingMemcgs {

  private DyingMemcgs() {}

  /**
   * Whether this kernel moves a removed memcg's pages to its parent: Linux 7.1 and later. A test may ask uname what
   * to expect; the product measures instead ({@code ReparentProbe}).
   */
  public static boolean kernelReparents() throws IOException {
    return kernelAtLeast(7, 1);
  }

  /**
   * Whether this kernel moves the inodes a removed memcg's container wrote to its parent's writeback context when a
   * memcg goes offline ("writeback, cgroup: release dying cgwbs by switching attached inodes", Linux 5.14). Before it,
   * on cgroup v2, a removed memcg whose container wrote files stays dying, with no page charged, until those inodes
   * (and the directories it wrote in) leave the inode cache, which nothing the plugin may do brings about.
   */
  public static boolean kernelReleasesWritebackOfRemovedCgroups() throws IOException {
    return kernelAtLeast(5, 14);
  }

  private static boolean kernelAtLeast(int wantMajor, int wantMinor) throws IOException {
    String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
    int major = Integer.parseInt(v[0]);
    int minor = Integer.parseInt(v[1]);
    return major > wantMajor || major == wantMajor && minor >= wantMinor;
  }

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
  public static long heldByRemovedChildren(CgroupDriver driver, Path root) throws IOException {
    return driver.stats(root).usage();
  }

  /**
   * Like {@link #heldByRemovedChildren} but only user pages (page cache, shmem, anon, swap), which pin a dying
   * memcg. On v1 the root's usage also counts kernel objects of removed children (about 4 KiB each), which the
   * kernel reparents to the root, so they pin no memcg but add up over a thousand containers. Children still there
   * (retired cgroups, alive) are not removed ones: what they hold is left out.
   */
  public static long pagesHeldByRemovedChildren(CgroupDriver driver, Path root) throws IOException {
    long held = userPages(driver, root);
    for (String child : driver.fs().subdirectories(root)) {
      try {
        held -= userPages(driver, root.resolve(child));
      } catch (java.nio.file.NoSuchFileException removedMeanwhile) {
        // counted as removed: what it held, if anything, still shows in the root's figure
      }
    }
    return Math.max(0, held);
  }

  /** A cgroup's user pages, its descendants' included. */
  private static long userPages(CgroupDriver driver, Path cgroup) throws IOException {
    Map<String, Long> stat = KeyValues.parse(driver.fs().read(cgroup.resolve("memory.stat")));
    // v1 memory.stat is per-cgroup except the total_* keys; v2 memory.stat is hierarchical.
    String prefix = driver.mount().version() == io.github.yarnmemcg.cgroup.CgroupVersion.V1 ? "total_" : "";
    long held = 0;
    for (String key : new String[] {"cache", "rss", "swap", "file", "anon"}) {
      held += Math.max(0, stat.getOrDefault(prefix + key, 0L));
    }
    return held;
  }

  /**
   * The dying cgroups below one cgroup v2 root, from its own {@code cgroup.stat}: exact for that root, unlike the
   * node-wide count. {@code memory} is {@code nr_dying_subsys_memory} (kernel 6.12 and later), else
   * {@link MemoryStats#UNKNOWN}.
   */
  public record UnderRoot(long descendants, long memory) {}

  /**
   * The root's dying descendants once the kernel has freed what it will free (polled until 0 or the settle time
   * has passed); empty on cgroup v1, which has no per-cgroup count.
   */
  public static Optional<UnderRoot> underRoot(CgroupDriver driver, Path root, long settleMillis)
      throws IOException {
    Path stat = root.resolve("cgroup.stat");
    if (!driver.fs().exists(stat)) {
      return Optional.empty();
    }
    AtomicReference<UnderRoot> now = new AtomicReference<>();
    settle(settleMillis, () -> {
      Map<String, Long> values = KeyValues.parse(driver.fs().read(stat));
      now.set(new UnderRoot(values.getOrDefault("nr_dying_descendants", MemoryStats.UNKNOWN),
          values.getOrDefault("nr_dying_subsys_memory", MemoryStats.UNKNOWN)));
      return now.get().descendants() <= 0;
    });
    return Optional.of(now.get());
  }

  /** Reads until the kernel has freed what it will (the condition) or the settle time has passed. */
  private static void settle(long settleMillis, Await.Condition settled) throws IOException {
    try {
      Await.within(Duration.ofMillis(settleMillis), settled);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  public static long addedSince(CgroupDriver driver, long baseline, long settleMillis) throws IOException {
    long[] added = new long[1];
    settle(settleMillis, () -> (added[0] = driver.dyingMemcgs() - baseline) <= 0);
    return added[0];
  }

  /** Pages below which what removed children still hold under a root pins none of them. */
  public static final long PAGES_SLACK = 2L << 20;

  /**
   * What the removed container cgroups under one root left behind. {@code pagesAtOnce} is read first (the controls
   * need it before the kernel frees anything), {@code pagesSettled} after the counts settled; {@code nodeDyingAdded}
   * is node-wide and moves with anything else on the node; {@code underRoot} is the root's own dying count (v2).
   */
  public record Left(long pagesAtOnce, long pagesSettled, long nodeDyingAdded, Optional<UnderRoot> underRoot) {

    /**
     * Nothing of the root's stays dying. On v1, which counts dying memcgs only node-wide, the exact per-root measure
     * is the user pages still charged under the root, since only pages pin a removed v1 memcg (kernel objects are
     * reparented); on v2 also the root's own dying count, which also sees memcgs pinned without pages (writeback).
     */
    public boolean nothingPinned() {
      return pagesSettled < PAGES_SLACK && underRoot.map(u -> u.descendants() <= 0).orElse(true);
    }

    /** No page of the root's is still charged: what a drain can achieve whatever holds a removed memcg otherwise. */
    public boolean noPageLeft() {
      return pagesSettled < PAGES_SLACK;
    }

    @Override
    public String toString() {
      return String.format("pages held under the root %.1f MiB (%.1f MiB once settled), dying memcgs added node-wide"
          + " %d%s", pagesAtOnce / (double) (1 << 20), pagesSettled / (double) (1 << 20), nodeDyingAdded,
          underRoot.map(u -> ", dying under the root " + u.descendants()).orElse(""));
    }
  }

  /** Measures {@link Left} once a run's cgroups are all removed, waiting up to {@code settleMillis} per count. */
  public static Left leftUnder(CgroupDriver driver, Path root, long baseline, long settleMillis) throws IOException {
    long atOnce = pagesHeldByRemovedChildren(driver, root);
    Optional<UnderRoot> under = driver.mount().version() == io.github.yarnmemcg.cgroup.CgroupVersion.V2
        ? underRoot(driver, root, settleMillis) : Optional.empty();
    // With the root's own count settled, the node-wide one is only reported: no second wait.
    long added = under.isPresent() ? driver.dyingMemcgs() - baseline : addedSince(driver, baseline, settleMillis);
    // memory.stat can lag the kernel's counters by up to 2 s; pages only leave a removed memcg, never arrive.
    long[] settled = new long[1];
    settle(5_000, () -> (settled[0] = pagesHeldByRemovedChildren(driver, root)) < PAGES_SLACK);
    return new Left(atOnce, settled[0], added, under);
  }
}
