package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Least privilege on cgroup v2: the plugin in a JVM of its own, run with setpriv as an unprivileged system user
 * and no capabilities ({@link UnprivilegedJvm}), on a subtree delegated to that user as the kernel documents it
 * (Documentation/admin-guide/cgroup-v2.rst, "Delegation") and systemd's {@code Delegate=yes} with
 * {@code DelegateSubgroup=nodemanager} does it: root creates the subtree D, passes memory on from the mount down to
 * D's children, chowns D and its cgroup.procs, cgroup.subtree_control and cgroup.threads to the user, and starts
 * the user's JVM in D/nodemanager (D itself holds no process, so it may pass memory on). The plugin's root is
 * D/containers, created by the user's JVM at bootstrap; moving a container's process from D/nodemanager into it
 * needs write access to D/cgroup.procs, their common ancestor's. The mount's {@code nsdelegate} option (the VM and
 * systemd both use it) only adds rules across cgroup namespaces, and the JVM stays in the initial one.
 *
 * <p>A JVM start takes seconds in the VM, so one JVM, in D/nodemanager, runs every case and each test checks its
 * own: the lifecycle on D/containers; a root in a subtree E left to root (no delegation); a root in a subtree F
 * delegated to the user but not holding the JVM's cgroup. Tagged {@code cgroup-v2}: the host's failsafe leaves it
 * out, the v2 VM stage runs it with {@code CI=true}.
 */
@Tag("cgroup-v2")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("v2-stage")
class DelegatedSubtreeIT {
  private static final String USER = UnprivilegedJvm.USER;

  CgroupDriver driver;
  /** Delegated, with the JVM in its nodemanager child. */
  Path delegated;
  /** Left to root. */
  Path notDelegated;
  /** Delegated, without the JVM. */
  Path elsewhere;
  UnprivilegedJvm jvm;
  Map<String, String> out;

  @BeforeAll
  void runAllCasesInOneJvm() throws Exception {
    RealCgroups.require(CgroupVersion.V2);
    driver = CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path mount = driver.mount().path();
    delegated = mount.resolve("yarn-memcg-it-deleg-" + id);
    notDelegated = mount.resolve("yarn-memcg-it-nodeleg-" + id);
    elsewhere = mount.resolve("yarn-memcg-it-deleg-other-" + id);
    jvm = UnprivilegedJvm.create();
    prepareSubtree(delegated, true);
    prepareSubtree(notDelegated, false);
    prepareSubtree(elsewhere, true);
    out = jvm.run(String.join(",", "lifecycle", "doctor",
        "denied:lifecycle@" + root(notDelegated), "denied:doctor@" + root(notDelegated),
        "outside:lifecycle@" + root(elsewhere)), root(delegated), Optional.of(nodeManager(delegated)), driver, 180);
  }

  @AfterAll
  void removeEverything() throws Exception {
    try {
      for (Path subtree : new Path[] {delegated, notDelegated, elsewhere}) {
        if (subtree != null) {
          RealCgroups.removeTree(driver, subtree);
        }
      }
    } finally {
      if (jvm != null) {
        jvm.close();
      }
    }
  }

  static Path root(Path subtree) {
    return subtree.resolve("containers");
  }

  static Path nodeManager(Path subtree) {
    return subtree.resolve("nodemanager");
  }

  /** A subtree as root prepares it; {@code delegate} false leaves it root's, as on a node without delegation. */
  void prepareSubtree(Path subtree, boolean delegate) throws Exception {
    for (Path dir = driver.mount().path(); !dir.equals(subtree); dir = dir.resolve(
        subtree.getName(dir.getNameCount()))) {
      driver.enableMemoryForChildren(dir);
    }
    driver.create(subtree);
    // Before any process is inside: as the drop-in's ExecStartPre does for the service's cgroup.
    driver.enableMemoryForChildren(subtree);
    driver.create(nodeManager(subtree));
    if (delegate) {
      Workloads.run(List.of("chown", USER + ":" + USER, subtree.toString(),
          subtree.resolve("cgroup.procs").toString(), subtree.resolve("cgroup.subtree_control").toString(),
          subtree.resolve("cgroup.threads").toString()));
    }
  }

  @Test
  void userOnADelegatedSubtreeRunsTheWholeLifecycle() throws Exception {
    Path root = root(delegated);
    assertEquals(USER, out.get("user"), out.toString());
    assertEquals("0000000000000000", out.get("capEff"), "no capabilities at all: " + out);
    assertEquals(nodeManager(delegated).toString(), out.get("ownCgroup"), "the JVM runs inside the subtree: " + out);
    assertEquals("ok", out.get("bootstrap"), out.toString());
    assertEquals(Long.toString(64 * ONE_MB), out.get("limit"), "memory.max as read back: " + out);
    assertEquals("0", out.get("exit"), out.toString());
    assertEquals(root.resolve("container_1700000000000_0001_01_000001").toString(), out.get("joined"),
        "the process moved from " + nodeManager(delegated) + " into the container's cgroup: " + out);
    assertTrue(Long.parseLong(out.get("pageCacheBeforeDrain")) >= 7 * ONE_MB, out.toString());
    assertTrue(out.get("outcome").startsWith("CLEANED removed=true drained="), out.toString());
    assertTrue(Long.parseLong(out.get("outcome").replaceAll(".*drained=", "")) >= 7 * ONE_MB, "drained: " + out);
    assertEquals("false", out.get("exists"), out.toString());
    assertEquals("0", out.get("exitCode"), out.toString());

    // What the user's JVM did, checked by root from outside: nothing is left dying under the plugin's root.
    DyingMemcgs.UnderRoot dying = DyingMemcgs.underRoot(driver, root, 5_000).orElseThrow();
    assertEquals(0, dying.descendants(), "dying cgroups under " + root + ": " + dying);
    assertTrue(dying.memory() == 0 || dying.memory() == MemoryStats.UNKNOWN, "dying memcgs: " + dying);

    String doctor = out.get("doctor");
    assertTrue(doctor.contains("OK    " + USER + " can write " + delegated.resolve("cgroup.procs")),
        "doctor names the cgroup the NodeManager must run below: " + doctor);
    assertTrue(doctor.contains("OK    root " + root + " exists"), doctor);
  }

  @Test
  void withoutDelegationStartupAndDoctorSayWhatToChange() {
    Path root = root(notDelegated);
    String msg = out.get("denied.bootstrap");
    assertTrue(msg != null && msg.contains("mkdir " + root) && msg.contains("Permission denied (EACCES)"),
        "names the path and the errno: " + out);
    assertTrue(msg.contains("user '" + USER + "'") && msg.contains("(now " + nodeManager(delegated) + ")"),
        "names the user and where the NodeManager runs: " + msg);
    assertTrue(msg.contains("Delegate=yes") && msg.contains("chown " + USER + " " + notDelegated + " "
        + notDelegated + "/cgroup.procs " + notDelegated + "/cgroup.subtree_control " + notDelegated
        + "/cgroup.threads") && msg.contains("start the NodeManager in " + nodeManager(notDelegated)),
        "says how to delegate, with systemd or by hand: " + msg);

    String doctor = out.get("denied.doctor");
    assertTrue(doctor.contains("FAIL  " + USER + " cannot move container processes into " + root)
        && doctor.contains("chown " + USER + " " + notDelegated + " and its cgroup.procs"),
        "doctor explains the delegation: " + doctor);
    assertTrue(doctor.contains("FAIL  root " + root + " does not exist and " + USER + " cannot create it"), doctor);
  }

  @Test
  void nodeManagerOutsideItsDelegatedSubtreeFailsAtStartupNotAtEachContainer() {
    Path root = root(elsewhere);
    Path own = nodeManager(delegated);
    // The common ancestor of the JVM's cgroup and this root is above both subtrees: root's.
    Path commonAncestor = driver.mount().path();
    String msg = out.get("outside.bootstrap");
    assertTrue(msg != null && msg.contains("move processes from " + own + " into " + root)
        && msg.contains("Permission denied (EACCES) on " + commonAncestor.resolve("cgroup.procs")),
        "names the move, the file and the errno: " + out);
    assertTrue(msg.contains("(now " + own + ")") && msg.contains("start the NodeManager in " + nodeManager(elsewhere)),
        "says where the NodeManager must run: " + msg);
    // The check agrees with the kernel: moving a process there for real is refused.
    assertTrue(out.get("outside.kernelJoin").startsWith("refused"), "the kernel's answer: " + out);
  }
}
