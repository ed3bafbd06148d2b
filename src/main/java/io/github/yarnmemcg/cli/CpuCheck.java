package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.CpuDriver;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;

/**
 * Who isolates CPU: Hadoop's handler on cgroup v1; on v2 yarn-memcg, in the containers' own cgroups, or nobody. On
 * v2 a process has one cgroup, so a Hadoop cgroup handler beside yarn-memcg would take containers out of their
 * memory cgroups: the NodeManager refuses to start then, and the doctor says so first.
 */
final class CpuCheck {
  private CpuCheck() {}

  static void check(Target target, CgroupDriver driver, Path root, List<Finding> out) {
    boolean enabled;
    try {
      enabled = target.settings().cpu();
    } catch (IllegalArgumentException e) {
      return; // reported with the settings
    }
    String key = MemcgKeys.CPU_ENABLED.name();
    if (driver.mount().version() == CgroupVersion.V1) {
      out.add(enabled ? Finding.fail(key + " is true, but on cgroup v1 CPU is a hierarchy of its own: the NodeManager"
          + " refuses to start; use Hadoop's CPU handler with LinuxContainerExecutor, which joins both hierarchies")
          : Finding.ok("CPU: cgroup v1, where Hadoop's CPU handler (LinuxContainerExecutor) works beside yarn-memcg"));
      return;
    }
    List<String> hadoops = MemcgConfiguration.hadoopCgroupHandlerKeys(target.conf());
    boolean lce = LinuxContainerExecutor.class.getName().equals(
        target.conf().getTrimmed(YarnConfiguration.NM_CONTAINER_EXECUTOR, ""));
    if (lce && !hadoops.isEmpty()) {
      out.add(Finding.fail(String.join(", ", hadoops) + " is true with LinuxContainerExecutor: Hadoop's handler"
          + " would also write each container's pid into a cgroup of its own, and on cgroup v2, where a process has"
          + " one cgroup, the container would leave its memory cgroup; the NodeManager refuses to start. Set it to"
          + " false" + (enabled ? "" : " and " + key + " to true")));
    }
    if (!enabled) {
      out.add(Finding.info("CPU: not isolated by yarn-memcg (" + key + " is false); on cgroup v2 set it to true to"
          + " give containers Hadoop's CPU weights and strict caps in their own cgroups"));
      return;
    }
    Optional<CpuDriver> cpu = driver.cpu();
    try {
      if (!driver.fs().isDirectory(root)) {
        out.add(Finding.info("CPU: " + key + " is true; whether " + root.getParent() + " passes the cpu controller"
            + " down is checked once the root exists"));
      } else if (cpu.isPresent() && cpu.get().cpuOffered(root)) {
        out.add(Finding.ok("CPU: containers get cpu.weight (100 per vcore, 1 when opportunistic) and, in strict mode,"
            + " cpu.max in their own cgroups, as Hadoop's v2 CPU handler computes them: Hadoop's cgroup handlers are"
            + " not needed"));
      } else {
        out.add(Finding.fail(key + " is true but " + root + " is not offered the cpu controller: as root, echo +cpu >"
            + " " + root.getParent().resolve("cgroup.subtree_control") + "; the NodeManager refuses to start until"
            + " then"));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read which controllers " + root + " is offered: " + e.getMessage()));
    }
  }
}
