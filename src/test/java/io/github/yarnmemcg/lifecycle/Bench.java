package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.StandInDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One root of container cgroups for the lifecycle's unit tests: the {@link StandInDriver} under a temporary
 * directory, the {@link ManualScheduler}'s time, an application signal the test sets, and the {@link Cleanups} of a
 * node whose settings the test chooses. Nothing here needs root or a kernel.
 */
final class Bench {
  static final long KIB = 1 << 10;
  /** The CPUs the retire budget is computed for: few, so that the count in the settings decides it. */
  static final int CPUS = 2;

  final ManualScheduler time = new ManualScheduler();
  final StandInDriver driver;
  final Path root;
  final Set<String> ended = ConcurrentHashMap.newKeySet();
  final LifecycleCounters counters = new LifecycleCounters();
  final LifecycleSettings settings;
  final Cleanups cleanups;

  Bench(Path tmp, LifecycleSettings settings) throws IOException {
    this.driver = new StandInDriver(tmp, CgroupVersion.V2, time::nanoTime);
    this.root = tmp.toAbsolutePath().resolve("hadoop-yarn-memcg");
    driver.cgroup(root);
    this.settings = settings;
    this.cleanups = new Cleanups(driver, root, settings, counters, ended::contains, CPUS, time);
  }

  /**
   * Settings of a node whose drain runs {@code when}: a 10 s drain budget, a reaper that gives up after 10 s, a
   * 1-minute age cap and 2 waiting cgroups at most, 2 retired cgroups at most, released below 1 MiB.
   */
  static LifecycleSettings settings(DrainWhen when) {
    return LifecycleSettings.builder().drainTimeout(Duration.ofSeconds(10)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofSeconds(10)).build()
        .withDrainWhen(when, Duration.ofMinutes(1), 2)
        .withRetire(RetireSettings.of(2, 64 * ONE_MB, ONE_MB, Duration.ofSeconds(30)));
  }

  static LifecycleSettings drainOff() {
    return LifecycleSettings.builder().drainEnabled(false).drainTimeout(Duration.ofSeconds(10)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofSeconds(10)).build();
  }

  /** The i-th container of application 1. */
  static String id(int i) {
    return String.format("container_1700000000000_0001_01_%06d", i);
  }

  static final String APP = "application_1700000000000_0001";

  Path cgroupOf(int i) {
    return root.resolve(id(i));
  }

  /** The cgroup of container i, there already, for the test to fill. */
  StandInDriver.Cgroup container(int i) throws IOException {
    return driver.cgroup(cgroupOf(i));
  }

  /** Container i has exited: its cleanup begins, and every step due now runs. */
  Cleanup complete(int i) {
    Cleanup c = cleanups.begin(new Cleanup(cleanups, id(i), cgroupOf(i)));
    time.runDue();
    return c;
  }

  /** The cleanup's result, which must be there by now. */
  static CleanupResult result(Cleanup c) {
    if (!c.future.isDone()) {
      throw new AssertionError(c.containerId + " has not ended: " + c.state());
    }
    return c.future.join();
  }
}
