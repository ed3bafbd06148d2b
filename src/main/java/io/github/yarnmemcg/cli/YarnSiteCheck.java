package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.nodemanager.ContainerRuntimes;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgContainerExecutor;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import io.github.yarnmemcg.nodemanager.MemcgLceResourcesHandler;
import io.github.yarnmemcg.nodemanager.MemcgProcessTree;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;

/**
 * Whether a yarn-site.xml enables the plugin consistently: the executor, the container monitor's process
 * tree, the YARN-11967 monitor setting, Hadoop's own memory handler left off, and every
 * {@code yarn.nodemanager.memcg.*} value valid by the NodeManager's own validation.
 */
public final class YarnSiteCheck {
  private YarnSiteCheck() {}

  public static List<Finding> check(Configuration conf) {
    List<Finding> out = new ArrayList<>();
    String executor = conf.getTrimmed(YarnConfiguration.NM_CONTAINER_EXECUTOR,
        DefaultContainerExecutor.class.getName());
    if (isMemcgExecutor(conf, executor)) {
      out.add(Finding.ok(YarnConfiguration.NM_CONTAINER_EXECUTOR + " = " + executor));
    } else if (executor.equals(LinuxContainerExecutor.class.getName())) {
      String handler = conf.getTrimmed(YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER, "");
      if (handler.equals(MemcgLceResourcesHandler.class.getName())) {
        out.add(Finding.ok(YarnConfiguration.NM_CONTAINER_EXECUTOR + " = LinuxContainerExecutor with "
            + YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER + " = " + handler));
        List<String> escaping = ContainerRuntimes.escaping(conf);
        if (!escaping.isEmpty()) {
          out.add(Finding.fail("the NodeManager will not start: " + ContainerRuntimes.refusal(conf, escaping)));
        }
      } else {
        out.add(Finding.fail(YarnConfiguration.NM_CONTAINER_EXECUTOR + " is LinuxContainerExecutor but "
            + YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER + " is "
            + (handler.isEmpty() ? "not set" : handler) + ", so yarn-memcg is not used: set it to "
            + MemcgLceResourcesHandler.class.getName() + " (README, With LinuxContainerExecutor)"));
      }
    } else {
      out.add(Finding.fail("the plugin is not enabled: " + YarnConfiguration.NM_CONTAINER_EXECUTOR + " is " + executor
          + ", expected " + MemcgContainerExecutor.class.getName() + ", or LinuxContainerExecutor with "
          + YarnConfiguration.NM_LINUX_CONTAINER_RESOURCES_HANDLER + " = " + MemcgLceResourcesHandler.class.getName()));
    }

    String tree = conf.getTrimmed(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, "");
    if (tree.equals(MemcgProcessTree.class.getName())) {
      out.add(Finding.ok(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE + " = " + tree));
    } else {
      out.add(Finding.warn(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE + " is "
          + (tree.isEmpty() ? "not set (procfs)" : tree) + ": the container monitor then counts mapped page cache as"
          + " container memory and can kill a container for it; set " + MemcgProcessTree.class.getName()));
    }

    boolean enforced = conf.getBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED,
        YarnConfiguration.DEFAULT_NM_MEMORY_RESOURCE_ENFORCED);
    boolean pmem = conf.getBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED,
        YarnConfiguration.DEFAULT_NM_PMEM_CHECK_ENABLED);
    if (enforced) {
      out.add(Finding.warn(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED + " is true: the container monitor then"
          + " skips its memory check (YARN-11967, Hadoop 3.3.6 to 3.5.0 alike); the kernel still enforces each"
          + " container's limit."
          + " Set it to false to have the monitor check too"));
    } else if (!pmem) {
      out.add(Finding.info(YarnConfiguration.NM_PMEM_CHECK_ENABLED + " is false: only the kernel enforces the"
          + " limit (the container monitor does not check memory)"));
    } else {
      out.add(Finding.ok(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED + " = false and "
          + YarnConfiguration.NM_PMEM_CHECK_ENABLED + " = true: the container monitor checks memory (YARN-11967)"));
    }
    if (conf.getBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, YarnConfiguration.DEFAULT_NM_VMEM_CHECK_ENABLED)) {
      out.add(Finding.warn(YarnConfiguration.NM_VMEM_CHECK_ENABLED + " is true: virtual memory is not a useful"
          + " limit for JVMs and the cgroup limit is the real one; set it to false"));
    }
    if (conf.getBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENABLED,
        YarnConfiguration.DEFAULT_NM_MEMORY_RESOURCE_ENABLED)) {
      out.add(Finding.warn(YarnConfiguration.NM_MEMORY_RESOURCE_ENABLED + " is true: leave Hadoop's own memory"
          + " handler off, yarn-memcg manages container memory"));
    }

    if (conf.getBoolean(YarnConfiguration.NM_ELASTIC_MEMORY_CONTROL_ENABLED,
        YarnConfiguration.DEFAULT_NM_ELASTIC_MEMORY_CONTROL_ENABLED)) {
      out.add(Finding.fail(YarnConfiguration.NM_ELASTIC_MEMORY_CONTROL_ENABLED + " is true: the NodeManager's"
          + " container monitor then needs Hadoop's own memory handler and refuses to start without it. Set it to"
          + " false and " + MemcgKeys.ELASTIC_ENABLED.name() + " to true for yarn-memcg's elastic mode"));
    }
    try {
      MemcgConfiguration settings = MemcgConfiguration.from(conf);
      out.add(Finding.ok(MemcgKeys.PREFIX + "* valid: root " + settings.root() + ", mode "
          + settings.mode().map(v -> v.name().toLowerCase()).orElse("auto")));
      if (settings.elastic() && pmem && !enforced) {
        out.add(Finding.warn(MemcgKeys.ELASTIC_ENABLED.name() + " is true but the container monitor checks"
            + " memory (" + YarnConfiguration.NM_PMEM_CHECK_ENABLED + "=true, "
            + YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED + "=false): it kills a container over its request"
            + " within seconds, so no container can use the room elastic mode gives; set "
            + YarnConfiguration.NM_PMEM_CHECK_ENABLED + " to false"));
      }
      if (!settings.lifecycle().drainEnabled()) {
        out.add(Finding.warn(MemcgKeys.DRAIN_ENABLED.name() + " is false: every finished container that"
            + " read files will leave a dying memcg"));
      }
    } catch (IllegalArgumentException e) {
      out.add(Finding.fail(e.getMessage()));
    }
    return out;
  }

  /** The plugin's executor or a subclass of it, when the class can be loaded here. */
  private static boolean isMemcgExecutor(Configuration conf, String className) {
    if (className.equals(MemcgContainerExecutor.class.getName())) {
      return true;
    }
    try {
      return MemcgContainerExecutor.class.isAssignableFrom(conf.getClassByName(className));
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
