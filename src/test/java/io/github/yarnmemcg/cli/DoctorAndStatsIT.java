package io.github.yarnmemcg.cli;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.ContainerCgroups;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code yarn-memcg doctor} and {@code stats} on the host's real memory controller. */
class DoctorAndStatsIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  Process holder;

  @AfterEach
  void stopHolder() {
    if (holder != null) {
      holder.destroyForcibly();
    }
  }

  @Test
  void doctorOnAUsableRootSaysSoAndLeavesNothingBehind() throws Exception {
    Path root = cgroups.root();
    cgroups.driver().create(root);
    cgroups.driver().enableMemoryForChildren(root);
    MainTest.Ran r = MainTest.run("doctor", "--root", root.toString(), "--conf", "conf/yarn-site.xml");
    System.out.println(r.out());
    assertEquals(Main.OK, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("OK    root " + root + " exists"), r.out());
    // The interfaces the NodeManager uses here, and the drain's file where the kernel has one.
    boolean v1 = cgroups.mount().version() == CgroupVersion.V1;
    boolean reclaim = Files.exists(root.resolve("memory.reclaim"));
    assertTrue(r.out().contains("OK    kernel " + System.getProperty("os.version") + " interfaces: drain: "
        + (v1 ? "memory.force_empty" : reclaim ? "memory.reclaim" : "memory.high set to 0")), r.out());
    if (v1 || reclaim) {
      assertTrue(r.out().contains("OK    feature " + (v1 ? "memory.force_empty" : "memory.reclaim") + ": present"),
          r.out());
    }
    assertTrue(r.out().contains("dying memcgs on this node: "), r.out());
    assertTrue(r.out().contains("leftover container cgroups: none"), r.out());
    // The kernel probe, as the NodeManager runs it at start: which way this node cleans, and what was measured.
    assertTrue(r.out().contains("OK    cleanup: ") && r.out().contains("measured in "), r.out());
    assertTrue(r.out().contains(DyingMemcgs.kernelReparents() ? "moved to its parent" : "stayed charged"),
        r.out());
    assertTrue(r.out().contains("OK    yarn.nodemanager.container-executor.class"), r.out());
    assertTrue(r.out().endsWith("doctor: no problem found\n"), r.out());
    // The node as a whole: the node limit against the node's memory, swap, and the kill order.
    assertTrue(r.out().contains("OK    node limit ") && r.out().contains(" stay for the daemons and the kernel"),
        r.out());
    assertTrue(r.out().contains("    swap: ") && r.out().contains("OK    OOM order: containers start with"), r.out());
    // The same findings as JSON, for scripts, with the same exit code.
    MainTest.Ran json = MainTest.run("doctor", "--json", "--root", root.toString(), "--conf", "conf/yarn-site.xml");
    assertEquals(Main.OK, json.code(), json.out() + json.err());
    com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(json.out());
    assertTrue(doc.get("healthy").asBoolean() && doc.get("problems").asInt() == 0, json.out());
    assertTrue(doc.get("findings").size() >= 10 && doc.get("findings").get(0).has("level"), json.out());
    try (Stream<Path> children = Files.list(root)) {
      assertFalse(children.anyMatch(p -> p.getFileName().toString().startsWith("yarn-memcg-doctor-")),
          "the probe cgroup was removed");
    }
  }

  @Test
  void doctorWarnsAboutLeftoverContainerCgroupsAndFailsOnBadSettings() throws Exception {
    Path root = cgroups.root();
    cgroups.driver().create(root);
    cgroups.driver().create(root.resolve("container_1700000000000_0001_01_000007"));
    MainTest.Ran retired = MainTest.run("doctor", "--root", root.toString(), "--min-age", "0");
    assertEquals(Main.OK, retired.code(), retired.out());
    if (!DyingMemcgs.kernelReparents()) {
      // The default before Linux 7.1 retires finished containers' cgroups: an empty one is the NodeManager's.
      assertTrue(retired.out().contains("INFO  retire budget: "), retired.out());
      assertTrue(retired.out().contains("INFO  retired container cgroups (") && retired.out().contains(": 1 holding"
          + " 0 MiB"), retired.out());
    }
    Path eager = files.resolve("eager-site.xml");
    Files.writeString(eager, "<configuration><property><name>yarn.nodemanager.memcg.drain.when</name>"
        + "<value>container-exit</value></property></configuration>");
    MainTest.Ran leftover = MainTest.run("doctor", "--root", root.toString(), "--min-age", "0", "--conf",
        eager.toString());
    assertTrue(leftover.out().contains("WARN  leftover container cgroups with no process: 1"
        + " [container_1700000000000_0001_01_000007]"), "where nothing retires, an empty one is a leftover: "
        + leftover.out());

    Path site = files.resolve("yarn-site.xml");
    Files.writeString(site, "<configuration><property><name>yarn.nodemanager.memcg.cleanup.threads</name>"
        + "<value>0</value></property></configuration>");
    MainTest.Ran bad = MainTest.run("doctor", "--root", root.toString(), "--conf", site.toString());
    assertEquals(Main.PROBLEM, bad.code(), bad.out());
    assertTrue(bad.out().contains("FAIL  invalid yarn-memcg setting yarn.nodemanager.memcg.cleanup.threads='0'"),
        bad.out());
    assertTrue(bad.out().contains("FAIL  the plugin is not enabled"), bad.out());

    MainTest.Ran outside = MainTest.run("doctor", "--root", files.toString());
    assertEquals(Main.PROBLEM, outside.code());
    assertTrue(outside.out().contains("FAIL  invalid yarn-memcg setting yarn.nodemanager.memcg.root"), outside.out());
  }

  @Test
  void statsShowsEachContainersMemoryApartFromPageCache() throws Exception {
    CgroupDriver driver = cgroups.driver();
    Path root = cgroups.root();
    String id = "container_1700000000000_0002_01_000001";
    Path cgroup = ContainerCgroups.create(cgroups, id);
    driver.setHardLimit(cgroup, 256 * ONE_MB);
    driver.create(root.resolve("not-a-container"));
    Process reader = new ProcessBuilder(driver.joinThenExec(cgroup,
        Workloads.readNoAtime(Workloads.freshFile(files, "input", 8)))).inheritIO().start();
    assertEquals(0, reader.waitFor());
    holder = ContainerCgroups.holdAnon(driver, cgroup, 32);

    MainTest.Ran json = MainTest.run("stats", "--root", root.toString(), "--json");
    assertEquals(Main.OK, json.code(), json.err());
    JsonNode doc = new ObjectMapper().readTree(json.out());
    assertEquals(1, doc.get("containers").size(), "only container cgroups: " + json.out());
    JsonNode c = doc.get("containers").get(0);
    assertEquals(id, c.get("containerId").asText());
    assertEquals(1, c.get("processes").asInt());
    assertEquals("running", c.get("state").asText());
    assertEquals("application_1700000000000_0002", c.get("applicationId").asText());
    assertTrue(c.get("anonBytes").asLong() >= 31 * ONE_MB, json.out());
    assertTrue(c.get("pageCacheBytes").asLong() >= 7 * ONE_MB, json.out());
    assertEquals(256 * ONE_MB, c.get("limitBytes").asLong());
    assertTrue(c.get("peakBytes").asLong() >= 38 * ONE_MB, json.out());

    MainTest.Ran table = MainTest.run("stats", "--root", root.toString());
    assertEquals(Main.OK, table.code(), table.err());
    assertTrue(table.out().startsWith("1 container cgroup(s) under " + root), table.out());
    assertTrue(table.out().contains(id) && table.out().contains("256.0"), table.out());

    holder.destroyForcibly().waitFor();
    holder = null;
    Await.until("the holder gone from " + cgroup, Duration.ofSeconds(10), () -> driver.pids(cgroup).isEmpty());
    MainTest.Ran exited = MainTest.run("stats", "--root", root.toString(), "--json");
    assertEquals("exited", new ObjectMapper().readTree(exited.out()).get("containers").get(0).get("state").asText(),
        "an empty container cgroup is kept retired or waiting (or is being cleaned): " + exited.out());
    MainTest.Ran exitedTable = MainTest.run("stats", "--root", root.toString());
    assertTrue(exitedTable.out().contains("; 1 exited (kept retired or waiting"), exitedTable.out());
  }
}
