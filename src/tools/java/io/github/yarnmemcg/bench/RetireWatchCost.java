package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.DrainWhen;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What retired cgroups cost a node: N finished containers' cgroups retired by the real lifecycle, each holding 64 KiB
 * of page cache of its own (a sparse file's holes, read through the page cache by one long-lived shell that moves
 * itself into each cgroup in turn, so that no process is forked per cgroup), then the CPU of the retirement pass that
 * reads every retired cgroup's charge (the calling thread's CPU time, several passes) and the kernel memory they hold
 * ({@code Percpu} + {@code Slab} of {@code /proc/meminfo}, before the cgroups were created and once they are retired).
 * Each round uses a root of its own under the memory controller's mount, and removes it with the files. Usage (as
 * root, test classpath as for the bench):
 * {@code java -cp ... io.github.yarnmemcg.bench.RetireWatchCost [cgroups=500,5000] [passes=10]}.
 */
public final class RetireWatchCost {

  private static final int KIB_EACH = 64;

  private RetireWatchCost() {}

  public static void main(String[] args) throws Exception {
    int[] counts = Arrays.stream((args.length > 0 ? args[0] : "500,5000").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    int passes = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    CgroupDriver driver = CgroupDrivers.forMount(mount);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int cpus = RetireSettings.possibleCpus();
    for (int n : counts) {
      // The pass is driven by hand: the periodic one is set far apart so that it does not run meanwhile.
      LifecycleSettings settings = LifecycleSettings.builder().drainTimeout(Duration.ofSeconds(10)).build()
          .withDrainWhen(DrainWhen.OVER_BUDGET, Duration.ofHours(1), 512)
          .withRetire(RetireSettings.of(n, 1L << 40, 1, Duration.ofDays(1)));
      Path root = mount.path().resolve("retire-watch-cost-" + ProcessHandle.current().pid() + "-" + n);
      Path files = Files.createTempDirectory("retire-watch-cost-");
      long kernelBefore = kernelMemory();
      ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, settings);
      Process shell = new ProcessBuilder("bash", "-c", "while read -r cg f; do echo $BASHPID > \"$cg\";"
          + " read -r -N " + (KIB_EACH << 10) + " x < \"$f\"; echo ok; done").redirectErrorStream(true).start();
      try {
        memcgs.bootstrap();
        Writer toShell = new java.io.OutputStreamWriter(shell.getOutputStream(), StandardCharsets.US_ASCII);
        BufferedReader fromShell = new BufferedReader(new InputStreamReader(shell.getInputStream(),
            StandardCharsets.US_ASCII));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String id = String.format("container_1700000000000_0001_01_%06d", i + 1);
          Path cgroup = memcgs.start(id, 64L << 20, true);
          Path file = files.resolve("f" + i);
          try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(KIB_EACH << 10);
          }
          toShell.write(driver.procsFile(cgroup) + " " + file + "\n");
          toShell.flush();
          if (!"ok".equals(fromShell.readLine())) {
            throw new IOException("the reading shell failed in " + cgroup);
          }
          ids.add(id);
        }
        // The shell leaves for the root's parent, so the last cgroup is empty too.
        toShell.write(driver.procsFile(root.getParent()) + " /dev/null\n");
        toShell.flush();
        fromShell.readLine();
        for (String id : ids) {
          memcgs.complete(id);
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (memcgs.counters().snapshot().retired() < n && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        long kernelRetired = kernelMemory();
        long[] cpu = new long[passes];
        long[] wall = new long[passes];
        for (int p = 0; p < passes; p++) {
          long c0 = threads.getCurrentThreadCpuTime();
          long w0 = System.nanoTime();
          memcgs.lookAtRetired();
          cpu[p] = threads.getCurrentThreadCpuTime() - c0;
          wall[p] = System.nanoTime() - w0;
        }
        Arrays.sort(cpu);
        Arrays.sort(wall);
        long retired = memcgs.counters().snapshot().retired();
        double perPass = cpu[passes / 2] / 1e6;
        System.out.printf("[measure] %s, %d possible CPUs: %d retired cgroups holding %.1f MiB; one pass reading"
            + " every charge: CPU p50 %.1f ms (min %.1f, max %.1f), wall p50 %.1f ms, %.1f us per cgroup; per minute"
            + " at the default 30 s interval: %.1f ms CPU (%.3f %% of one CPU); kernel memory (Percpu + Slab) %.1f"
            + " KiB per retired cgroup (estimate used by the budget: %d KiB)%n", mount.version(), cpus, retired,
            memcgs.counters().snapshot().retiredBytes() / 1048576.0, perPass, cpu[0] / 1e6, cpu[passes - 1] / 1e6,
            wall[passes / 2] / 1e6, cpu[passes / 2] / 1e3 / Math.max(1, retired), perPass * 2,
            perPass * 2 / 600.0, (kernelRetired - kernelBefore) / 1024.0 / Math.max(1, retired),
            RetireSettings.bytesPerMemcg(cpus) / 1024);
      } finally {
        shell.destroyForcibly().waitFor();
        try (var all = Files.list(files)) {
          for (Path p : (Iterable<Path>) all::iterator) {
            Files.delete(p);
          }
        }
        Files.delete(files);
        // Each is released after two readings below the threshold, the second after the kernel's periodic flush of
        // memcg statistics (a small change may show in memory.stat only then).
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!memcgs.containerIds().isEmpty() && System.nanoTime() < deadline) {
          memcgs.lookAtRetired();
          Thread.sleep(1_000);
        }
        memcgs.close();
        driver.delete(root, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      }
    }
  }

  /** Percpu + Slab of /proc/meminfo, in bytes. */
  private static long kernelMemory() throws IOException {
    long sum = 0;
    for (String line : Files.readAllLines(Paths.get("/proc/meminfo"))) {
      if (line.startsWith("Percpu:") || line.startsWith("Slab:")) {
        sum += Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
      }
    }
    return sum;
  }
}
