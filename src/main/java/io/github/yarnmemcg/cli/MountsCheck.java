package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MountInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroup2 mounts besides the memory controller the plugin uses, with their controllers, so that "no memory on
 * cgroup2" is visible when v1 is used, and a second cgroup2 mount when v2 is.
 */
final class MountsCheck {
  private MountsCheck() {}

  /** @param used the memory controller's mount, or null when none was found */
  static List<Finding> otherMounts(MemoryMount used) {
    List<Finding> out = new ArrayList<>();
    try {
      for (MountInfo m : MountInfo.read(MountInfo.PROC_SELF_MOUNTINFO)) {
        if (m.fsType().equals("cgroup2") && (used == null || !m.mountPoint().equals(used.path()))) {
          String controllers = controllers(m.mountPoint()).trim();
          out.add(Finding.info("cgroup2 also mounted at " + m.mountPoint() + ", controllers: "
              + (controllers.isEmpty() ? "none" : controllers)));
        }
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read " + MountInfo.PROC_SELF_MOUNTINFO + ": " + e.getMessage()));
    }
    return out;
  }

  /** The mount's cgroup.controllers, read through cgroupfs's one door; empty when it cannot be read. */
  private static String controllers(Path mountPoint) {
    try {
      return CgroupFs.open(mountPoint).read(mountPoint.resolve("cgroup.controllers"));
    } catch (IOException e) {
      return "";
    }
  }
}
