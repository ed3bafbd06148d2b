package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.CGroupsHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandlerChain;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandlerModule;

/**
 * Hadoop 3.5.0's own memory handler, built by its public chain builder
 * {@link ResourceHandlerModule#getConfiguredResourceHandlerChain} with memory cgroups on, mounting off and a
 * unique hierarchy, then bootstrapped as the LinuxContainerExecutor does. preStart's ADD_PID_TO_CGROUP
 * operation names the cgroup.procs file that container-executor would write the container's pid to; the
 * benchmark's container process writes itself there instead. The NodeManager Context and Container are
 * stand-ins: the chain reads only the Context's resource plugin manager (null: no plugins), and the memory
 * handler only the Container's id, resource and token (null: GUARANTEED), as in the NodeManager.
 *
 * <p>The module caches the chain and its cgroup handlers in static fields, so only one hierarchy can exist per
 * JVM: {@link #open} refuses to run when the chain was already built for another one.
 */
final class StockContender implements Contender {

  private final ResourceHandlerChain chain;
  private final Path root;
  private final Map<String, Container> containers = new HashMap<>();

  private StockContender(ResourceHandlerChain chain, Path root) {
    this.chain = chain;
    this.root = root;
  }

  /** Builds and bootstraps the stock chain with its hierarchy at {@code root}, which must not exist yet. */
  static StockContender open(CgroupDriver driver, Path root) throws Exception {
    Path mount = driver.mount().path();
    if (Files.exists(root, LinkOption.NOFOLLOW_LINKS) || !root.startsWith(mount)) {
      throw new IllegalArgumentException("the stock hierarchy " + root + " must be new and under " + mount);
    }
    Configuration conf = new YarnConfiguration();
    conf.setBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENABLED, true);
    conf.setBoolean(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_MOUNT, false);
    conf.set(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_HIERARCHY, "/" + mount.relativize(root));
    if (driver.mount().version() == CgroupVersion.V1) {
      // A v1 mount path is the directory holding one directory per controller (…/memory).
      conf.set(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_MOUNT_PATH, mount.getParent().toString());
    } else {
      // YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_V2_ENABLED, a constant only Hadoop 3.5 has.
      conf.setBoolean("yarn.nodemanager.linux-container-executor.cgroups.v2.enabled", true);
      conf.set(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_MOUNT_PATH, mount.toString());
    }
    ResourceHandlerChain chain = ResourceHandlerModule.getConfiguredResourceHandlerChain(conf, standInContext());
    CGroupsHandler v1 = ResourceHandlerModule.getCGroupsHandler();
    String expected = root.resolve("x").toString();
    if (chain == null || ResourceHandlerModule.getMemoryResourceHandler() == null
        || (driver.mount().version() == CgroupVersion.V1 && !expected.equals(
            v1.getPathForCGroup(CGroupsHandler.CGroupController.MEMORY, "x")))) {
      throw new IllegalStateException("Hadoop's resource handler chain is a JVM-wide singleton and was already built"
          + " for another hierarchy (" + chain + "); run the benchmark in a fresh JVM");
    }
    chain.bootstrap(conf);
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalStateException("Hadoop's memory handler bootstrap did not create its hierarchy " + root);
    }
    return new StockContender(chain, root);
  }

  private static Context standInContext() {
    return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getResourcePluginManager" -> null;
          case "toString" -> "stand-in NodeManager Context";
          default -> throw new UnsupportedOperationException("the stand-in Context has no " + method.getName());
        });
  }

  private static Container standInContainer(ContainerId id, Resource resource) {
    return (Container) Proxy.newProxyInstance(Container.class.getClassLoader(), new Class<?>[] {Container.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getContainerId" -> id;
          case "getResource" -> resource;
          case "getContainerTokenIdentifier" -> null;
          case "toString" -> "stand-in Container " + id;
          case "hashCode" -> id.hashCode();
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException("the stand-in Container has no " + method.getName());
        });
  }

  @Override
  public String name() {
    return Bench.STOCK;
  }

  @Override
  public Path root() {
    return root;
  }

  @Override
  public void prepare(String containerId, long limitBytes) {
    long mb = limitBytes >> 20;
    containers.put(containerId, standInContainer(ContainerId.fromString(containerId), Resource.newInstance(mb, 1)));
  }

  @Override
  public Path setUp(String containerId, long limitBytes) throws Exception {
    List<PrivilegedOperation> ops = chain.preStart(containers.get(containerId));
    Path cgroup = root.resolve(containerId);
    String wanted = PrivilegedOperation.CGROUP_ARG_PREFIX + cgroup.resolve("cgroup.procs");
    if (ops == null || ops.size() != 1 || ops.get(0).getOperationType()
        != PrivilegedOperation.OperationType.ADD_PID_TO_CGROUP || !ops.get(0).getArguments().equals(List.of(wanted))) {
      throw new IllegalStateException("Hadoop's preStart asked for " + ops + ", not the single " + wanted);
    }
    return cgroup;
  }

  @Override
  public CompletableFuture<?> complete(String containerId) throws Exception {
    chain.postComplete(containers.remove(containerId).getContainerId());
    return CompletableFuture.completedFuture(null);
  }
}
