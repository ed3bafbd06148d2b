package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.security.ContainerTokenIdentifier;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandlerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hadoop's {@link ResourceHandler} for per-container memory cgroups: bootstrap validates the
 * {@code yarn.nodemanager.memcg.*} settings and prepares the root, preStart creates and limits the container's
 * cgroup and asks for its first process to be written to {@code cgroup.procs}, and postComplete hands the
 * cgroup to the background drain and delete. One instance per NodeManager; no static state.
 */
public class MemcgResourceHandler implements ResourceHandler {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgResourceHandler.class);
  private static final long MIB = 1L << 20;

  private ContainerMemcgs memcgs;
  private MemcgConfiguration settings;
  private boolean metricsRegistered;

  @Override
  public List<PrivilegedOperation> bootstrap(Configuration conf) throws ResourceHandlerException {
    if (memcgs != null) {
      return null;
    }
    try {
      MemcgConfiguration settings = MemcgConfiguration.from(conf);
      MemoryMount mount = settings.discoverMount();
      Path root = settings.resolveRoot(mount);
      ContainerMemcgs created = new ContainerMemcgs(CgroupDriver.forMount(mount), root, settings.lifecycle());
      try {
        created.bootstrap();
      } catch (IOException e) {
        created.close();
        throw new IOException(MemcgConfiguration.bootstrapFailure(root, mount, e), e);
      }
      memcgs = created;
      this.settings = settings;
      metricsRegistered = new MemcgMetrics(created).register(DefaultMetricsSystem.instance());
      LOG.info("yarn-memcg: container memory cgroups under {} (cgroup {}), drain {}", root,
          mount.version().name().toLowerCase(), settings.lifecycle().drainEnabled() ? "on" : "off");
      return null;
    } catch (IOException | IllegalArgumentException e) {
      throw new ResourceHandlerException("yarn-memcg cannot start: " + e.getMessage(), e);
    }
  }

  /** The lifecycle behind this handler, once bootstrapped. */
  public ContainerMemcgs memcgs() {
    if (memcgs == null) {
      throw new IllegalStateException("MemcgResourceHandler used before bootstrap");
    }
    return memcgs;
  }

  @Override
  public List<PrivilegedOperation> preStart(Container container) throws ResourceHandlerException {
    String id = container.getContainerId().toString();
    try {
      Path cgroup = memcgs().start(id, memoryBytes(container), isGuaranteed(container));
      return Collections.singletonList(new PrivilegedOperation(PrivilegedOperation.OperationType.ADD_PID_TO_CGROUP,
          PrivilegedOperation.CGROUP_ARG_PREFIX + memcgs().driver().procsFile(cgroup)));
    } catch (IOException | IllegalArgumentException e) {
      throw new ResourceHandlerException("cannot create the memory cgroup of " + id + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<PrivilegedOperation> reacquireContainer(ContainerId containerId) {
    // The cgroup and its limits survive a NodeManager restart; postComplete cleans it when the container ends.
    LOG.info("{}: reacquired, memcg {}", containerId, memcgs().cgroupOf(containerId.toString()));
    return null;
  }

  @Override
  public List<PrivilegedOperation> updateContainer(Container container) throws ResourceHandlerException {
    String id = container.getContainerId().toString();
    try {
      memcgs().update(id, memoryBytes(container), isGuaranteed(container));
      return null;
    } catch (IOException | IllegalArgumentException e) {
      throw new ResourceHandlerException(e.getMessage(), e);
    }
  }

  @Override
  public List<PrivilegedOperation> postComplete(ContainerId containerId) {
    memcgs().complete(containerId.toString());
    return null;
  }

  /**
   * Cleans, once, every container cgroup under the root that {@code recovered} does not claim (containers of a
   * previous NodeManager that will not be reacquired), then, every {@code sweep.interval-ms}, every one whose
   * container {@code live} no longer knows.
   */
  public List<String> sweepOrphans(Predicate<String> recovered, Predicate<String> live) throws IOException {
    List<String> swept = memcgs().sweep(recovered);
    if (!swept.isEmpty()) {
      LOG.info("yarn-memcg: {} cgroup(s) under {} belong to no recovered container, cleaning: {}", swept.size(),
          memcgs.root(), swept);
    }
    if (!settings.sweepInterval().isZero()) {
      memcgs.sweepEvery(settings.sweepInterval(), live);
    }
    return swept;
  }

  @Override
  public List<PrivilegedOperation> teardown() {
    if (metricsRegistered) {
      DefaultMetricsSystem.instance().unregisterSource(MemcgMetrics.NAME);
      metricsRegistered = false;
    }
    if (memcgs != null) {
      memcgs.close();
    }
    return null;
  }

  static long memoryBytes(Container container) {
    return container.getResource().getMemorySize() * MIB;
  }

  /** Hadoop's rule: a container without a token identifier is guaranteed. */
  static boolean isGuaranteed(Container container) {
    ContainerTokenIdentifier token = container.getContainerTokenIdentifier();
    return token == null || token.getExecutionType() != ExecutionType.OPPORTUNISTIC;
  }

  @Override
  public String toString() {
    return MemcgResourceHandler.class.getName();
  }
}
