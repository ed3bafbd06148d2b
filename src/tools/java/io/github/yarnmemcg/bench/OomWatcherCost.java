package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What watching for OOM kills costs a node, against not watching: {@code ContainerMemcgs.start} latency of N
 * containers, and the watcher thread's CPU over a quiet interval while they are watched (v1 reads each container's
 * memory.oom_control every 250 ms; v2 waits for the kernel's signal). Each round uses a root of its own under the
 * memory controller's mount, removed afterwards. Usage (as root, test classpath as for the bench):
 * {@code java -cp ... io.github.yarnmemcg.bench.OomWatcherCost [containers=500] [seconds=10] [rounds=2]}.
 */
public final class OomWatcherCost {

  private OomWatcherCost() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    CgroupDriver driver = CgroupDrivers.forMount(mount);
    LifecycleSettings settings = LifecycleSettings.builder().drainEnabled(false).drainTimeout(Duration.ofSeconds(10))
        .build();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int round = 0; round < rounds; round++) {
      for (boolean watch : new boolean[] {false, true}) {
        Path root = mount.path().resolve("oom-watcher-cost-" + ProcessHandle.current().pid() + "-" + round + watch);
        ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, settings);
        List<String> ids = new ArrayList<>();
        try {
          memcgs.bootstrap();
          if (watch) {
            memcgs.watchOomKills(kill -> { });
          }
          long[] startNanos = new long[n];
          for (int i = 0; i < n; i++) {
            String id = String.format("container_1700000000000_0001_01_%06d", i + 1);
            long t0 = System.nanoTime();
            memcgs.start(id, 64L << 20, true);
            startNanos[i] = System.nanoTime() - t0;
            ids.add(id);
          }
          Arrays.sort(startNanos);
          long cpu0 = watcherCpu(threads);
          Thread.sleep(seconds * 1000L);
          long cpu = watcherCpu(threads) - cpu0;
          System.out.printf("[measure] %s, watcher %s: start() p50 %.3f ms, p99 %.3f ms; watcher thread CPU over %d s"
              + " with %d containers: %.1f ms (%.2f %% of one CPU)%n", mount.version(), watch ? "on" : "off",
              startNanos[n / 2] / 1e6, startNanos[n * 99 / 100] / 1e6, seconds, n, cpu / 1e6,
              cpu / 1e7 / seconds);
        } finally {
          List<CompletableFuture<CleanupResult>> cleanups = new ArrayList<>();
          for (String id : ids) {
            cleanups.add(memcgs.complete(id).cleanup());
          }
          for (CompletableFuture<CleanupResult> c : cleanups) {
            c.get(2, TimeUnit.MINUTES);
          }
          memcgs.close();
          driver.delete(root, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
      }
    }
  }

  /** CPU time of the threads named yarn-memcg-oom-watcher. */
  private static long watcherCpu(ThreadMXBean threads) {
    long sum = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().equals("yarn-memcg-oom-watcher")) {
        sum += threads.getThreadCpuTime(t.getThreadId());
      }
    }
    return sum;
  }
}
