package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.CpuShare;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.CGroupsCpuResourceHandlerImpl;
import org.apache.hadoop.yarn.server.nodemanager.util.NodeManagerHardwareUtils;

/**
 * Each container's CPU share as Hadoop 3.5.0's cgroup v2 CPU handler ({@code CGroupsV2CpuResourceHandlerImpl})
 * computes it from the same yarn-site keys, so that a v2 node that drops Hadoop's handlers for yarn-memcg keeps its
 * CPU isolation: {@code cpu.weight} is 100 per vcore (at most 10000), 1 for an opportunistic container; in strict
 * mode ({@code yarn.nodemanager.linux-container-executor.cgroups.strict-resource-usage}) a container may use its
 * vcores' part of the CPUs given to YARN ({@code yarn.nodemanager.resource.percentage-physical-cpu-limit}), and below
 * 100 percent all containers together are capped to those CPUs. The CPU counts and the quota and period come from
 * Hadoop's own functions.
 */
final class HadoopCpuShares {
  static final int WEIGHT_PER_VCORE = 100;
  static final int MAX_WEIGHT = 10_000;
  static final int OPPORTUNISTIC_WEIGHT = 1;

  private final boolean strict;
  private final int nodeVCores;
  private final float yarnProcessors;
  private final int systemProcessors;

  HadoopCpuShares(boolean strict, int nodeVCores, float yarnProcessors, int systemProcessors) {
    this.strict = strict;
    this.nodeVCores = nodeVCores;
    this.yarnProcessors = yarnProcessors;
    this.systemProcessors = systemProcessors;
  }

  static HadoopCpuShares from(Configuration conf) {
    return new HadoopCpuShares(conf.getBoolean(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_STRICT_RESOURCE_USAGE,
        YarnConfiguration.DEFAULT_NM_LINUX_CONTAINER_CGROUPS_STRICT_RESOURCE_USAGE),
        NodeManagerHardwareUtils.getVCores(conf), NodeManagerHardwareUtils.getContainersCPUs(conf),
        NodeManagerHardwareUtils.getNodeCPUs(conf));
  }

  /** The share of a container with these vcores. */
  CpuShare forContainer(int vcores, boolean guaranteed) {
    // Hadoop writes 0 for a container without vcores, which the kernel refuses; 1 is the lowest weight it takes.
    int weight = guaranteed ? Math.max(1, Math.min(vcores * WEIGHT_PER_VCORE, MAX_WEIGHT)) : OPPORTUNISTIC_WEIGHT;
    if (strict && nodeVCores != vcores && vcores > 0) {
      int[] periodAndQuota = CGroupsCpuResourceHandlerImpl.getOverallLimits(vcores * yarnProcessors / nodeVCores);
      return new CpuShare(weight, periodAndQuota[1], periodAndQuota[0]);
    }
    return CpuShare.weighted(weight);
  }

  /** The cap on all containers together, when YARN is given fewer CPUs than the node has. */
  Optional<CpuShare> forAllContainers() {
    if (systemProcessors == (int) yarnProcessors) {
      return Optional.empty();
    }
    int[] periodAndQuota = CGroupsCpuResourceHandlerImpl.getOverallLimits(yarnProcessors);
    return Optional.of(new CpuShare(100, periodAndQuota[1], periodAndQuota[0]));
  }

  @Override
  public String toString() {
    return (strict ? "strict" : "weights only") + ", " + nodeVCores + " vcores, " + yarnProcessors + " of "
        + systemProcessors + " CPUs for containers";
  }
}
