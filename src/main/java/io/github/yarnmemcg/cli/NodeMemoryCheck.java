package io.github.yarnmemcg.cli;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The doctor's checks of the node as a whole: the node limit against the node's memory, swap and whether the kernel
 * limits it per cgroup, and the order in which the kernel's OOM killer takes containers.
 */
final class NodeMemoryCheck {
  static final Path MEMINFO = Paths.get("/proc/meminfo");

  private NodeMemoryCheck() {}

  /** A {@code /proc/meminfo} figure in bytes, or -1 when the line is missing. */
  static long meminfo(String meminfo, String field) {
    for (String line : meminfo.split("\n")) {
      if (line.startsWith(field + ":")) {
        String[] f = line.substring(field.length() + 1).trim().split("\\s+");
        return Long.parseLong(f[0]) * 1024;
      }
    }
    return -1;
  }

  /** The node limit of the settings against the node's memory. */
  static Finding nodeLimit(MemcgConfiguration settings, long memTotal) {
    long limit = settings.nodeLimitBytes();
    String key = MemcgKeys.NODE_LIMIT_MB.name();
    if (limit == Long.MAX_VALUE) {
      return Finding.info("node limit: off (" + key + "): containers together, and the page cache the finished"
          + " ones keep, are limited only by the node's memory");
    }
    if (limit >= memTotal) {
      return Finding.warn("node limit " + limit / ONE_MB + " MiB (" + key + ") is not below the node's memory, "
          + memTotal / ONE_MB + " MiB: it leaves nothing for the node's daemons and the kernel; lower "
          + "yarn.nodemanager.resource.memory-mb or " + key);
    }
    return Finding.ok("node limit " + limit / ONE_MB + " MiB on all containers together, of the node's "
        + memTotal / ONE_MB + " MiB: " + (memTotal - limit) / ONE_MB + " MiB stay for the daemons and the kernel");
  }

  /** Swap on the node, and whether the containers' swap limit can hold (read in a container-level cgroup). */
  static Finding swap(MemcgConfiguration settings, CgroupDriver driver, Path probe, long swapTotal) {
    String key = MemcgKeys.SWAP_PERCENT.name();
    int percent = settings.lifecycle().swapPercent();
    if (swapTotal <= 0) {
      return Finding.ok("swap: none on this node, so no container can swap");
    }
    String allowance = percent < 0 ? "as much as the node has (" + key + "=-1)"
        : percent == 0 ? "none beyond its memory (" + key + "=0)" : percent + "% of its memory (" + key + ")";
    if (!driver.swapLimited(probe)) {
      return percent < 0 ? Finding.info("swap: " + swapTotal / ONE_MB + " MiB on the node; containers may use "
          + allowance + ", and the kernel does not account swap per cgroup here anyway")
          : Finding.warn("swap: " + swapTotal / ONE_MB + " MiB on the node, but the kernel does not account swap per"
              + " cgroup here (booted with swapaccount=0 or cgroup.memory=noswap), so " + key + " cannot hold: a"
              + " container past its memory can swap beyond its YARN allocation. Turn swap off, or boot without"
              + " those words");
    }
    return Finding.ok("swap: " + swapTotal / ONE_MB + " MiB on the node; each container may use " + allowance);
  }

  /** The kill order the settings give, and where the executor cannot give it. */
  static Finding oomOrder(MemcgConfiguration settings, boolean linuxContainerExecutor) {
    String order = settings.oomOrder().toString();
    if (linuxContainerExecutor) {
      return Finding.info("OOM order: under LinuxContainerExecutor the setuid container-executor starts the"
          + " containers, and they keep the NodeManager's oom_score_adj (" + order + " apply with"
          + " MemcgContainerExecutor)");
    }
    return Finding.ok("OOM order: containers start with " + order + " (never below the NodeManager's own), so the"
        + " kernel's node-wide OOM killer takes opportunistic containers first, then guaranteed ones, before daemons");
  }

  /** All three, reading the node's memory from procfs. */
  static List<Finding> check(MemcgConfiguration settings, CgroupDriver driver, Path probe,
      boolean linuxContainerExecutor) {
    List<Finding> out = new ArrayList<>();
    String meminfo;
    try {
      meminfo = new String(Files.readAllBytes(MEMINFO), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      out.add(Finding.warn("cannot read " + MEMINFO + ": " + e.getMessage()));
      return out;
    }
    out.add(nodeLimit(settings, meminfo(meminfo, "MemTotal")));
    out.add(swap(settings, driver, probe, meminfo(meminfo, "SwapTotal")));
    out.add(oomOrder(settings, linuxContainerExecutor));
    return out;
  }
}
