package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.Lifecycles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Symbolic links planted where a container's cgroup or one of its control files would be are refused at every
 * entry point of the lifecycle, and nothing they point at is read, written, signalled or removed. The real
 * cgroupfs refuses to create symbolic links at all (see NoSymlinkIT), so these run on a stand-in mount: a
 * temporary directory where links can be planted.
 */
class NoSymlinkFollowedTest {
  private static final List<String> CONTROL_FILES = List.of("cgroup.procs", "memory.limit_in_bytes",
      "memory.soft_limit_in_bytes", "memory.swappiness", "memory.force_empty", "memory.stat", "memory.oom_control",
      "memory.usage_in_bytes");

  @TempDir
  Path tmp;

  Path outside;
  Path root;
  Process bystander;
  ContainerMemcgs memcgs;

  @BeforeEach
  void setUp() throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("mount"));
    root = Files.createDirectory(mount.resolve("root"));
    // What the links point at: files that look like a cgroup's, naming a live process the plugin must not kill.
    outside = Files.createDirectory(tmp.resolve("outside"));
    bystander = new ProcessBuilder("sleep", "600").start();
    for (String name : CONTROL_FILES) {
      Files.writeString(outside.resolve(name), name.equals("cgroup.procs") ? bystander.pid() + "\n"
          : name.equals("memory.stat") ? "cache 4096\nrss 0\n" : "7\n");
    }
    CgroupDriver driver = CgroupDrivers.forMount(new MemoryMount(mount, CgroupVersion.V1), CgroupFs.standIn(mount));
    memcgs = new ContainerMemcgs(driver, root, LifecycleSettings.builder().drainTimeout(Duration.ofSeconds(1))
        .deleteTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(1)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofMillis(1)).build());
  }

  @AfterEach
  void tearDown() throws Exception {
    memcgs.close();
    bystander.destroyForcibly().waitFor();
  }

  Map<String, String> outsideContents() throws IOException {
    Map<String, String> contents = new TreeMap<>();
    try (Stream<Path> files = Files.list(outside)) {
      for (Path f : files.toList()) {
        contents.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return contents;
  }

  @Test
  void containerCgroupThatIsASymbolicLinkIsRefusedEverywhereWithStandInDirectory() throws Exception {
    String id = Lifecycles.containerId(1);
    Path link = Files.createSymbolicLink(root.resolve(id), outside);
    Map<String, String> before = outsideContents();

    assertTrue(assertThrows(IOException.class, () -> memcgs.start(id, 64 * ONE_MB, true)).getMessage()
        .contains("symbolic links are not followed"));
    assertTrue(assertThrows(IOException.class, () -> memcgs.update(id, 64 * ONE_MB, true)).getMessage()
        .contains("symbolic link"));
    assertEquals(java.util.Optional.empty(), memcgs.stats(id), "no stats read through the link");
    assertThrows(IOException.class, () -> memcgs.kill(id));
    assertEquals(CleanupResult.Outcome.ABSENT, memcgs.complete(id).cleanup().get(10, TimeUnit.SECONDS).outcome(),
        "a link is not a container cgroup to clean");
    assertEquals(List.of(), memcgs.containerIds());

    assertTrue(bystander.isAlive(), "the process named by the linked cgroup.procs was not signalled");
    assertEquals(before, outsideContents(), "nothing the link points at was written");
    assertTrue(Files.isSymbolicLink(link), "and the link itself was not removed");
  }

  @Test
  void controlFilesThatAreSymbolicLinksAreRefusedWithStandInDirectory() throws Exception {
    String id = Lifecycles.containerId(2);
    Path cg = Files.createDirectory(root.resolve(id));
    for (String name : CONTROL_FILES) {
      Files.createSymbolicLink(cg.resolve(name), outside.resolve(name));
    }
    Map<String, String> before = outsideContents();

    IOException e = assertThrows(IOException.class, () -> memcgs.start(id, 64 * ONE_MB, true));
    assertTrue(e.getMessage().contains(cg.resolve("memory.limit_in_bytes").toString()), e.getMessage());
    assertThrows(IOException.class, () -> memcgs.update(id, 64 * ONE_MB, true));
    assertEquals(java.util.Optional.empty(), memcgs.stats(id));
    assertThrows(IOException.class, () -> memcgs.kill(id));
    // The cleanup cannot list the processes through a link, so it gives up (give-up time 1 ms here).
    assertEquals(CleanupResult.Outcome.GIVEN_UP, memcgs.complete(id).cleanup().get(10, TimeUnit.SECONDS)
        .outcome());

    assertTrue(bystander.isAlive(), "the process named by the linked cgroup.procs was not signalled");
    assertEquals(before, outsideContents(), "nothing the links point at was written");
    for (String name : CONTROL_FILES) {
      assertTrue(Files.isSymbolicLink(cg.resolve(name)), name);
    }
    assertTrue(Files.isDirectory(cg, LinkOption.NOFOLLOW_LINKS));
  }
}
