package io.github.yarnmemcg.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerIdTest {

  @TempDir
  Path tmp;

  private CgroupDriver driver;
  private Path root;
  private ContainerMemcgs memcgs;

  @BeforeEach
  void setUp() throws IOException {
    driver = mock(CgroupDriver.class);
    root = Files.createDirectory(tmp.resolve("hadoop-yarn-memcg"));
    LifecycleSettings settings = LifecycleSettings.builder().drainTimeout(Duration.ofSeconds(1))
        .deleteTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(1)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofMinutes(1)).build();
    memcgs = new ContainerMemcgs(driver, root, settings);
  }

  @AfterEach
  void tearDown() {
    memcgs.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "container_1700000000000_0001_01_000001",
      "container_e17_1700000000000_0001_01_000001",
      "container_1_2_3_4",
      "container_e0_1_2_3_4",
      "container_1700000000000_12345_999_1099511627776",
  })
  void acceptsYarnContainerIds(String id) {
    Path cgroup = memcgs.cgroupOf(id);
    assertEquals(root.resolve(id), cgroup);
    assertEquals(root, cgroup.getParent());
    assertEquals(id, cgroup.getFileName().toString());
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "../x",
      "..",
      ".",
      "/etc",
      "/",
      "container_1_2_3_4/..",
      "container_1_2_3_4/../../etc",
      "container_1_2_3_4/x",
      "../container_1_2_3_4",
      "container_1_2_3_4\n",
      "container_1_2_3_4\nx",
      "container_1_2\n_3_4",
      "\ncontainer_1_2_3_4",
      "container_1_2_3_4\r",
      "container_1_2_3_4\0",
      " container_1_2_3_4",
      "container_1_2_3_4 ",
      "container_1_2_3",
      "container_1_2_3_4_5",
      "container_e_1_2_3_4",
      "container_ex_1_2_3_4",
      "container_e17__1_2_3_4",
      "Container_1_2_3_4",
      "CONTAINER_1_2_3_4",
      "container__2_3_4",
      "container_1_2_3_",
      "container_-1_2_3_4",
      "container_+1_2_3_4",
      "container_a_2_3_4",
      "container_\u0661_2_3_4",
      "container_1_2_3_\uff14",
      "application_1700000000000_0001",
      "appattempt_1700000000000_0001_000001",
      "xcontainer_1_2_3_4",
      "container_1_2_3_4.bak",
      "yarn-memcg-probe-1234",
  })
  void refusesAnythingElseNamingTheId(String id) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> memcgs.cgroupOf(id));
    assertTrue(e.getMessage().contains("'" + id + "'"), e.getMessage());
  }

  @Test
  void refusedIdNeverReachesTheDriver() {
    for (String id : List.of("../x", "container_1_2_3_4/..", "/etc", "")) {
      assertThrows(IllegalArgumentException.class, () -> memcgs.start(id, 1L << 30, true));
      assertThrows(IllegalArgumentException.class, () -> memcgs.update(id, 1L << 30, true));
      assertThrows(IllegalArgumentException.class, () -> memcgs.stats(id));
      assertThrows(IllegalArgumentException.class, () -> memcgs.kill(id));
      assertThrows(IllegalArgumentException.class, () -> memcgs.complete(id));
    }
    verifyNoInteractions(driver);
  }

  @Test
  void containerIdsListsOnlyContainerDirectories() throws IOException {
    when(driver.fs()).thenReturn(CgroupFs.standIn(tmp));
    Files.createDirectory(root.resolve("container_1700000000000_0001_01_000001"));
    Files.createDirectory(root.resolve("container_e17_1700000000000_0001_01_000002"));
    Files.createDirectory(root.resolve("not-a-container"));
    Files.createDirectory(root.resolve("container_1_2_3"));
    Files.writeString(root.resolve("container_1_2_3_5"), "a file, not a cgroup");
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(root.resolve("container_1_2_3_6"), elsewhere);
    Set<String> ids = new HashSet<>(memcgs.containerIds());
    assertEquals(Set.of("container_1700000000000_0001_01_000001", "container_e17_1700000000000_0001_01_000002"),
        ids);
  }

  @Test
  void patternMatchesWholeIdsOnly() {
    assertTrue(ContainerMemcgs.CONTAINER_ID.matcher("container_1_2_3_4").matches());
    assertTrue(ContainerMemcgs.CONTAINER_ID.matcher("x/container_1_2_3_4").find());
    assertThrows(IllegalArgumentException.class, () -> memcgs.cgroupOf("x/container_1_2_3_4"));
  }
}
