package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Whether the root exists and this user can create cgroups in it, proved as the NodeManager proves it at start: by
 * creating a probe cgroup in it, which the later checks look into (files several kernels have only below the top of
 * the hierarchy) and the doctor removes. When the root does not exist, the parent the NodeManager will create it in
 * must be writable.
 */
final class RootCheck {
  private RootCheck() {}

  /** @return the probe cgroup, created, or null when there is none to look into and remove */
  static Path probe(CgroupDriver driver, Path root, List<Finding> out) {
    String user = System.getProperty("user.name");
    CgroupFs fs = driver.fs();
    if (!fs.isDirectory(root)) {
      Path existing = root.getParent();
      while (!fs.isDirectory(existing)) {
        existing = existing.getParent();
      }
      if (fs.isWritable(existing)) {
        out.add(Finding.ok("root " + root + " does not exist yet; the NodeManager creates it at start (" + user
            + " can write " + existing + ")"));
      } else {
        out.add(Finding.fail("root " + root + " does not exist and " + user + " cannot create it: " + existing
            + " is " + owner(fs, existing) + "; create the root and chown it to the NodeManager's user"
            + (driver.mount().version() == CgroupVersion.V2 ? ", or delegate a subtree holding it (systemd"
                + " Delegate=yes, or chown " + existing + " and its cgroup.procs, cgroup.subtree_control and"
                + " cgroup.threads)" : "")));
      }
      return null;
    }
    Path probe = root.resolve("yarn-memcg-doctor-" + Processes.self());
    try {
      driver.create(probe);
      out.add(Finding.ok("root " + root + " exists (" + owner(fs, root) + ") and " + user
          + " can create cgroups in it"));
      if (driver.mount().version() == CgroupVersion.V2) {
        List<String> notWritable = Stream.of("cgroup.procs", "cgroup.subtree_control")
            .filter(f -> !fs.isWritable(root.resolve(f))).collect(Collectors.toList());
        if (!notWritable.isEmpty()) {
          out.add(Finding.fail("root " + root + " is not delegated to " + user + ": cannot write " + notWritable
              + "; use systemd Delegate=yes or chown these files"));
        }
      }
      return probe;
    } catch (IOException e) {
      out.add(Finding.fail("root " + root + " exists (" + owner(fs, root) + ") but " + user
          + " cannot create a cgroup in it: " + e.getMessage()
          + (driver.mount().version() == CgroupVersion.V1 ? "; chown the root to the NodeManager's user"
              : "; delegate it to the NodeManager's user (systemd Delegate=yes)")));
      return null;
    }
  }

  private static String owner(CgroupFs fs, Path p) {
    try {
      PosixFileAttributes a = fs.posixAttributes(p);
      return "owner " + a.owner().getName() + ":" + a.group().getName() + " "
          + PosixFilePermissions.toString(a.permissions());
    } catch (IOException e) {
      return "owner unknown: " + e.getMessage();
    }
  }
}
