package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The cgroup v2 cpu controller: {@code cpu.*} files of the unified hierarchy, in the same cgroups as memory and
 * through the same door. Apart from {@link V2Driver} because only the containers' CPU setting needs it, and a
 * NodeManager that leaves CPU to nobody never touches a {@code cpu.*} file.
 */
final class V2CpuDriver implements CpuDriver {

  private final CgroupFs fs;

  V2CpuDriver(CgroupFs fs) {
    this.fs = fs;
  }

  @Override
  public boolean cpuOffered(Path cgroup) throws IOException {
    return V2Controllers.lists(fs, cgroup, "cgroup.controllers", "cpu");
  }

  @Override
  public void enableCpuForChildren(Path cgroup) throws IOException {
    V2Controllers.enableForChildren(fs, cgroup, "cpu");
  }

  @Override
  public void setCpuWeight(Path cgroup, int weight) throws IOException {
    fs.write(cgroup.resolve("cpu.weight"), Integer.toString(weight));
  }

  @Override
  public void setCpuMax(Path cgroup, long quotaMicros, long periodMicros) throws IOException {
    fs.write(cgroup.resolve("cpu.max"), (quotaMicros < 0 ? "max" : Long.toString(quotaMicros)) + " " + periodMicros);
  }
}
