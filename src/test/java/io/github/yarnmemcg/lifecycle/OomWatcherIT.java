package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.Percentiles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kernel OOM kills in running containers, reported as they happen by the one watcher thread (v2: signalled by the
 * kernel; v1: read every 250 ms), on the host's real memory controller and in the v2 guests.
 */
@Tag("v2-stage")
@Tag("v1-guest")
// CI time: not on 6.1, whose inotify on memory.events is the same as 6.12's and 7.3's.
@Tag("not-v2-6.1")
class OomWatcherIT {
  private static final int KILLS = 4;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  final BlockingQueue<OomKill> reports = new LinkedBlockingQueue<>();
  final List<Process> processes = new ArrayList<>();
  ContainerMemcgs memcgs;

  @AfterEach
  void close() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor();
    }
    if (memcgs != null) {
      memcgs.close();
    }
  }

  Process inside(Path cgroup, List<String> command) throws Exception {
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, command))
        .redirectError(ProcessBuilder.Redirect.INHERIT).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    processes.add(p);
    return p;
  }

  /** A process in the cgroup that sits still until killed, standing for the rest of the container. */
  Process holder(Path cgroup) throws Exception {
    Process p = inside(cgroup, List.of("sleep", "600"));
    for (int i = 0; !cgroups.driver().pids(cgroup).contains(p.pid()); i++) {
      assertTrue(p.isAlive() && i < 10_000, "the holder joined its cgroup");
      Thread.sleep(1);
    }
    return p;
  }

  @Test
  void aKillIsReportedOnceWithTheFiguresOfThatMomentWhileTheContainerIsStillRunning() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    memcgs.watchOomKills(reports::add);
    CgroupDriver driver = cgroups.driver();
    boolean v1 = driver.mount().version() == CgroupVersion.V1;
    long[] latencyNanos = new long[KILLS];
    long killed = 0;
    for (int i = 0; i < KILLS; i++) {
      String id = Lifecycles.containerId(i + 1);
      Path cg = memcgs.start(id, 32 * ONE_MB, true);
      Process holder = holder(cg);
      // Out of step with the v1 watcher's 250 ms reads, or every kill would land at the same point of its period.
      Thread.sleep(ThreadLocalRandom.current().nextInt(250));
      Process hog = inside(cg, Workloads.allocateAnon(96));
      assertNotEquals(0, hog.waitFor(), "the kernel killed the 96 MiB allocation under a 32 MiB limit");
      long exitedAt = System.nanoTime();
      OomKill kill = reports.poll(30, TimeUnit.SECONDS);
      assertNotNull(kill, "an OOM kill in " + id + " was reported before the container completed");
      latencyNanos[i] = kill.seenAtNanos() - exitedAt;

      assertEquals(id, kill.containerId());
      assertTrue(kill.newKills() >= 1 && kill.totalKills() == kill.newKills(), kill.toString());
      assertEquals(32 * ONE_MB, kill.stats().limit(), "the figures of the container's own cgroup");
      assertTrue(kill.message().contains("kernel OOM killer") && kill.message().contains(cg.toString()),
          kill.message());
      if (v1) {
        // v1 kills the largest process only: the container runs on, and the report reached it while it ran.
        assertTrue(holder.isAlive(), "the rest of the container still runs on cgroup v1");
      }
      Completion done = memcgs.complete(id);
      // A group kill (v2) counts its processes one by one, and the kernel signals at most every 10 ms: more reports
      // may follow the first, and the completion may see kills after the last one; each kill is told once.
      List<OomKill> told = new ArrayList<>(List.of(kill));
      reports.drainTo(told);
      long reported = told.get(told.size() - 1).totalKills();
      assertEquals(reported, told.stream().mapToLong(OomKill::newKills).sum(), "each kill in one report: " + told);
      assertTrue(told.stream().allMatch(k -> k.containerId().equals(id)), told.toString());
      long total = done.finalStats().orElseThrow().oomKill();
      killed += total;
      if (total == reported) {
        assertTrue(done.oomKill().isEmpty(), "reported once, not again at completion: " + done.oomKill());
      } else {
        assertTrue(total > reported && done.oomKill().orElseThrow().contains((total - reported)
            + " more process(es) OOM-killed since the last report (" + total + " in all)"), done.oomKill().toString());
      }
      assertEquals(CleanupResult.Outcome.CLEANED, done.cleanup().get(60, TimeUnit.SECONDS).outcome());
      assertNull(reports.poll(), "one report per kill");
    }
    // v2 kills every process of the cgroup (memory.oom.group), v1 the largest: the count is the kernel's.
    assertEquals(killed, memcgs.counters().snapshot().oomKills(), "each kill counted once, as it was reported");
    System.out.printf("[measure] OOM kill to report (%s; from the killed process's exit as its parent saw it), %d kills:"
        + " p50 %.1f ms, max %.1f ms (negative: reported before the parent saw the exit)%n", driver.mount().version(),
        KILLS, Percentiles.millis(latencyNanos, 50), Percentiles.millis(latencyNanos, 100));
  }

  @Test
  void withoutTheWatcherTheSameKillIsReportedOnlyWhenTheContainerCompletes() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 32 * ONE_MB, true);
    holder(cg);
    assertNotEquals(0, inside(cg, Workloads.allocateAnon(96)).waitFor());
    assertNull(reports.poll(2, TimeUnit.SECONDS), "nothing watches: no report while it runs");
    Completion done = memcgs.complete(id);
    assertTrue(done.oomKill().isPresent(), "the completion reports it instead");
    assertTrue(done.oomKill().get().contains("kernel OOM killer"), done.oomKill().get());
    assertEquals(CleanupResult.Outcome.CLEANED, done.cleanup().get(60, TimeUnit.SECONDS).outcome());
  }

  @Test
  void aContainerThatStaysUnderItsLimitIsNeverReported() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    memcgs.watchOomKills(reports::add);
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 64 * ONE_MB, true);
    holder(cg);
    assertEquals(0, inside(cg, Workloads.allocateAnon(16)).waitFor());
    // A container that does hit its limit, watched beside it, shows the watcher was working meanwhile.
    String other = Lifecycles.containerId(2);
    Path cg2 = memcgs.start(other, 32 * ONE_MB, true);
    holder(cg2);
    assertNotEquals(0, inside(cg2, Workloads.allocateAnon(96)).waitFor());
    OomKill kill = reports.poll(30, TimeUnit.SECONDS);
    assertNotNull(kill);
    assertEquals(other, kill.containerId());
    // More reports may follow for the group kill (v2); none is for the container under its limit.
    for (OomKill more = reports.poll(1, TimeUnit.SECONDS); more != null; more = reports.poll(1, TimeUnit.SECONDS)) {
      assertEquals(other, more.containerId(), "no report for " + id);
    }
    assertTrue(memcgs.complete(id).oomKill().isEmpty());
    memcgs.complete(other).cleanup().get(60, TimeUnit.SECONDS);
  }
}
