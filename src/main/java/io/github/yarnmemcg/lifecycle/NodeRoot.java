package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.MemoryStats;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root every container cgroup sits under, made ready before the first container: created with its missing
 * parents (on v2 walking the parents' {@code cgroup.subtree_control}, which the plugin changes only in directories it
 * created itself), probed for the kernel's interfaces (and the {@link PeakSampler} where the kernel keeps no peak),
 * checked for delegation, and given the node limit. Kept apart from the container lifecycle because this is the one
 * place the plugin writes above a container's own cgroup.
 */
final class NodeRoot {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRoot.class);

  private final CgroupDriver driver;
  private final Path root;
  private final LifecycleSettings settings;
  private final StepScheduler scheduler;
  private volatile KernelInterfaces interfaces;
  /** Present where the kernel keeps no peak: see {@link PeakSampler}. */
  private volatile PeakSampler peaks;

  NodeRoot(CgroupDriver driver, Path root, LifecycleSettings settings, StepScheduler scheduler) {
    this.driver = driver;
    this.root = root;
    this.settings = settings;
    this.scheduler = scheduler;
  }

  /** Creates the root and its missing parents, reads its kernel interfaces, and checks it is delegated. */
  void prepare() throws IOException {
    Path mount = driver.mount().path();
    Path rel = mount.relativize(root);
    Path dir = mount;
    boolean parentOurs = false;
    for (Path part : rel) {
      Path child = dir.resolve(part);
      if (driver.mount().version() == CgroupVersion.V2 && !driver.fs().isDirectory(child)) {
        if (parentOurs) {
          driver.enableMemoryForChildren(dir);
        } else if (!driver.memoryEnabledForChildren(dir)) {
          // Not ours to change: the plugin writes only inside its root.
          throw new IOException("cgroup " + dir + " does not delegate the memory controller to its children"
              + " (its cgroup.subtree_control lacks memory); enable it there before the NodeManager starts: as root,"
              + " echo +memory > " + dir.resolve("cgroup.subtree_control") + " (for a systemd service with"
              + " Delegate=yes: under systemd 254+ an ExecStartPre doing so with DelegateSubgroup=, as in "
              + Delegation.SYSTEMD_DROP_IN + "; under 249-253 bin/yarn-memcg-leaf in ExecStart=, as in "
              + Delegation.SYSTEMD_DROP_IN_249 + ")");
        }
      }
      parentOurs = driver.create(child);
      dir = child;
    }
    driver.enableMemoryForChildren(root);
    interfaces = WritebackNudger.emptyChild(driver, root, "yarn-memcg-probe-", settings.deleteTimeout());
    if (interfaces.peak() == KernelInterfaces.Peak.SAMPLED && peaks == null) {
      PeakSampler sampler = new PeakSampler(driver);
      scheduler.every(PeakSampler.PERIOD, sampler::sampleAll);
      peaks = sampler;
    }
    new Delegation(driver).checkCanMoveInto(root);
  }

  /**
   * Creates a container's cgroup, making the root again first if it is gone.
   *
   * @return whether this call created the cgroup
   */
  boolean create(String containerId, Path cgroup) throws IOException {
    try {
      return driver.create(cgroup);
    } catch (IOException e) {
      if (driver.fs().isDirectory(root)) {
        throw e;
      }
      // The root is the plugin's own and was empty (rmdir refuses otherwise): someone removed it while the
      // NodeManager ran. Making it again is what the operator expects; failing every container would not help.
      synchronized (this) {
        if (!driver.fs().isDirectory(root)) {
          LOG.warn("{}: the root {} was removed underneath yarn-memcg; creating it again", containerId, root);
          prepare();
        }
      }
      return driver.create(cgroup);
    }
  }

  /** Sets the node limit unless the containers' own memory is above it already; returns what holds now. */
  String limit(long bytes) throws IOException {
    if (bytes == Long.MAX_VALUE) {
      driver.setHardLimit(root, Long.MAX_VALUE);
      return "no node limit";
    }
    long held = driver.unreclaimable(root);
    if (held > bytes) {
      long limit = driver.stats(root).limit();
      return "node limit " + bytes / ONE_MB + " MiB NOT set: the containers under " + root + " hold " + held / ONE_MB
          + " MiB of anonymous memory and shmem, which the kernel could only free by killing them; the root keeps "
          + (limit == MemoryStats.UNKNOWN || limit >= Long.MAX_VALUE / 2 ? "no limit" : limit / ONE_MB + " MiB");
    }
    driver.setHardLimit(root, bytes);
    return "node limit " + bytes / ONE_MB + " MiB on all containers together";
  }

  /** As read in the probe cgroup by {@link #prepare}. */
  KernelInterfaces interfaces() {
    KernelInterfaces read = interfaces;
    if (read == null) {
      throw new IllegalStateException("bootstrap() has not run");
    }
    return read;
  }

  /** A started container's peak is sampled from now on where the kernel keeps none; failing loses only the figure. */
  void samplePeak(String containerId, Path cgroup) {
    PeakSampler sampler = peaks;
    if (sampler != null) {
      try {
        sampler.track(containerId, cgroup);
      } catch (IOException e) {
        LOG.debug("{}: cannot sample its peak: {}", containerId, e.toString());
      }
    }
  }

  /** The peak sampler, or null where the kernel keeps the peak itself (or before {@link #prepare}). */
  PeakSampler peaks() {
    return peaks;
  }
}
