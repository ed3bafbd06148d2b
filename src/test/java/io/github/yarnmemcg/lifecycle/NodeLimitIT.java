package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node limit on the root, on the real kernel: finished containers' retired cgroups keep their page cache for the
 * next reader, but never more than the node limit together with the running containers, and a running container
 * that needs the room gets it from their cache instead of being OOM-killed. The control, without a node limit, shows
 * that the retired cgroups would hold more than the limit.
 */
@Tag("v2-stage")
@Tag("v1-guest")
class NodeLimitIT {
  private static final long NODE_LIMIT = 256 * ONE_MB;
  private static final int READERS = 3;
  private static final int FILE_MIB = 128;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;


  /** What the root held after the readers retired, and what became of the container that needed room. */
  record Run(String setting, String logLine, long retiredAfterReads, long retiredAfterAllocation,
      Optional<String> oomKill, long rootLimit) {
    @Override
    public String toString() {
      return String.format("%-14s retired cgroups held %5.1f MiB after %d readers of %d MiB, %5.1f MiB after a"
          + " container allocated 160 MiB (OOM kill: %s); %s", setting, retiredAfterReads / (double) ONE_MB, READERS,
          FILE_MIB, retiredAfterAllocation / (double) ONE_MB, oomKill.orElse("none"), logLine);
    }
  }

  Run run(String setting, long nodeLimit) throws Exception {
    LifecycleSettings settings = Lifecycles.settings(true)
        .withDrainWhen(DrainWhen.OVER_BUDGET, Duration.ofHours(1), 512).withRetire(RetireSettings.defaults());
    memcgs = cgroups.closing(new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings, app -> false));
    memcgs.bootstrap();
    String logLine = memcgs.limitNode(nodeLimit);
    CgroupDriver driver = cgroups.driver();
    for (int i = 1; i <= READERS; i++) {
      Path file = Workloads.freshFile(files, setting + "-" + i, FILE_MIB);
      String id = Lifecycles.containerId(i);
      Workloads.run(driver.joinThenExec(memcgs.start(id, 192 * ONE_MB, true), Workloads.readNoAtime(file)));
      memcgs.complete(id);
    }
    long afterReads = retiredPageCache();
    String needsRoom = Lifecycles.containerId(READERS + 1);
    Process p = new ProcessBuilder(driver.joinThenExec(memcgs.start(needsRoom, 256 * ONE_MB, true),
        Workloads.allocateAnon(160))).inheritIO().start();
    int exit = p.waitFor();
    Completion done = memcgs.complete(needsRoom);
    assertEquals(0, exit, setting + ": the container that needed room ran to its end");
    Run r = new Run(setting, logLine, afterReads, retiredPageCache(), done.oomKill(),
        driver.stats(cgroups.root()).limit());
    System.out.println("[measure] node limit, " + r);
    return r;
  }

  /** Page cache in the cgroups of the finished readers, read from the kernel. */
  long retiredPageCache() throws Exception {
    long sum = 0;
    for (int i = 1; i <= READERS; i++) {
      Path cg = memcgs.cgroupOf(Lifecycles.containerId(i));
      if (cgroups.driver().fs().isDirectory(cg)) {
        sum += cgroups.driver().memoryStat(cg).pageCache();
      }
    }
    return sum;
  }

  @Test
  void retiredPageCacheStaysWithinTheNodeLimitAndARunningContainerGetsItsRoom() throws Exception {
    Run limited = run("node limit", NODE_LIMIT);
    assertEquals(NODE_LIMIT, limited.rootLimit(), "the root's hard limit as read back from the kernel");
    assertTrue(limited.retiredAfterReads() <= NODE_LIMIT, limited.toString());
    assertTrue(limited.retiredAfterAllocation() <= NODE_LIMIT - 160 * ONE_MB, limited.toString());
    assertEquals(Optional.empty(), limited.oomKill(), limited.toString());
    // Still retired, not drained: the limit made the kernel reclaim their coldest pages, nothing more.
    assertTrue(limited.retiredAfterAllocation() > 0 || memcgs.counters().snapshot().evictedBytes() < ONE_MB,
        limited + "; " + memcgs.counters().snapshot());
  }

  @Test
  void controlWithoutANodeLimitTheRetiredCgroupsHoldMoreThanIt() throws Exception {
    Run off = run("no node limit", Long.MAX_VALUE);
    assertTrue(off.rootLimit() > 1L << 50, "no limit on the root: " + off);
    assertTrue(off.retiredAfterReads() > NODE_LIMIT, "the measurement can fail: " + off);
  }

  /** A limit below what running containers hold in anonymous memory is not set: the kernel could only kill them. */
  @Test
  void aLimitBelowTheRunningContainersAnonymousMemoryIsNotSet() throws Exception {
    memcgs = cgroups.closing(Lifecycles.open(cgroups, true));
    String id = Lifecycles.containerId(1);
    Process holder = new ProcessBuilder(cgroups.driver().joinThenExec(memcgs.start(id, 256 * ONE_MB, true),
        Workloads.holdAnon(96))).start();
    try {
      assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()))
          .readLine());
      String line = memcgs.limitNode(64 * ONE_MB);
      assertTrue(line.contains("NOT set") && line.contains("no limit"), line);
      assertTrue(cgroups.driver().stats(cgroups.root()).limit() > 1L << 50, line);
      assertTrue(holder.isAlive(), "the container lives");
      assertEquals("node limit 512 MiB on all containers together", memcgs.limitNode(512 * ONE_MB));
    } finally {
      holder.destroyForcibly().waitFor();
      memcgs.complete(id);
    }
  }
}
