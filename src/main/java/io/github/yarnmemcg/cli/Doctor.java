package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;

/**
 * {@code yarn-memcg doctor}: checks a node before the plugin is enabled on it and says what is wrong in plain
 * words: the memory controller and its version, on v2 whether memory is enabled down to the root and below
 * which cgroup the NodeManager must run to move container processes into it, whether the root exists and this
 * user can create cgroups in it (proved by creating and removing a probe cgroup in it, as the NodeManager does at
 * start), the kernel features the plugin uses, the node's dying-memcg count, leftover container cgroups, and the
 * yarn-site.xml settings, and which way the node treats a finished container's page cache (measured with the
 * NodeManager's kernel probe). It writes nothing but those probes: cgroups inside the root, and a 1 MiB file in the
 * first local dir, all removed. Each check is a class of its own; this one runs them in order, each on what the
 * earlier ones found, and {@link DoctorReport} prints what they say.
 */
public final class Doctor {

  private final Target target;
  private final Duration sweepMinAge;

  public Doctor(Target target, Duration sweepMinAge) {
    this.target = target;
    this.sweepMinAge = sweepMinAge;
  }

  public List<Finding> run() {
    List<Finding> out = new ArrayList<>(RuntimeCheck.check());
    MemoryMount mount;
    try {
      mount = target.mount();
    } catch (IOException | IllegalArgumentException e) {
      out.add(Finding.fail(e.getMessage()));
      out.addAll(MountsCheck.otherMounts(null));
      yarnSite(out);
      return out;
    }
    out.add(Finding.ok("memory controller: cgroup " + mount.version().name().toLowerCase() + " at " + mount.path()));
    out.addAll(MountsCheck.otherMounts(mount));
    // Without a root or a driver nothing below can be looked at; the settings still can.
    Path root;
    try {
      root = target.root(mount);
    } catch (IOException | IllegalArgumentException e) {
      out.add(Finding.fail(e.getMessage()));
      yarnSite(out);
      return out;
    }
    CgroupDriver driver;
    try {
      driver = CgroupDrivers.forMount(mount);
    } catch (IOException e) {
      out.add(Finding.fail(e.getMessage()));
      yarnSite(out);
      return out;
    }
    CgroupFs fs = driver.fs();
    if (mount.version() == CgroupVersion.V2) {
      out.addAll(DelegationCheck.check(driver, mount, root));
    }
    Path probe = RootCheck.probe(driver, root, out);
    try {
      // On v2 a root that does not pass memory on yet (the NodeManager enables it at start) has a probe without
      // memory files: look in the root itself then.
      boolean probeHasMemory = probe != null && (mount.version() == CgroupVersion.V1
          || fs.exists(probe.resolve("memory.stat")));
      out.addAll(FeatureCheck.features(fs, mount, probeHasMemory ? probe : nearestExisting(fs, mount, root),
          probeHasMemory));
      if (probeHasMemory) {
        out.addAll(FeatureCheck.interfaces(driver, probe));
        nodeMemory(driver, probe, out);
      }
    } finally {
      if (probe != null) {
        try {
          driver.delete(probe, System.nanoTime() + Duration.ofSeconds(5).toNanos());
        } catch (IOException e) {
          out.add(Finding.fail("cannot remove the probe cgroup " + probe + ": " + e.getMessage()));
        }
      }
    }
    out.add(DyingCheck.check(driver));
    if (fs.isDirectory(root)) {
      CleanupPolicy policy = CleanupCheck.check(target, driver, root, out);
      LeftoverCheck.check(target, sweepMinAge, policy, out);
    }
    yarnSite(out);
    CpuCheck.check(target, driver, root, out);
    return out;
  }

  /** The node limit, swap and the kill order ({@link NodeMemoryCheck}), when the settings are valid. */
  private void nodeMemory(CgroupDriver driver, Path probe, List<Finding> out) {
    MemcgConfiguration settings;
    try {
      settings = target.settings();
    } catch (IllegalArgumentException e) {
      return; // reported with the settings
    }
    boolean lce = target.conf().getTrimmed(YarnConfiguration.NM_CONTAINER_EXECUTOR, "")
        .equals(LinuxContainerExecutor.class.getName());
    out.addAll(NodeMemoryCheck.check(settings, driver, probe, lce));
  }

  /** The yarn-site.xml settings ({@link YarnSiteCheck}), or why they are not checked. */
  private void yarnSite(List<Finding> out) {
    if (!target.yarnSite().isPresent()) {
      out.add(Finding.info("no yarn-site.xml given (--conf FILE) or on the classpath: plugin defaults used, the"
          + " NodeManager's settings not checked"));
      return;
    }
    out.add(Finding.info("settings from " + target.yarnSite().get()));
    out.addAll(YarnSiteCheck.check(target.conf()));
  }

  /** The root, or the nearest cgroup above it that exists, where the kernel's features can be looked up. */
  private static Path nearestExisting(CgroupFs fs, MemoryMount mount, Path root) {
    Path p = root;
    while (!p.equals(mount.path()) && !fs.isDirectory(p)) {
      p = p.getParent();
    }
    return p;
  }
}
