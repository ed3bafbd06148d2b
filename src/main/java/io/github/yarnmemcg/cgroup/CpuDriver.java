package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The kernel interface to the cpu controller in the memory cgroups themselves, which only cgroup v2 has: there a
 * process has exactly one cgroup, so a container's CPU share must be set in its memory cgroup. On v1 CPU is a
 * hierarchy of its own, set by Hadoop's CPU handler, and {@link CgroupDriver#cpu()} has none. Paths are cgroup
 * directories under the driver's mount; no method follows a symbolic link.
 */
public interface CpuDriver {

  /**
   * Whether this cgroup's parent offers it the cpu controller ({@code cpu} in {@code cgroup.controllers}), which it
   * can then pass to its children.
   */
  boolean cpuOffered(Path cgroup) throws IOException;

  /** Makes the cpu controller available to this cgroup's children ({@code +cpu} in {@code cgroup.subtree_control}). */
  void enableCpuForChildren(Path cgroup) throws IOException;

  /** The cgroup's CPU share under contention: {@code cpu.weight} (1 to 10000, 100 by default). */
  void setCpuWeight(Path cgroup, int weight) throws IOException;

  /**
   * The cgroup's CPU bandwidth: at most {@code quotaMicros} of CPU time in every {@code periodMicros}
   * ({@code cpu.max}); a negative quota lifts the limit ("max").
   */
  void setCpuMax(Path cgroup, long quotaMicros, long periodMicros) throws IOException;
}
