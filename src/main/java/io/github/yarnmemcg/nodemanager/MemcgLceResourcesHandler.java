package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.util.LCEResourcesHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-container memory cgroups under Hadoop's {@link LinuxContainerExecutor}, enabled with
 * {@code yarn.nodemanager.linux-container-executor.resources-handler.class}: preExecute creates and limits the
 * container's cgroup, getResourcesOption returns {@code cgroups=<cgroup>/cgroup.procs} so that the setuid
 * container-executor writes the container's pid there as root before it execs the launch script, and
 * postExecute (called by the executor after the container exits, and after a reacquired one ends) hands the
 * cgroup to the same background drain, delete and reaper as {@link MemcgContainerExecutor}; a leftover process of
 * the application's user, which a NodeManager that is not root may not signal, is killed through the executor's
 * signal operation ({@link ContainerExecutorKill}). Hadoop gives this
 * interface neither the container's execution type nor the NodeManager context, so every container gets the
 * guaranteed soft limit and swappiness, and a kernel OOM kill is logged and counted as it happens but cannot be added
 * to the container's diagnostics.
 */
// LCEResourcesHandler is deprecated in every Hadoop line (3.3-3.5), and LinuxContainerExecutor still calls it.
@SuppressWarnings("deprecation")
public class MemcgLceResourcesHandler implements LCEResourcesHandler {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgLceResourcesHandler.class);

  private MemcgPlugin plugin;
  private Configuration conf;

  /** Called twice by LinuxContainerExecutor.setConf (once through ReflectionUtils); only keeps the conf. */
  @Override
  public void setConf(Configuration conf) {
    this.conf = conf;
  }

  @Override
  public Configuration getConf() {
    return conf;
  }

  /** Validates the settings and prepares the root; a failure stops the NodeManager with the reason. */
  @Override
  public void init(LinuxContainerExecutor lce) throws IOException {
    if (plugin == null) {
      List<String> escaping = ContainerRuntimes.escaping(conf);
      if (!escaping.isEmpty()) {
        throw new IOException("yarn-memcg cannot start: " + ContainerRuntimes.refusal(conf, escaping));
      }
      refuseHadoopsCgroupHandlersOnV2();
      plugin = MemcgPlugin.start(conf);
      // The containers run as the application's user: a NodeManager that is not root kills their leftover
      // processes through the executor's own signal, as Hadoop stops containers.
      plugin.memcgs().driver().killOtherUsersThrough(new ContainerExecutorKill(conf));
      // Logged and counted as they happen; LinuxContainerExecutor gives a handler no way to the diagnostics.
      plugin.watchOomKills(kill -> { });
    }
    // LinuxContainerExecutor gives a handler no NodeManager context, so which containers will be reacquired is
    // unknown here: only cgroups with no process left, which no running container can own, are orphans. Later
    // an empty cgroup may be a container's about to be joined by container-executor, so there is no periodic sweep.
    plugin.sweepAtStart(OrphanRule.emptyAndOlderThan(Duration.ZERO));
  }

  /**
   * On cgroup v2 a process has one cgroup: with one of Hadoop's cgroup handlers on, LinuxContainerExecutor would also
   * write each container's pid into a cgroup of Hadoop's, and the last write wins. Checked before anything is created
   * or probed.
   */
  private void refuseHadoopsCgroupHandlersOnV2() throws IOException {
    List<String> hadoops = MemcgConfiguration.hadoopCgroupHandlerKeys(conf);
    if (hadoops.isEmpty()) {
      return;
    }
    CgroupVersion version;
    try {
      version = MemcgConfiguration.from(conf).discoverMount().version();
    } catch (IllegalArgumentException e) {
      return; // a bad setting, which MemcgPlugin.start reports naming its key
    }
    if (version == CgroupVersion.V2) {
      throw new IOException("yarn-memcg cannot start: " + String.join(", ", hadoops) + " is true, so"
          + " LinuxContainerExecutor would also write each container's pid into a cgroup of Hadoop's; on cgroup v2 a"
          + " process has one cgroup and the last write wins, taking the container out of its memory cgroup. Set it"
          + " to false (" + MemcgKeys.CPU_ENABLED.name() + "=true gives CPU weights and caps in the"
          + " container's own cgroup instead)");
    }
  }

  /** The lifecycle this handler drives. */
  public ContainerMemcgs memcgs() {
    return plugin().memcgs();
  }

  private MemcgPlugin plugin() {
    if (plugin == null) {
      throw new IllegalStateException("MemcgLceResourcesHandler used before init");
    }
    return plugin;
  }

  @Override
  public void preExecute(ContainerId containerId, Resource containerResource) throws IOException {
    plugin().startContainer(containerId.toString(), containerResource, true);
  }

  @Override
  public String getResourcesOption(ContainerId containerId) {
    return PrivilegedOperation.CGROUP_ARG_PREFIX
        + memcgs().driver().procsFile(memcgs().cgroupOf(containerId.toString()));
  }

  @Override
  public void postExecute(ContainerId containerId) {
    String id = containerId.toString();
    memcgs().complete(id).oomKill().ifPresent(message -> LOG.warn("{}: {}", id, message));
  }

  @Override
  public String toString() {
    return MemcgLceResourcesHandler.class.getName();
  }
}
