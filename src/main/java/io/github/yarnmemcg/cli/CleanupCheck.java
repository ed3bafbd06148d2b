package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.ReparentProbe;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import io.github.yarnmemcg.nodemanager.LocalDirApplications;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Which way this node treats finished containers' page cache, measured as the NodeManager measures it at start (a
 * probe cgroup and a 1 MiB file in the first local dir, both removed), with the retire budget it gives and the
 * yarn-site setting that would keep waiting cgroups longer than the operator expects.
 */
final class CleanupCheck {
  private CleanupCheck() {}

  /** @return the node's policy, or null when it could not be decided (or the settings are invalid) */
  static CleanupPolicy check(Target target, CgroupDriver driver, Path root, List<Finding> out) {
    LifecycleSettings settings;
    try {
      settings = target.settings().lifecycle();
    } catch (IllegalArgumentException e) {
      return null; // reported with the settings
    }
    List<Path> localDirs = LocalDirApplications.localDirs(target.conf());
    Path scratch = localDirs.isEmpty() || !Files.isDirectory(localDirs.get(0))
        ? Paths.get(System.getProperty("java.io.tmpdir")) : localDirs.get(0);
    CleanupPolicy policy;
    try {
      CleanupPolicy.Decision d = CleanupPolicy.decide(settings,
          new ReparentProbe(driver, root, scratch, settings.deleteTimeout()));
      policy = d.policy();
      out.add(Finding.ok("cleanup: " + policy.description() + " (" + d.why() + ")"));
    } catch (IOException e) {
      out.add(Finding.warn("cannot measure whether this kernel moves a removed cgroup's page cache to its parent"
          + " (probe in " + scratch + "): " + e.getMessage() + "; the NodeManager then retires finished"
          + " containers' cgroups"));
      return null;
    }
    if (policy == CleanupPolicy.RETIRE) {
      out.add(Finding.info("retire budget: " + settings.retire().describe(RetireSettings.possibleCpus())));
    }
    // Hadoop's default is 0 (delete at once); it has no constant for it.
    long debugDelay = target.conf().getLong(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC, 0);
    if (policy == CleanupPolicy.AFTER_APPLICATION && debugDelay != 0) {
      out.add(Finding.warn(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC + "=" + debugDelay
          + " keeps ended applications' files, so their containers' cgroups wait "
          + (debugDelay < 0 ? "until" : "that long, or until")
          + " drain.wait.max-ms (" + settings.maxWait().toMillis() + " ms)"));
    }
    return policy;
  }
}
