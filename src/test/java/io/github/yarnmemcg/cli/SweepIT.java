package io.github.yarnmemcg.cli;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.ContainerCgroups;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code yarn-memcg sweep} on the host's real memory controller: it drains and removes orphan container
 * cgroups and touches nothing else, neither a container that runs, nor a cgroup not named like a container, nor
 * anything outside the root.
 */
@org.junit.jupiter.api.Tag("v1-guest")
class SweepIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  final List<Process> holders = new ArrayList<>();
  Path outside;

  static String id(int i) {
    return String.format("container_1700000000000_0001_01_%06d", i);
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (Process p : holders) {
      p.destroyForcibly();
    }
    if (outside != null) {
      RealCgroups.removeTree(cgroups.driver(), outside);
    }
  }

  /** Runs a command inside a cgroup to completion. */
  void runIn(Path cgroup, List<String> command) throws Exception {
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, command)).inheritIO().start();
    assertEquals(0, p.waitFor());
  }

  /** Starts a process in a cgroup that holds some anonymous memory until the test ends. */
  void holdIn(Path cgroup) throws Exception {
    holders.add(ContainerCgroups.holdAnon(cgroups.driver(), cgroup, 8));
  }

  @Test
  void sweepDrainsAndRemovesOnlyOrphanContainerCgroupsUnderTheRoot() throws Exception {
    CgroupDriver driver = cgroups.driver();
    Path root = cgroups.root();
    driver.create(root);
    Path orphan = root.resolve(id(1));
    driver.create(orphan);
    runIn(orphan, Workloads.readNoAtime(Workloads.freshFile(files, "orphan-input", 8)));
    assertTrue(driver.stats(orphan).pageCache() >= 7 * ONE_MB, "the orphan holds its input in page cache");
    Path running = root.resolve(id(2));
    driver.create(running);
    holdIn(running);
    Path other = root.resolve("not-a-container");
    driver.create(other);
    runIn(other, Workloads.readNoAtime(Workloads.freshFile(files, "other-input", 4)));
    Path badName = root.resolve("container_12_x");
    driver.create(badName);
    outside = root.resolveSibling(root.getFileName() + "-outside");
    driver.create(outside);
    Path outsideContainer = outside.resolve(id(3));
    driver.create(outsideContainer);

    MainTest.Ran dry = MainTest.run("sweep", "--root", root.toString(), "--min-age", "0");
    assertEquals(Main.OK, dry.code(), dry.err());
    assertTrue(dry.out().contains("orphans: 1"), dry.out());
    assertTrue(dry.out().contains("not-a-container") && dry.out().contains("container_12_x"), dry.out());
    assertTrue(Files.isDirectory(orphan), "a dry run removes nothing");

    MainTest.Ran applied = MainTest.run("sweep", "--root", root.toString(), "--min-age", "0", "--apply");
    System.out.println(applied.out());
    assertEquals(Main.OK, applied.code(), applied.out() + applied.err());
    assertFalse(Files.exists(orphan), "the orphan was removed");
    List<String> row = resultRow(applied.out(), id(1));
    assertEquals("cleaned", row.get(1));
    assertTrue(Double.parseDouble(row.get(2)) >= 7.0, "its page cache was drained first: " + row);
    assertEquals("0.0", row.get(3), "nothing left charged, so no dying memcg: " + row);
    assertEquals("yes", row.get(4));

    assertTrue(Files.isDirectory(running) && driver.pids(running).size() == 1, "the running container is untouched");
    assertTrue(holders.get(0).isAlive());
    assertTrue(Files.isDirectory(other) && driver.stats(other).pageCache() >= 3 * ONE_MB,
        "a cgroup not named like a container is neither drained nor removed");
    assertTrue(Files.isDirectory(badName));
    assertTrue(Files.isDirectory(outsideContainer), "nothing outside the root is touched");
  }

  @Test
  void anEmptyContainerCgroupYoungerThanTheMinimumAgeIsLeftAlone() throws Exception {
    Path root = cgroups.root();
    cgroups.driver().create(root);
    Path fresh = root.resolve(id(4));
    cgroups.driver().create(fresh);
    MainTest.Ran r = MainTest.run("sweep", "--root", root.toString(), "--apply");
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("recent"), r.out());
    assertTrue(Files.isDirectory(fresh), "a cgroup the NodeManager may have just created for a starting container");
  }

  @Test
  void noSymbolicLinkCanExistUnderACgroupRoot() throws Exception {
    // The kernel refuses links in cgroupfs, so sweep can never meet one there; SweepListingTest covers the
    // listing's refusal on a plain directory.
    Path root = cgroups.root();
    cgroups.driver().create(root);
    assertThrows(IOException.class, () -> Files.createSymbolicLink(root.resolve(id(5)), files));
  }

  @Test
  void aRootOutsideTheMemoryControllerIsRefused() {
    MainTest.Ran r = MainTest.run("sweep", "--root", files.toString(), "--apply", "--min-age", "0");
    assertEquals(Main.PROBLEM, r.code());
    assertTrue(r.err().contains("yarn.nodemanager.memcg.root='" + files + "'"), r.err());
    MainTest.Ran up = MainTest.run("sweep", "--root", "a/../..", "--apply");
    assertEquals(Main.PROBLEM, up.code());
    assertTrue(up.err().contains("'.' or '..'"), up.err());
  }

  /** The cells of one container's row in the result table. */
  static List<String> resultRow(String out, String containerId) {
    for (String line : out.split("\n")) {
      List<String> cells = List.of(line.trim().split("\\s+"));
      if (cells.get(0).equals(containerId) && cells.size() == 5 && !cells.get(1).equals("orphan")) {
        return cells;
      }
    }
    throw new AssertionError("no result row for " + containerId + " in:\n" + out);
  }
}
