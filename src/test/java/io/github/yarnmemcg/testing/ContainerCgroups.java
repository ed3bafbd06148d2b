package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;

/** Container cgroups made by hand under a test's root, for tests of the tools that inspect them. */
public final class ContainerCgroups {
  private ContainerCgroups() {}

  /** Creates the test's root (passing memory on to its children) if needed, and a container cgroup in it. */
  public static Path create(RealCgroups cgroups, String containerId) throws IOException {
    CgroupDriver driver = cgroups.driver();
    driver.create(cgroups.root());
    driver.enableMemoryForChildren(cgroups.root());
    Path cgroup = cgroups.root().resolve(containerId);
    driver.create(cgroup);
    return cgroup;
  }

  /** Starts a process in the cgroup that holds {@code mib} MiB of anonymous memory; returns once it does. */
  public static Process holdAnon(CgroupDriver driver, Path cgroup, int mib) throws IOException {
    Process p = new ProcessBuilder(driver.joinThenExec(cgroup, Workloads.holdAnon(mib))).start();
    String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new IOException("the memory holder in " + cgroup + " did not start: " + line);
    }
    return p;
  }
}
