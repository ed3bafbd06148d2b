package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemorySample;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.util.CpuTimeTracker;
import org.apache.hadoop.util.SysInfoLinux;
import org.apache.hadoop.yarn.util.ResourceCalculatorProcessTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container monitor's view of a container, read from its memory cgroup instead of walking /proc:
 * physical memory is anon + shmem and virtual adds swap, so page cache, which the kernel reclaims under the
 * cgroup's own limit, never gets a container killed. Enabled with
 * {@code yarn.nodemanager.container-monitor.process-tree.class}. Construction does no I/O (the monitor builds
 * one for pid 0, or pid 1 from Hadoop 3.5 on, to probe availability); the cgroup is found on the first update,
 * from /proc/&lt;pid&gt;/cgroup. A process that is not in a container cgroup reports {@link #UNAVAILABLE}, so no
 * shared cgroup is ever charged to a container.
 */
public class MemcgProcessTree extends ResourceCalculatorProcessTree {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgProcessTree.class);

  private final String pid;
  private CgroupDriver driver;
  private CgroupFs.Located cgroup;
  private boolean resolved;
  private MemoryStats stats;
  private CpuTimeTracker cpu;

  public MemcgProcessTree(String pid) {
    super(pid);
    this.pid = pid;
  }

  @Override
  public void updateProcessTree() {
    if (!resolved) {
      resolved = true;
      resolve();
    }
    if (cgroup == null) {
      return;
    }
    try {
      MemorySample sample = driver.sample(cgroup);
      stats = sample.stats();
      // The cgroup's own CPU time in milliseconds (v2), else its processes' clock ticks (v1).
      boolean ofCgroup = sample.cpuMicros() != MemoryStats.UNKNOWN;
      if (cpu == null) {
        cpu = new CpuTimeTracker(ofCgroup ? 1 : SysInfoLinux.JIFFY_LENGTH_IN_MILLIS);
      }
      long ticks = ofCgroup ? sample.cpuMicros() / 1000 : cpuJiffies(sample.pids());
      cpu.updateElapsedJiffies(BigInteger.valueOf(ticks), System.currentTimeMillis());
    } catch (IOException e) {
      LOG.debug("cannot read memcg {} of pid {}: {}", cgroup, pid, e.getMessage());
      stats = null;
      // Found again on the next pass: the cgroup may have been replaced (a relaunch under the same container id).
      resolved = false;
      cpu = null;
    }
  }

  private void resolve() {
    try {
      Optional<CgroupVersion> mode = CgroupVersion.parseMode(getConf() == null ? "auto"
          : getConf().getTrimmed(MemcgKeys.MODE.name(), MemcgKeys.MODE.defaultValue()));
      MemoryMount mount = MemoryMount.discover(mode);
      Optional<Path> dir = mount.cgroupOfProcess(procFile(Paths.get("/proc", pid, "cgroup")));
      if (dir.isPresent() && ContainerMemcgs.CONTAINER_ID.matcher(dir.get().getFileName().toString()).matches()) {
        driver = CgroupDrivers.forMount(mount);
        cgroup = driver.fs().locate(dir.get());
      } else {
        LOG.debug("pid {} is not in a container memory cgroup ({}); reporting unavailable", pid, dir);
        cgroup = null;
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot find the memory cgroup of pid {}: {}", pid, e.getMessage());
    }
  }

  /** utime + stime of every process in the cgroup, in clock ticks. */
  private static long cpuJiffies(List<Long> pids) {
    long total = 0;
    for (long p : pids) {
      try {
        total += utimePlusStime(procFile(Paths.get("/proc", Long.toString(p), "stat")));
      } catch (NoSuchFileException e) {
        // exited between listing and reading
      } catch (IOException | RuntimeException e) {
        LOG.debug("cannot read cpu time of pid {}: {}", p, e.getMessage());
      }
    }
    return total;
  }

  /** Fields 14 and 15 of /proc/&lt;pid&gt;/stat, counted after the command name, which may hold spaces. */
  static long utimePlusStime(String stat) {
    int at = stat.lastIndexOf(')') + 2;
    for (int field = 3; field < 14; field++) {
      at = stat.indexOf(' ', at) + 1;
    }
    int end = stat.indexOf(' ', at);
    int end2 = stat.indexOf(' ', end + 1);
    return Long.parseLong(stat.substring(at, end)) + Long.parseLong(stat.substring(end + 1, end2));
  }

  private static String procFile(Path file) throws IOException {
    // Not Files.readAllBytes, which would stat the file and probe a byte first.
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      return CgroupFs.readToEnd(ch, StandardCharsets.UTF_8);
    }
  }

  /** The cgroup this tree reads, once found. */
  public Optional<Path> cgroup() {
    return cgroup == null ? Optional.empty() : Optional.of(cgroup.path());
  }

  @Override
  public long getRssMemorySize(int olderThanAge) {
    // As Hadoop's own cgroup calculator: a cgroup has no per-process ages, so ages 0 and 1 are "now".
    if (stats == null) {
      return UNAVAILABLE;
    }
    return olderThanAge > 1 ? 0 : stats.containerMemory();
  }

  @Override
  public long getVirtualMemorySize(int olderThanAge) {
    if (stats == null) {
      return UNAVAILABLE;
    }
    return olderThanAge > 1 ? 0 : stats.containerMemory() + Math.max(0, stats.swap());
  }

  @Override
  public long getCumulativeCpuTime() {
    return cpu == null ? UNAVAILABLE : cpu.getCumulativeCpuTime();
  }

  @Override
  public float getCpuUsagePercent() {
    return cpu == null ? UNAVAILABLE : cpu.getCpuTrackerUsagePercent();
  }

  @Override
  public boolean checkPidPgrpidForMatch() {
    // The cgroup holds every process of the container, whatever its process group.
    return true;
  }

  @Override
  public String getProcessTreeDump() {
    if (cgroup == null || stats == null) {
      return "memcg of pid " + pid + ": unavailable\n";
    }
    StringBuilder dump = new StringBuilder();
    try {
      // Only when the monitor kills: the full read is affordable here, unlike on every monitor pass.
      MemoryStats now = driver.stats(cgroup.path());
      dump.append(String.format("memcg %s: anon=%d shmem=%d swap=%d file=%d limit=%d%n",
          cgroup, now.anon(), now.shmem(), now.swap(), now.file(), now.limit()));
      for (long p : driver.pids(cgroup.path())) {
        String cmd = procFile(Paths.get("/proc", Long.toString(p), "cmdline")).replace('\0', ' ').trim();
        dump.append("\t|- ").append(p).append(' ').append(cmd).append('\n');
      }
    } catch (IOException e) {
      dump.append("\t|- (").append(e.getMessage()).append(")\n");
    }
    return dump.toString();
  }
}
