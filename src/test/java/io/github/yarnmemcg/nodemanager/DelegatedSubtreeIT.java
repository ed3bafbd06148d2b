package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Least privilege on cgroup v2: the plugin in a JVM of its own, run with setpriv as an unprivileged system user
 * and no capabilities ({@link UnprivilegedJvm}), on a subtree delegated to that user as the kernel documents it
 * (Documentation/admin-guide/cgroup-v2.rst, "Delegation") and systemd's {@code Delegate=yes} with
 * {@code DelegateSubgroup=nodemanager} does it: root creates the subtree D, passes memory on from the mount down to
 * D's children, chowns D and its cgroup.procs, cgroup.subtree_control and cgroup.threads to the user, and starts
 * the user's JVM in D/nodemanager (D itself holds no process, so it may pass memory on). The plugin's root is
 * D/containers, created by the user's JVM at bootstrap; moving a container's process from D/nodemanager into it
 * needs write access to D/cgroup.procs, their common ancestor's. The mount's {@code nsdelegate} option (the VM and
 * systemd both use it) only adds rules across cgroup namespaces, and the JVM stays in the initial one. Tagged
 * {@code cgroup-v2}: the host's failsafe leaves it out, the v2 VM stage runs it with {@code CI=true}.
 */
@Tag("cgroup-v2")
class DelegatedSubtreeIT {
  private static final String USER = UnprivilegedJvm.USER;
  private static final long MIB = 1 << 20;

  CgroupDriver driver;
  Path delegated;
  Path nodeManagerCgroup;
  Path root;
  UnprivilegedJvm jvm;

  @BeforeEach
  void setUp() throws Exception {
    RealCgroups.require(CgroupVersion.V2);
    driver = CgroupDriver.forMount(MemoryMount.discover(Optional.empty()));
    delegated = driver.mount().path().resolve("yarn-memcg-it-deleg-" + UUID.randomUUID().toString().substring(0, 8));
    nodeManagerCgroup = delegated.resolve("nodemanager");
    root = delegated.resolve("containers");
    jvm = UnprivilegedJvm.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (delegated != null) {
        RealCgroups.removeTree(driver, delegated);
      }
    } finally {
      if (jvm != null) {
        jvm.close();
      }
    }
  }

  /** The subtree as root prepares it; {@code delegate} false leaves it root's, as a node without delegation. */
  void prepareSubtree(boolean delegate) throws Exception {
    for (Path dir = driver.mount().path(); !dir.equals(delegated); dir = dir.resolve(
        delegated.getName(dir.getNameCount()))) {
      driver.enableMemoryForChildren(dir);
    }
    driver.create(delegated);
    // Before any process is inside: as the drop-in's ExecStartPre does for the service's cgroup.
    driver.enableMemoryForChildren(delegated);
    driver.create(nodeManagerCgroup);
    if (delegate) {
      Workloads.run(List.of("chown", USER + ":" + USER, delegated.toString(),
          delegated.resolve("cgroup.procs").toString(), delegated.resolve("cgroup.subtree_control").toString(),
          delegated.resolve("cgroup.threads").toString()));
    }
  }

  @Test
  void userOnADelegatedSubtreeRunsTheWholeLifecycle() throws Exception {
    prepareSubtree(true);
    Map<String, String> out = jvm.run("lifecycle,doctor", root, Optional.of(nodeManagerCgroup), driver, 120);
    assertEquals(USER, out.get("user"), out.toString());
    assertEquals("0000000000000000", out.get("capEff"), "no capabilities at all: " + out);
    assertEquals(nodeManagerCgroup.toString(), out.get("ownCgroup"), "the JVM runs inside the subtree: " + out);
    assertEquals("ok", out.get("bootstrap"), out.toString());
    assertEquals(Long.toString(64 * MIB), out.get("limit"), "memory.max as read back: " + out);
    assertEquals("0", out.get("exit"), out.toString());
    assertEquals(root.resolve("container_1700000000000_0001_01_000001").toString(), out.get("joined"),
        "the process moved from " + nodeManagerCgroup + " into the container's cgroup: " + out);
    assertTrue(Long.parseLong(out.get("pageCacheBeforeDrain")) >= 7 * MIB, out.toString());
    assertTrue(out.get("outcome").startsWith("CLEANED removed=true drained="), out.toString());
    assertTrue(Long.parseLong(out.get("outcome").replaceAll(".*drained=", "")) >= 7 * MIB, "drained: " + out);
    assertEquals("false", out.get("exists"), out.toString());
    assertEquals("0", out.get("exitCode"), out.toString());

    // What the user's JVM did, checked by root from outside: nothing is left dying under the plugin's root.
    DyingMemcgs.UnderRoot dying = DyingMemcgs.underRoot(root, 5_000).orElseThrow();
    assertEquals(0, dying.descendants(), "dying cgroups under " + root + ": " + dying);
    assertTrue(dying.memory() == 0 || dying.memory() == MemoryStats.UNKNOWN, "dying memcgs: " + dying);

    String doctor = out.get("doctor");
    assertTrue(doctor.contains("OK    " + USER + " can write " + delegated.resolve("cgroup.procs")),
        "doctor names the cgroup the NodeManager must run below: " + doctor);
    assertTrue(doctor.contains("OK    root " + root + " exists"), doctor);
  }

  @Test
  void withoutDelegationStartupAndDoctorSayWhatToChange() throws Exception {
    prepareSubtree(false);
    Map<String, String> out = jvm.run("lifecycle,doctor", root, Optional.of(nodeManagerCgroup), driver, 120);
    assertEquals(nodeManagerCgroup.toString(), out.get("ownCgroup"), out.toString());
    String msg = out.get("bootstrap");
    assertTrue(msg != null && msg.contains("mkdir " + root) && msg.contains("Permission denied (EACCES)"),
        "names the path and the errno: " + out);
    assertTrue(msg.contains("user '" + USER + "'") && msg.contains("(now " + nodeManagerCgroup + ")"),
        "names the user and where the NodeManager runs: " + msg);
    assertTrue(msg.contains("Delegate=yes") && msg.contains("chown " + USER + " " + delegated + " " + delegated
        + "/cgroup.procs " + delegated + "/cgroup.subtree_control " + delegated + "/cgroup.threads"),
        "says how to delegate, with systemd or by hand: " + msg);

    String doctor = out.get("doctor");
    assertTrue(doctor.contains("FAIL  " + USER + " cannot move container processes into " + root)
        && doctor.contains("chown " + USER + " " + delegated + " and its cgroup.procs"),
        "doctor explains the delegation: " + doctor);
    assertTrue(doctor.contains("FAIL  root " + root + " does not exist and " + USER + " cannot create it"), doctor);
  }

  @Test
  void nodeManagerOutsideItsDelegatedSubtreeFailsAtStartupNotAtEachContainer() throws Exception {
    prepareSubtree(true);
    // Started where the test runs, not in D/nodemanager: the common ancestor of its cgroup and the root is above D.
    Map<String, String> out = jvm.run("lifecycle", root, Optional.empty(), driver, 120);
    Path own = Path.of(out.get("ownCgroup"));
    assertTrue(!own.startsWith(delegated), "the JVM runs outside the subtree: " + out);
    Path commonAncestor = own;
    while (!root.startsWith(commonAncestor)) {
      commonAncestor = commonAncestor.getParent();
    }
    String msg = out.get("bootstrap");
    assertTrue(msg != null && msg.contains("move processes from " + own + " into " + root)
        && msg.contains("Permission denied (EACCES) on " + commonAncestor.resolve("cgroup.procs")),
        "names the move, the file and the errno: " + out);
    assertTrue(msg.contains("(now " + own + ")") && msg.contains("start the NodeManager in " + nodeManagerCgroup),
        "says where the NodeManager must run: " + msg);
    // The check agrees with the kernel: moving a process there for real is refused.
    assertTrue(out.get("kernelJoin").matches("exit [1-9].*Permission denied.*"), "the kernel's answer: " + out);
  }
}
