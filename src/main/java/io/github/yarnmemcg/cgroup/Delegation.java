package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * What the kernel requires of the NodeManager's user, and how to give it, in one place for the start check, the
 * start failure's message and the doctor. On cgroup v1 the user must own the root (the kernel then gives it the
 * cgroups it creates inside). On cgroup v2 a process may move another between two cgroups only if it may write
 * {@code cgroup.procs} of their common ancestor (the kernel's delegation containment rule), and every container's
 * first process is moved from the NodeManager's own cgroup into the container's: the user needs a delegated
 * subtree holding both. Hadoop-free; access(2) is the kernel's own answer to "may write".
 */
public final class Delegation {

  /** Where systemd drop-ins that delegate a subtree are shipped (the binary distribution's conf/). */
  public static final String SYSTEMD_DROP_IN = "conf/systemd/yarn-memcg-v2.conf";

  /** The drop-in for systemd 249-253 (no DelegateSubgroup=): bin/yarn-memcg-leaf in ExecStart=; works on 254+ too. */
  public static final String SYSTEMD_DROP_IN_249 = "conf/systemd/yarn-memcg-v2-systemd249.conf";

  private final MemoryMount mount;
  private final CgroupFs fs;

  public Delegation(CgroupDriver driver) {
    this.mount = driver.mount();
    this.fs = driver.fs();
  }

  /** The memory cgroup this process runs in, from {@code /proc/self/cgroup}; empty when it names none. */
  public Optional<Path> ownCgroup() {
    try {
      return mount.cgroupOfProcess(new String(Files.readAllBytes(Paths.get("/proc/self/cgroup")),
          StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The nearest cgroup that holds both. */
  public static Path commonAncestor(Path a, Path b) {
    Path ancestor = a;
    while (!b.startsWith(ancestor)) {
      ancestor = ancestor.getParent();
    }
    return ancestor;
  }

  /**
   * v2: refuses, naming the file the kernel checks, when this process could not move its children into
   * {@code root}: checked at start so that a NodeManager outside its delegated subtree fails once, instead of
   * failing every container.
   */
  public void checkCanMoveInto(Path root) throws CgroupIoException {
    Optional<Path> own = ownCgroup();
    if (mount.version() != CgroupVersion.V2 || !own.isPresent()) {
      return;
    }
    Path procs = commonAncestor(own.get(), root).resolve("cgroup.procs");
    if (!fs.isWritable(procs)) {
      throw new CgroupIoException("move processes from " + own.get() + " into", root,
          "Permission denied (EACCES) on " + procs + ": on cgroup v2 only a writer of cgroup.procs of the common"
              + " ancestor of two cgroups may move processes between them", CgroupIoException.Kind.PERMISSION_DENIED,
          null);
    }
  }

  /**
   * v2, for a process that is not the NodeManager (the doctor): the highest cgroup from the mount down to the
   * root's parent whose {@code cgroup.procs} this user may write; a NodeManager running below it (outside the
   * root) can move container processes into the root.
   */
  public Optional<Path> highestMovableAbove(Path root) {
    for (Path dir = mount.path(); !dir.equals(root); dir = dir.resolve(root.getName(dir.getNameCount()))) {
      if (!fs.isDirectory(dir)) {
        break;
      }
      if (fs.isWritable(dir.resolve("cgroup.procs"))) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }

  /** The subtree to delegate for a root: its parent, unless that is the mount itself (never delegated). */
  public Path subtreeFor(Path root) {
    Path parent = root.getParent();
    return parent.equals(mount.path()) ? root : parent;
  }

  /**
   * What to change so that {@code user} may run the plugin on {@code root}, in steps an operator can follow;
   * {@code rootKey} names the setting that holds the root.
   */
  public String advice(Path root, String user, String rootKey) {
    if (mount.version() == CgroupVersion.V1) {
      return "As root, create the root and give it to that user: mkdir -p " + root + " && chown -R " + user + " "
          + root + " (the kernel then gives the user the container cgroups it creates inside).";
    }
    Path subtree = subtreeFor(root);
    String containers = subtree.equals(root) ? root.resolve("containers").toString() : root.toString();
    String nodeManager = subtree.resolve("nodemanager").toString();
    return "Delegate a cgroup v2 subtree that holds both the NodeManager's own cgroup (now "
        + ownCgroup().map(Path::toString).orElse("unknown") + ") and the root to that user. With systemd:"
        + " Delegate=yes and DelegateSubgroup=nodemanager on the NodeManager's unit, memory enabled in the unit's"
        + " cgroup.subtree_control (" + SYSTEMD_DROP_IN + ", systemd 254+; before 254, bin/yarn-memcg-leaf in"
        + " ExecStart= as in " + SYSTEMD_DROP_IN_249 + "), and " + rootKey + " inside the unit's cgroup (see"
        + " /proc/<NodeManager pid>/cgroup). By hand, as root: mkdir " + subtree + " " + nodeManager
        + "; echo +memory into cgroup.subtree_control of every cgroup from " + mount.path() + " down to " + subtree
        + "; chown " + user + " " + subtree + " " + subtree + "/cgroup.procs " + subtree + "/cgroup.subtree_control "
        + subtree + "/cgroup.threads; start the NodeManager in " + nodeManager + " (a cgroup that holds processes"
        + " cannot pass memory on), and set " + rootKey + "=" + containers + ".";
  }
}
