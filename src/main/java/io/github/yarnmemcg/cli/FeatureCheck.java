package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.OomWatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's cgroup interface files the plugin relies on, and what the NodeManager will use for each function on
 * this kernel. They are looked up in a real container-level cgroup when there is one (the probe), because several
 * exist only below the top of the hierarchy; elsewhere the doctor says that absent may not mean missing.
 */
final class FeatureCheck {
  private FeatureCheck() {}

  /** One line per interface file, in {@code where}; {@code isProbe}: whether that is a container-level cgroup. */
  static List<Finding> features(CgroupFs fs, MemoryMount mount, Path where, boolean isProbe) {
    List<Finding> out = new ArrayList<>();
    boolean v2 = mount.version() == CgroupVersion.V2;
    if (!isProbe) {
      out.add(Finding.info("kernel features looked up in " + where + ", not in a container-level cgroup: files"
          + " that only child cgroups have show as absent; create the root to check exactly"));
    }
    String v2Only = "cgroup v2 only";
    out.add(feature(fs, where, "memory.force_empty", !v2, v2 ? "cgroup v1 only" : "drains page cache on v1"));
    out.add(feature(fs, where, "memory.reclaim", false, v2 ? "drains page cache on v2, kernel 5.19+; without it the"
        + " drain sets memory.high to 0 in the emptied cgroup" : v2Only));
    out.add(feature(fs, where, "cgroup.kill", false, v2 ? "kills a whole cgroup at once, kernel 5.14+; without it"
        + " the cgroup is frozen (cgroup.freeze, 5.2+), its processes killed one by one, then thawed" : v2Only));
    out.add(feature(fs, where, "memory.peak", false, v2 ? "peak in the final figures, kernel 5.19+; without it the"
        + " peak is memory.current as sampled" : v2Only + "; v1 has memory.max_usage_in_bytes"));
    out.add(feature(fs, where, "memory.oom.group", false, v2 ? "whole-cgroup OOM kill, kernel 4.19+; yarn-memcg sets"
        + " it on every container cgroup, so an OOM takes the whole container" : v2Only));
    out.add(feature(fs, where, "memory.events", false, v2 ? "OOM kills in running containers are reported as the"
        + " kernel signals them (inotify)" : v2Only + "; on v1 they are read from memory.oom_control every "
        + OomWatcher.V1_POLL.toMillis() + " ms, because v1's only notification, an eventfd registered through"
        + " cgroup.event_control, cannot be created from Java (and Linux 6.12 deprecates it)"));
    return out;
  }

  private static Finding feature(CgroupFs fs, Path where, String file, boolean needed, String what) {
    if (fs.exists(where.resolve(file))) {
      return Finding.ok("feature " + file + ": present (" + what + ")");
    }
    return needed ? Finding.fail("feature " + file + ": ABSENT, the plugin needs it (" + what + ")")
        : Finding.info("feature " + file + ": absent (" + what + ")");
  }

  /** What the NodeManager will use for each function on this kernel, as it says in its start-up line. */
  static List<Finding> interfaces(CgroupDriver driver, Path probe) {
    List<Finding> out = new ArrayList<>();
    try {
      KernelInterfaces k = driver.interfaces(probe);
      out.add(Finding.ok("kernel " + System.getProperty("os.version") + " interfaces: " + k.describe()));
      if (k.psi() == KernelInterfaces.Psi.OFF) {
        out.add(Finding.info("memory pressure (PSI) of containers is not reported: " + k.psi().description()));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read which kernel interfaces " + probe + " offers: " + e.getMessage()));
    }
    return out;
  }
}
