package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.MemoryMount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * cgroup v2 only: whether the memory controller reaches the root, and whether the NodeManager can move container
 * processes into it. Both are decided above the root, by whoever set up the node's cgroups, so the plugin cannot fix
 * either at start; the doctor says which cgroup to change.
 */
final class DelegationCheck {
  private DelegationCheck() {}

  /** Both checks, in the order the doctor prints them. */
  static List<Finding> check(CgroupDriver driver, MemoryMount mount, Path root) {
    List<Finding> out = new ArrayList<>(memoryPassedDown(driver.fs(), mount, root));
    out.add(processMoves(driver, root));
    return out;
  }

  /**
   * Each existing cgroup from the mount down to the root's parent must pass memory on to its children
   * ({@code cgroup.subtree_control}); the plugin enables it only in cgroups it creates itself.
   */
  static List<Finding> memoryPassedDown(CgroupFs fs, MemoryMount mount, Path root) {
    List<Finding> out = new ArrayList<>();
    Path dir = mount.path();
    Path reached = mount.path();
    for (Path part : mount.path().relativize(root)) {
      Path child = dir.resolve(part);
      String subtree;
      try {
        subtree = fs.read(dir.resolve("cgroup.subtree_control"));
      } catch (IOException e) {
        subtree = "";
      }
      boolean memory = (" " + subtree.trim() + " ").contains(" memory ");
      if (!memory) {
        out.add(Finding.fail(dir + " does not enable the memory controller for its children (its"
            + " cgroup.subtree_control is '" + subtree.trim() + "'): write +memory to it, or for a systemd"
            + " service use Delegate=yes (conf/systemd/yarn-memcg-v2.conf)"));
        return out;
      }
      reached = child;
      if (!fs.isDirectory(child)) {
        break;
      }
      dir = child;
    }
    out.add(Finding.ok("the memory controller is passed down from " + mount.path() + " to " + reached));
    return out;
  }

  /**
   * The NodeManager moves each container's first process from its own cgroup into the container's, which the
   * kernel allows only to a writer of cgroup.procs of the common ancestor of both. The doctor does not run in the
   * NodeManager's cgroup, so it names the highest cgroup above the root whose cgroup.procs this user may write:
   * the NodeManager must run below it (and outside the root).
   */
  static Finding processMoves(CgroupDriver driver, Path root) {
    String user = System.getProperty("user.name");
    Delegation delegation = new Delegation(driver);
    Optional<Path> movable = delegation.highestMovableAbove(root);
    if (movable.isPresent()) {
      return Finding.ok(user + " can write " + movable.get().resolve("cgroup.procs") + ", so a NodeManager running"
          + " in a cgroup below " + movable.get() + " (not inside the root) can move container processes into the"
          + " root");
    }
    Path subtree = delegation.subtreeFor(root);
    return Finding.fail(user + " cannot move container processes into " + root + ": on cgroup v2 that needs write"
        + " access to cgroup.procs of the common ancestor of the NodeManager's cgroup and the root, and " + user
        + " may write cgroup.procs of no cgroup above the root. Delegate a subtree holding both to " + user
        + ": systemd Delegate=yes and DelegateSubgroup= (conf/systemd/yarn-memcg-v2.conf, systemd 254+), or"
        + " Delegate=yes and bin/yarn-memcg-leaf in ExecStart= (conf/systemd/yarn-memcg-v2-systemd249.conf, systemd"
        + " 249+), or as root chown "
        + user + " " + subtree + " and its cgroup.procs, cgroup.subtree_control and cgroup.threads, and run the"
        + " NodeManager in a child of " + subtree + " other than the root");
  }
}
