package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandlerException;
import org.apache.hadoop.yarn.server.nodemanager.util.LCEResourcesHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-container memory cgroups under Hadoop's {@link LinuxContainerExecutor}, enabled with
 * {@code yarn.nodemanager.linux-container-executor.resources-handler.class}: preExecute creates and limits the
 * container's cgroup, getResourcesOption returns {@code cgroups=<cgroup>/cgroup.procs} so that the setuid
 * container-executor writes the container's pid there as root before it execs the launch script, and
 * postExecute (called by the executor after the container exits, and after a reacquired one ends) hands the
 * cgroup to the same background drain, delete and reaper as {@link MemcgContainerExecutor}. Hadoop gives this
 * interface neither the container's execution type nor the NodeManager context, so every container gets the
 * guaranteed soft limit and swappiness, and a kernel OOM kill is logged and counted but cannot be added to the
 * container's diagnostics.
 */
// LCEResourcesHandler is deprecated in every Hadoop line (3.3-3.5), and LinuxContainerExecutor still calls it.
@SuppressWarnings("deprecation")
public class MemcgLceResourcesHandler implements LCEResourcesHandler {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgLceResourcesHandler.class);
  private static final long MIB = 1L << 20;

  private final MemcgResourceHandler handler = new MemcgResourceHandler();
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
    try {
      handler.bootstrap(conf);
    } catch (ResourceHandlerException e) {
      throw new IOException(e.getMessage(), e);
    }
    // LinuxContainerExecutor gives a handler no NodeManager context, so which containers will be reacquired is
    // unknown here: sweep only the cgroups with no process left, which no running container can own.
    ContainerMemcgs memcgs = handler.memcgs();
    memcgs.sweep(id -> hasProcesses(memcgs, id));
  }

  private static boolean hasProcesses(ContainerMemcgs memcgs, String containerId) {
    try {
      return !memcgs.driver().pids(memcgs.cgroupOf(containerId)).isEmpty();
    } catch (IOException e) {
      return true; // unreadable: keep it, the CLI sweep or the next start can decide
    }
  }

  /** The lifecycle this handler drives. */
  public ContainerMemcgs memcgs() {
    return handler.memcgs();
  }

  @Override
  public void preExecute(ContainerId containerId, Resource containerResource) throws IOException {
    String id = containerId.toString();
    try {
      memcgs().start(id, containerResource.getMemorySize() * MIB, true);
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("cannot create the memory cgroup of " + id + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String getResourcesOption(ContainerId containerId) {
    return PrivilegedOperation.CGROUP_ARG_PREFIX
        + memcgs().driver().procsFile(memcgs().cgroupOf(containerId.toString()));
  }

  @Override
  public void postExecute(ContainerId containerId) {
    String id = containerId.toString();
    memcgs().complete(id).finalStats().filter(s -> s.oomKill() > 0)
        .ifPresent(s -> LOG.warn("{}: {}", id, OomKills.message(memcgs().cgroupOf(id), s)));
  }

  @Override
  public String toString() {
    return MemcgLceResourcesHandler.class.getName();
  }
}
