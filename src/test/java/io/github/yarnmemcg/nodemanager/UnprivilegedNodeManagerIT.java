package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Least privilege on cgroup v1: the plugin in a JVM of its own, run with setpriv as an unprivileged system user
 * and no capabilities ({@link UnprivilegedJvm}), on a root that root created and chowned to that user. cgroup v2
 * delegation is {@link DelegatedSubtreeIT}, run in the cgroup v2 VM.
 */
class UnprivilegedNodeManagerIT {
  static final String USER = UnprivilegedJvm.USER;

  CgroupDriver driver;
  Path root;
  UnprivilegedJvm jvm;

  @BeforeEach
  void setUp() throws Exception {
    RealCgroups.require();
    driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    Assumptions.assumeTrue(driver.mount().version() == CgroupVersion.V1,
        "cgroup v2 delegation is DelegatedSubtreeIT's");
    root = RealCgroups.uniqueRoot(driver);
    jvm = UnprivilegedJvm.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (root != null) {
        RealCgroups.removeTree(driver, root);
      }
    } finally {
      if (jvm != null) {
        jvm.close();
      }
    }
  }

  /** Runs UnprivilegedNodeManagerMain as the user, without capabilities; returns its key=value lines. */
  Map<String, String> runAsUser(String mode, long timeoutSeconds) throws Exception {
    return jvm.run(mode, root, Optional.empty(), driver, timeoutSeconds);
  }

  void createRootOwnedByUser() throws Exception {
    driver.create(root);
    // On v1 only the root directory needs to be the user's: the kernel gives the creator each cgroup it makes
    // and that cgroup's control files (cgroup.procs, memory.limit_in_bytes, memory.force_empty...).
    Workloads.run(List.of("chown", "-R", USER + ":" + USER, root.toString()));
  }

  @Test
  void unprivilegedUserOnAChownedRootRunsTheWholeLifecycle() throws Exception {
    createRootOwnedByUser();
    Map<String, String> out = runAsUser("lifecycle", 120);
    assertEquals(USER, out.get("user"), out.toString());
    assertEquals("0000000000000000", out.get("capEff"), "no capabilities at all: " + out);
    assertEquals("ok", out.get("bootstrap"), out.toString());
    assertEquals(Long.toString(64 * ONE_MB), out.get("limit"), out.toString());
    assertEquals("0", out.get("exit"), out.toString());
    assertEquals(root.resolve("container_1700000000000_0001_01_000001").toString(), out.get("joined"),
        "the process joined the container's cgroup: " + out);
    assertTrue(Long.parseLong(out.get("pageCacheBeforeDrain")) >= 7 * ONE_MB, out.toString());
    assertTrue(out.get("outcome").startsWith("CLEANED removed=true drained="), out.toString());
    assertTrue(Long.parseLong(out.get("outcome").replaceAll(".*drained=", "")) >= 7 * ONE_MB, "drained: " + out);
    assertEquals("false", out.get("exists"), out.toString());
    assertEquals("0", out.get("exitCode"), out.toString());
  }

  @Test
  @Tag("locale")
  void withoutPermissionStartupSaysWhatToChange() throws Exception {
    // The root does not exist and the mount is root's: the user cannot create it.
    Map<String, String> out = runAsUser("lifecycle", 120);
    String msg = out.get("bootstrap");
    assertTrue(msg != null && msg.contains("mkdir " + root) && msg.contains("Permission denied (EACCES)"),
        "names the path and the errno: " + out);
    assertTrue(msg.contains("user '" + USER + "'") && msg.contains("chown -R " + USER + " " + root),
        "names the user and the fix: " + msg);
  }

  /**
   * Under LinuxContainerExecutor the containers run as the application's user, which a NodeManager that is not root
   * may not signal: a leftover process of that user is killed through the executor's signal operation. The executor
   * is the STAND-IN script behind a setuid-root shim the test compiles (the real binary is a setuid program); the
   * straggler runs as {@code nobody} and leads no process group, as a container's forked child.
   */
  @Test
  void anotherUsersStragglerIsKilledThroughTheContainerExecutor() throws Exception {
    stragglerEndsAs(true, "signal 9: sent to process %d as nobody\n", (p, out) -> {
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the straggler is gone");
      assertEquals("false", out.get("exists"), "the container's cgroup was removed: " + out);
    });
  }

  /** Control: the same with an executor that has no more rights than the NodeManager: the straggler lives on. */
  @Test
  void withoutTheExecutorsRightsAnotherUsersStragglerStaysAndSoDoesItsCgroup() throws Exception {
    stragglerEndsAs(false, "signal 9: refused for process %d as " + USER + "\n", (p, out) -> {
      assertTrue(p.isAlive(), "the straggler still runs");
      assertEquals("true", out.get("exists"), "its cgroup cannot be removed: " + out);
    });
  }

  interface StragglerCheck {
    void check(Process straggler, Map<String, String> out) throws Exception;
  }

  /**
   * Runs the lce-straggler mode with the executor ({@link #installExecutor}), a straggler of {@code nobody} in the
   * container's cgroup; checks the stand-in's log line for the straggler's pid, then {@code then}.
   */
  void stragglerEndsAs(boolean setuid, String logLine, StragglerCheck then) throws Exception {
    Path bin = installExecutor(setuid);
    CompletableFuture<Process> straggler = straggleAsNobody();
    try {
      Map<String, String> out = runAsUser("lce-straggler", 120);
      Process p = straggler.get(10, TimeUnit.SECONDS);
      assertEquals("0", out.get("exitCode"), out.toString());
      String log = Files.readString(bin.resolve("stand-in.log"));
      assertTrue(log.contains(String.format(logLine, p.pid())), "the stand-in's log says " + logLine + ":\n" + log);
      then.check(p, out);
    } finally {
      straggler.thenAccept(Process::destroyForcibly);
    }
  }

  /**
   * Once the unprivileged JVM has created the container's cgroup, puts a {@code sleep} running as {@code nobody}
   * into it, as container-executor (root) puts a container's process there, and tells the JVM so.
   */
  CompletableFuture<Process> straggleAsNobody() throws Exception {
    createRootOwnedByUser();
    Path cgroup = root.resolve("container_1700000000000_0002_01_000001");
    return CompletableFuture.supplyAsync(() -> {
      try {
        Await.until("the NodeManager to create " + cgroup, Duration.ofSeconds(60), () -> Files.isDirectory(cgroup));
        Process p = new ProcessBuilder(driver.joinThenExec(cgroup, List.of("setpriv", "--reuid=nobody",
            "--regid=65534", "--clear-groups", "--", "sleep", "600"))).start();
        Await.until("the straggler to join " + cgroup, Duration.ofSeconds(10),
            () -> driver.pids(cgroup).contains(p.pid()));
        Files.writeString(jvm.work().resolve("straggler-started"), "");
        return p;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
  }

  /**
   * The executor at {@code <shared>/bin/container-executor}, where the JVM's mode looks for it: the setuid shim in
   * front of the stand-in script ({@code setuid}), or the script itself, which has the NodeManager user's rights.
   * Returns the directory of the stand-in's log.
   */
  Path installExecutor(boolean setuid) throws Exception {
    Path bin = jvm.shared().resolve("bin");
    Path executor = MiniYarnClusterLceWithStandInContainerExecutorIT.installStandIn(bin, jvm.work());
    // Appended to by the stand-in whether it runs as root or as the NodeManager's user.
    Path log = Files.createFile(bin.resolve("stand-in.log"));
    Workloads.run(List.of("chmod", "666", log.toString()));
    if (setuid) {
      Path script = Files.move(executor, bin.resolve("container-executor-stand-in.sh"));
      Path source = bin.resolve("shim.c");
      try (InputStream in = UnprivilegedNodeManagerIT.class.getResourceAsStream("container-executor-setuid-shim.c")) {
        Files.copy(in, source);
      }
      Workloads.run(List.of("gcc", "-O1", "-DSTAND_IN=\"" + script + "\"", "-o", executor.toString(),
          source.toString()));
      Workloads.run(List.of("chown", "root:" + USER, executor.toString()));
      Workloads.run(List.of("chmod", "4750", executor.toString()));
    }
    return bin;
  }

  @Test
  void mkdirEaccesFailsTheContainerWithADiagnosticAndTheNodeManagerLivesOn() throws Exception {
    createRootOwnedByUser();
    Map<String, String> out = runAsUser("nodemanager", 420);
    assertEquals("0", out.get("exitCode"), out.toString());
    // The container is a plain command as an application master: it never registers, so the exit code, not the
    // application's state, tells whether it ran.
    assertEquals("0", out.get("first.exitCode"), out.toString());
    assertEquals("true", out.get("first.joined"), "the container ran in its own cgroup: " + out);
    assertEquals("true", out.get("first.cgroupCleaned"), "removed, or retired: " + out);

    assertEquals("-1", out.get("denied.exitCode"), "the launch failed: " + out);
    String diagnostics = out.get("denied.diagnostics");
    assertTrue(diagnostics.contains("mkdir " + root + "/container_") && diagnostics.contains(
        "Permission denied (EACCES)"), "the container's diagnostics name the path and the errno: " + diagnostics);

    assertEquals("0", out.get("after.exitCode"), "the next container works: " + out);
    assertEquals("true", out.get("after.joined"), out.toString());
    assertEquals("STARTED", out.get("nodeManagerState"), out.toString());
  }
}
