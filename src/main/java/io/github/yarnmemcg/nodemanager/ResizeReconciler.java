package io.github.yarnmemcg.nodemanager;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings each running container's cgroup to the size the NodeManager now gives it. Hadoop tells executors of no
 * resize (an increase through the AM's container update, a decrease through the RM's heartbeat, a promotion or a
 * demotion): the NodeManager only replaces the container's token. So every pass compares each running container's
 * resource and execution type with what was last applied to its cgroup, in memory, and applies a change through
 * {@link MemcgPlugin#updateContainer}; a pass without a change reads nothing from the kernel. A lowering the cgroup
 * refuses (the container holds more than the new size) is logged once and tried again on later passes.
 */
final class ResizeReconciler {
  private static final Logger LOG = LoggerFactory.getLogger(ResizeReconciler.class);

  private final MemcgPlugin plugin;
  private final Supplier<Iterable<Container>> containers;
  private final Map<String, Applied> applied = new ConcurrentHashMap<>();

  ResizeReconciler(MemcgPlugin plugin, Supplier<Iterable<Container>> containers) {
    this.plugin = plugin;
    this.containers = containers;
  }

  /** What the cgroup was created with. */
  void started(String containerId, Resource resource, boolean guaranteed) {
    applied.put(containerId, new Applied(resource.getMemorySize(), resource.getVirtualCores(), guaranteed, false));
  }

  /** A container reacquired after a restart: its cgroup's size is not known here, so the next pass applies YARN's. */
  void reacquired(String containerId) {
    applied.put(containerId, new Applied(-1, -1, true, false));
  }

  void forget(String containerId) {
    applied.remove(containerId);
  }

  /** One pass. @return how many containers' cgroups were changed */
  int reconcile() {
    int changed = 0;
    for (Container c : containers.get()) {
      if (c.getContainerState() != ContainerState.RUNNING) {
        continue;
      }
      String id = c.getContainerId().toString();
      Applied last = applied.get(id);
      if (last == null) {
        continue; // not started through this plugin (yet)
      }
      Resource r = c.getResource();
      boolean guaranteed = MemcgPlugin.isGuaranteed(c.getContainerTokenIdentifier());
      Applied now = new Applied(r.getMemorySize(), r.getVirtualCores(), guaranteed, false);
      if (now.sameSize(last)) {
        continue;
      }
      try {
        plugin.updateContainer(id, r, guaranteed);
        applied.put(id, now);
        changed++;
        LOG.info("{}: resized by YARN to {} MiB, {} vcores, {}: applied to its cgroup", id, r.getMemorySize(),
            r.getVirtualCores(), guaranteed ? "guaranteed" : "opportunistic");
      } catch (IOException | RuntimeException e) {
        if (!last.refused) {
          LOG.warn("{}: YARN resized it to {} MiB, {} vcores, but its cgroup keeps its size for now (tried again"
              + " on every pass): {}", id, r.getMemorySize(), r.getVirtualCores(), e.getMessage());
        }
        applied.put(id, new Applied(last.memoryMb, last.vcores, last.guaranteed, true));
      }
    }
    return changed;
  }

  /** The size last applied to a cgroup; {@code refused} when a later size could not be applied yet. */
  private static final class Applied {
    final long memoryMb;
    final int vcores;
    final boolean guaranteed;
    final boolean refused;

    Applied(long memoryMb, int vcores, boolean guaranteed, boolean refused) {
      this.memoryMb = memoryMb;
      this.vcores = vcores;
      this.guaranteed = guaranteed;
      this.refused = refused;
    }

    boolean sameSize(Applied o) {
      return memoryMb == o.memoryMb && vcores == o.vcores && guaranteed == o.guaranteed;
    }

  }
}
