package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CpuDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU in the containers' own cgroups on cgroup v2, where a process has exactly one cgroup and Hadoop's CPU handler
 * would move the container out of its memory cgroup: the cpu controller is passed from the root to the container
 * cgroups, which get a weight and, in strict mode, a bandwidth cap; the root can cap all containers together.
 */
public final class ContainerCpu {
  private final CpuDriver driver;
  private final Path root;

  public ContainerCpu(CpuDriver driver, Path root) {
    this.driver = driver;
    this.root = root;
  }

  /**
   * Passes the cpu controller to the container cgroups, and caps all of them together (or lifts a cap left from
   * before).
   *
   * @throws IOException naming the cgroup to change when the root's parent does not offer the cpu controller
   */
  public void enable(Optional<CpuShare> allContainers) throws IOException {
    if (!driver.cpuOffered(root)) {
      throw new IOException("the cpu controller is not available in " + root + " (its cgroup.controllers lacks cpu):"
          + " the parent cgroup " + root.getParent() + " does not pass it down. As root: echo +cpu > "
          + root.getParent().resolve("cgroup.subtree_control") + " (and in every cgroup above it that lacks it; for a"
          + " systemd service, Delegate=yes delegates cpu)");
    }
    driver.enableCpuForChildren(root);
    CpuShare cap = allContainers.orElse(CpuShare.weighted(100));
    driver.setCpuMax(root, cap.quotaMicros(), cap.periodMicros());
  }

  /** Gives a container cgroup its CPU share (also when YARN changes the container's vcores). */
  public void apply(Path cgroup, CpuShare share) throws IOException {
    driver.setCpuWeight(cgroup, share.weight());
    driver.setCpuMax(cgroup, share.quotaMicros(), share.periodMicros());
  }
}
