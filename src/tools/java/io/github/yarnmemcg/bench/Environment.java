package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;
import org.apache.hadoop.util.VersionInfo;

/**
 * Where and when a run happened, and what else the machine was doing: other JVMs (other helpers' Maven builds
 * and real-kernel tests) and other yarn-memcg cgroup roots compete for the same 2 cores and the same kernel.
 */
record Environment(String date, String kernel, String cgroup, int cores, long memTotalKib, String java,
    String hadoop, String loadAverage, long otherJvms, long otherRoots) {

  static Environment capture(CgroupDriver driver, Path ownTop) throws IOException {
    return new Environment(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE) + " (UTC)",
        Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(),
        driver.mount().version().name().toLowerCase() + " memory controller at " + driver.mount().path(),
        Runtime.getRuntime().availableProcessors(), readMemTotalKib(),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        VersionInfo.getVersion(), currentLoadAverage(), countOtherJvms(), countOtherRoots(driver, ownTop));
  }

  static String currentLoadAverage() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
    return f[0] + " " + f[1] + " " + f[2];
  }

  private static long readMemTotalKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  private static long countOtherJvms() throws IOException {
    long self = ProcessHandle.current().pid();
    return ProcessHandle.allProcesses()
        .filter(p -> p.pid() != self)
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .count();
  }

  private static long countOtherRoots(CgroupDriver driver, Path ownTop) throws IOException {
    try (Stream<Path> dirs = Files.list(driver.mount().path())) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("yarn-memcg-") && !p.equals(ownTop)).count();
    }
  }

  String machine() {
    return String.format("%d cores, %.1f GiB RAM", cores, memTotalKib / 1024.0 / 1024.0);
  }
}
