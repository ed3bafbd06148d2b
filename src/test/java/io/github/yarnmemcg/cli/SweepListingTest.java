package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What sweep considers, on a plain directory standing in for a root (cgroupfs refuses symbolic links, so this is
 * the only place one can exist): links and names that are not container ids are never candidates.
 */
class SweepListingTest {

  @TempDir
  Path dir;

  @Test
  void symbolicLinksAndOtherNamesAreNeverCandidates() throws Exception {
    Path root = Files.createDirectory(dir.resolve("root"));
    Path victim = Files.createDirectory(dir.resolve("outside"));
    Files.createDirectory(victim.resolve("container_1700000000000_0001_01_000009"));
    Files.createSymbolicLink(root.resolve("container_1700000000000_0001_01_000001"), victim);
    Files.createDirectory(root.resolve("container_1700000000000_0001_01_000002"));
    Files.createDirectory(root.resolve("container_bad"));
    Files.createDirectory(root.resolve("other"));
    CgroupDriver driver = CgroupDrivers.forMount(new MemoryMount(dir, CgroupVersion.V1), CgroupFs.standIn(dir));
    try (ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, LifecycleSettings.builder()
        .drainTimeout(Duration.ofSeconds(1)).deleteTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(1))
        .cleanupThreads(1).reaperGiveUp(Duration.ofSeconds(1)).build())) {
      Sweep sweep = new Sweep(memcgs, Duration.ZERO);
      List<Sweep.Found> found = sweep.find();
      assertEquals(List.of("container_1700000000000_0001_01_000002"),
          found.stream().map(Sweep.Found::containerId).collect(Collectors.toList()));
      assertEquals(OrphanRule.State.ORPHAN, found.get(0).state());
      assertEquals(List.of("container_bad", "other"), sweep.others());
    }
    assertTrue(Files.isDirectory(victim.resolve("container_1700000000000_0001_01_000009")));
  }

  @Test
  void anEmptyCgroupYoungerThanTheMinimumAgeIsRecentNotOrphan() throws Exception {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectory(root.resolve("container_1700000000000_0001_01_000002"));
    CgroupDriver driver = CgroupDrivers.forMount(new MemoryMount(dir, CgroupVersion.V1), CgroupFs.standIn(dir));
    try (ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, LifecycleSettings.builder()
        .drainTimeout(Duration.ofSeconds(1)).deleteTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(1))
        .cleanupThreads(1).reaperGiveUp(Duration.ofSeconds(1)).build())) {
      assertEquals(OrphanRule.State.RECENT, new Sweep(memcgs, Duration.ofHours(1)).find().get(0).state());
    }
  }

  @Test
  void anEmptyCgroupWhoseApplicationStillRunsIsWaitingNotOrphan() throws Exception {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectory(root.resolve("container_1700000000000_0001_01_000002"));
    Files.createDirectory(root.resolve("container_1700000000000_0002_01_000002"));
    CgroupDriver driver = CgroupDrivers.forMount(new MemoryMount(dir, CgroupVersion.V1), CgroupFs.standIn(dir));
    try (ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, LifecycleSettings.builder()
        .drainTimeout(Duration.ofSeconds(1)).deleteTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(1))
        .cleanupThreads(1).reaperGiveUp(Duration.ofSeconds(1)).build())) {
      List<Sweep.Found> found = new Sweep(memcgs, Duration.ZERO,
          app -> !app.equals("application_1700000000000_0001")).find();
      assertEquals(OrphanRule.State.WAITING, found.get(0).state(), "its application has files on this node");
      assertEquals(OrphanRule.State.ORPHAN, found.get(1).state(), "its application ended");
    }
  }
}
