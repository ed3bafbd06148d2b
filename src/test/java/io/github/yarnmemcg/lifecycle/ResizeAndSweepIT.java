package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resizing a running container and sweeping cgroups of unknown containers, on the real memory controller: this
 * machine's v1, and v2 in the guests but 5.10, which carries the drain's workload shapes (the kernel side of a YARN
 * resize; MiniYarnClusterIT drives one through YARN on the host).
 */
@Tag("v2-stage")
@Tag("not-v2-5.10")
@Tag("v1-guest")
class ResizeAndSweepIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  ContainerMemcgs memcgs;
  Process holder;

  @AfterEach
  void close() throws InterruptedException {
    if (holder != null) {
      holder.destroyForcibly().waitFor();
    }
    if (memcgs != null) {
      memcgs.close();
    }
  }

  /** Starts a process in the container's cgroup holding {@code mib} MiB of anonymous memory. */
  Process holdAnon(Path cgroup, int mib) throws IOException {
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, Workloads.holdAnon(mib))).start();
    String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
    assertEquals("ready", line, "the holder allocated its memory");
    return p;
  }

  @Test
  void loweringBelowAnonymousMemoryIsRefusedAndTheContainerLivesOn() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 256 * ONE_MB, true);
    holder = holdAnon(cg, 64);

    IOException refused = assertThrows(IOException.class, () -> memcgs.update(id, 32 * ONE_MB, true));
    assertTrue(refused.getMessage().contains("refusing to lower the memory limit of " + id + " to 32 MiB"),
        refused.getMessage());
    assertEquals(256 * ONE_MB, cgroups.driver().stats(cg).limit(), "the limit is unchanged");
    assertTrue(holder.isAlive(), "the container was not OOM-killed by the resize");

    memcgs.update(id, 128 * ONE_MB, true);
    assertEquals(128 * ONE_MB, cgroups.driver().stats(cg).limit());
    memcgs.update(id, 512 * ONE_MB, true);
    assertEquals(512 * ONE_MB, cgroups.driver().stats(cg).limit());
    assertTrue(holder.isAlive());
    assertEquals(0, cgroups.driver().stats(cg).oomKill());
  }

  @Test
  void loweringBelowPageCacheReclaimsIt() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String id = Lifecycles.containerId(2);
    Path cg = memcgs.start(id, 512 * ONE_MB, true);
    Path input = Workloads.freshFile(files, "input-96m", 96);
    CgroupDriver driver = cgroups.driver();
    assertEquals(0, new ProcessBuilder(driver.joinThenExec(cg, Workloads.readNoAtime(input))).inheritIO().start()
        .waitFor());
    holder = holdAnon(cg, 8);
    assertTrue(driver.stats(cg).pageCache() >= 90 * ONE_MB, "the container's cache is charged to it");

    memcgs.update(id, 48 * ONE_MB, true);
    assertEquals(48 * ONE_MB, driver.stats(cg).limit());
    assertTrue(driver.stats(cg).usage() <= 48 * ONE_MB, "the kernel reclaimed the page cache above the new limit");
    assertTrue(holder.isAlive());
  }

  @Test
  void sweepCleansOnlyWhatIsNotKeptAndKillsItsProcesses() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String kept = Lifecycles.containerId(3);
    String orphan = Lifecycles.containerId(4);
    Path keptCg = memcgs.start(kept, 64 * ONE_MB, true);
    Path orphanCg = memcgs.start(orphan, 64 * ONE_MB, true);
    holder = holdAnon(keptCg, 4);
    Process orphanProcess = holdAnon(orphanCg, 4);
    // A directory that is not a container's is never touched by a sweep.
    Path foreign = cgroups.root().resolve("not-a-container");
    cgroups.driver().create(foreign);

    List<String> swept = memcgs.sweep(OrphanRule.claimedBy(Set.of(kept)::contains));

    assertEquals(List.of(orphan), swept);
    assertTrue(orphanProcess.waitFor(10, TimeUnit.SECONDS), "the orphan's process was killed");
    CleanupResult result = memcgs.complete(orphan).cleanup().get(30, TimeUnit.SECONDS);
    assertTrue(result.removed(), result.toString());
    assertFalse(Files.exists(orphanCg));
    assertTrue(holder.isAlive(), "the kept container's process lives");
    assertTrue(Files.isDirectory(keptCg));
    assertTrue(Files.isDirectory(foreign));
    assertEquals(1, memcgs.counters().snapshot().swept());
    cgroups.driver().delete(foreign, System.nanoTime() + Duration.ofSeconds(5).toNanos());
  }

  @Test
  void periodicSweepCatchesACgroupLeftLater() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String left = Lifecycles.containerId(5);
    Path cg = memcgs.start(left, 64 * ONE_MB, true);
    memcgs.sweepEvery(Duration.ofMillis(200), OrphanRule.claimedBy(id -> false));
    Await.until(cg + " to be swept", Duration.ofSeconds(30), () -> !Files.exists(cg));
    assertTrue(memcgs.counters().snapshot().swept() >= 1);
  }

  /** Without the NodeManager's word (LinuxContainerExecutor, the CLI): a cgroup with a process is kept. */
  @Test
  void withoutClaimsOnlyEmptyCgroupsOldEnoughAreOrphans() throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    String busy = Lifecycles.containerId(6);
    String empty = Lifecycles.containerId(7);
    holder = holdAnon(memcgs.start(busy, 64 * ONE_MB, true), 4);
    Path emptyCg = memcgs.start(empty, 64 * ONE_MB, true);
    assertEquals(List.of(), memcgs.sweep(OrphanRule.emptyAndOlderThan(Duration.ofHours(1))),
        "an empty cgroup younger than the minimum age may be a container about to start");
    assertEquals(OrphanRule.State.RUNNING, OrphanRule.emptyAndOlderThan(Duration.ZERO).stateOf(memcgs.driver(),
        memcgs.cgroupOf(busy), busy, java.time.Instant.now()));
    assertEquals(List.of(empty), memcgs.sweep(OrphanRule.emptyAndOlderThan(Duration.ZERO)));
    assertTrue(memcgs.complete(empty).cleanup().get(30, TimeUnit.SECONDS).removed());
    assertFalse(Files.exists(emptyCg));
    assertTrue(holder.isAlive(), "the container with a process was left alone");
  }
}
