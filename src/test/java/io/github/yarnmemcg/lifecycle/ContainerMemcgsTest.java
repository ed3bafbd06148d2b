package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static io.github.yarnmemcg.lifecycle.Bench.id;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.lifecycle.CleanupResult.Outcome;
import io.github.yarnmemcg.testing.StandInDriver;
import io.github.yarnmemcg.testing.StandInDriver.Call;
import io.github.yarnmemcg.testing.StandInDriver.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade's sweeps and views on the stand-in driver: what a restarted NodeManager does with the cgroups the last
 * one left, and which cgroups a sweep takes.
 */
class ContainerMemcgsTest {

  @TempDir
  Path tmp;

  final ManualScheduler time = new ManualScheduler();
  final Set<String> ended = ConcurrentHashMap.newKeySet();
  StandInDriver driver;
  Path root;
  ContainerMemcgs memcgs;

  @BeforeEach
  void setUp() throws Exception {
    driver = new StandInDriver(tmp, CgroupVersion.V2, time::nanoTime);
    root = tmp.toAbsolutePath().resolve("hadoop-yarn-memcg");
    driver.cgroup(root);
  }

  @AfterEach
  void tearDown() {
    if (memcgs != null) {
      memcgs.close();
    }
  }

  private void open(DrainWhen when) {
    memcgs = new ContainerMemcgs(driver, root, Bench.settings(when), ended::contains, time, Bench.CPUS);
  }

  private static boolean never(String containerId) {
    return false;
  }

  @Test
  void aRestartedNodeManagerAdoptsTheCgroupsTheLastOneRetiredAsRetiredEvictingNothing() throws Exception {
    // What the last NodeManager left: an empty, unprotected cgroup holding its container's page cache.
    driver.cgroup(root.resolve(id(1))).pageCache(16 * ONE_MB);
    open(DrainWhen.OVER_BUDGET);
    assertEquals(List.of(id(1)), memcgs.sweep(OrphanRule.claimedBy(ContainerMemcgsTest::never)));
    time.runDue();
    List<WaitingCgroup> kept = memcgs.waiting();
    assertAll(
        () -> assertEquals(1, kept.size()),
        () -> assertTrue(kept.get(0).retired()),
        () -> assertEquals(16 * ONE_MB, kept.get(0).held()),
        () -> assertEquals(1, memcgs.counters().snapshot().retired()),
        () -> assertTrue(driver.calls(Op.DRAIN).isEmpty(), "nothing evicted by the restart"),
        () -> assertEquals(0, memcgs.counters().snapshot().evictedBytes()));
    driver.cgroup(root.resolve(id(1))).pageCache(0);
    time.advance(Duration.ofSeconds(33));
    assertEquals(List.of(), memcgs.containerIds(), "released once its pages were gone");
    assertEquals(1, memcgs.counters().snapshot().released());
  }

  @Test
  void theRestartsSweepLeavesTheCgroupsOfReacquiredContainersAlone() throws Exception {
    driver.cgroup(root.resolve(id(1))).processes(11).pageCache(ONE_MB);
    driver.cgroup(root.resolve(id(2))).pageCache(ONE_MB);
    open(DrainWhen.OVER_BUDGET);
    assertEquals(List.of(id(2)), memcgs.sweep(OrphanRule.claimedBy(id(1)::equals)));
    time.advance(Duration.ofMinutes(1));
    assertTrue(driver.calls().stream().filter(c -> c.cgroup().endsWith(id(1)))
        .noneMatch(c -> c.op() == Op.SIGNAL_KILL || c.op() == Op.KILL || c.op() == Op.DELETE));
    assertEquals(List.of(11L), driver.pids(root.resolve(id(1))));
  }

  @Test
  void anOrphanStillRunningIsKilledBeforeItIsRetiredAndNeverDrainedWithProcesses() throws Exception {
    driver.cgroup(root.resolve(id(1))).processes(21, 22).pageCache(ONE_MB);
    open(DrainWhen.CONTAINER_EXIT);
    memcgs.sweep(OrphanRule.claimedBy(ContainerMemcgsTest::never));
    time.runDue();
    List<Op> ops = driver.calls().stream().map(Call::op)
        .filter(o -> o == Op.SIGNAL_KILL || o == Op.KILL || o == Op.DRAIN || o == Op.DELETE).toList();
    assertEquals(List.of(Op.SIGNAL_KILL, Op.KILL, Op.DRAIN, Op.DELETE), ops);
    assertEquals(0, driver.calls(Op.DRAIN).get(0).processes());
    assertEquals(List.of(), memcgs.containerIds());
  }

  @Test
  void withoutTheNodeManagersWordASweepTakesOnlyEmptyCgroupsOldEnough() throws Exception {
    Instant longAgo = Instant.now().minus(Duration.ofHours(1));
    driver.cgroup(root.resolve(id(1))).processes(31);
    Files.setLastModifiedTime(root.resolve(id(1)), FileTime.from(longAgo));
    driver.cgroup(root.resolve(id(2)));
    driver.cgroup(root.resolve(id(3)));
    Files.setLastModifiedTime(root.resolve(id(3)), FileTime.from(longAgo));
    open(DrainWhen.CONTAINER_EXIT);
    assertEquals(List.of(id(3)), memcgs.sweep(OrphanRule.emptyAndOlderThan(Duration.ofMinutes(1))));
    assertEquals(1, memcgs.counters().snapshot().swept());
  }

  @Test
  void theKeptCgroupsShowHowLongEachHasWaited() throws Exception {
    driver.cgroup(root.resolve(id(1))).pageCache(ONE_MB);
    open(DrainWhen.APPLICATION_END);
    memcgs.complete(id(1));
    time.runDue();
    time.advance(Duration.ofSeconds(5));
    WaitingCgroup w = memcgs.waiting().get(0);
    assertEquals(Duration.ofSeconds(5), w.waited());
    assertEquals(Bench.APP, w.applicationId());
    assertEquals(false, w.retired());
  }

  @Test
  void completingAContainerWithoutACgroupEndsAbsentAtOnce() {
    open(DrainWhen.CONTAINER_EXIT);
    CleanupResult r = memcgs.complete(id(9)).cleanup().join();
    assertEquals(Outcome.ABSENT, r.outcome());
    assertTrue(driver.calls().isEmpty(), "nothing asked of the kernel");
  }
}
