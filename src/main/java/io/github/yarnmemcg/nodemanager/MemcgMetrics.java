package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleCounters;
import io.github.yarnmemcg.lifecycle.NodeOomGuard;
import java.io.IOException;
import org.apache.hadoop.metrics2.MetricsCollector;
import org.apache.hadoop.metrics2.MetricsException;
import org.apache.hadoop.metrics2.MetricsInfo;
import org.apache.hadoop.metrics2.MetricsRecordBuilder;
import org.apache.hadoop.metrics2.MetricsSource;
import org.apache.hadoop.metrics2.MetricsSystem;
import org.apache.hadoop.metrics2.lib.Interns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's Hadoop metrics2 source, {@value #NAME}: the lifecycle's running totals and the node's dying
 * memcg count, read when a sink or JMX asks (JMX bean {@code Hadoop:service=NodeManager,name=YarnMemcg}).
 * Nothing is sampled in between, so the figures are as fresh as the read.
 */
public final class MemcgMetrics implements MetricsSource {

  public static final String NAME = "YarnMemcg";

  private static final Logger LOG = LoggerFactory.getLogger(MemcgMetrics.class);

  static final MetricsInfo STARTED = info("ContainersStarted", "Container memory cgroups created and limited");
  static final MetricsInfo COMPLETED = info("ContainersCompleted", "Containers handed to the background cleanup");
  static final MetricsInfo CLEANED = info("CgroupsRemoved", "Container memory cgroups drained and removed");
  static final MetricsInfo EVICTED = info("BytesEvicted", "Page cache of finished containers that the plugin evicted");
  static final MetricsInfo FREED = info("BytesFreedWithoutEviction",
      "Page cache of finished containers that went before any drain: deleted by the application, or reclaimed by the"
          + " kernel under pressure");
  static final MetricsInfo CHARGED_AT_REMOVAL = info("BytesChargedAtRemoval",
      "Page cache still charged when a cgroup was removed: moved to the parent on kernels that do so");
  static final MetricsInfo WAITING = info("WaitingCgroups",
      "Finished containers' cgroups, empty and unprotected, waiting for their applications to end");
  static final MetricsInfo RETIRED = info("RetiredCgroups",
      "Finished containers' cgroups retired now: empty and unprotected, holding page cache someone may read again");
  static final MetricsInfo RETIRED_BYTES = info("RetiredBytes",
      "Page cache and shmem the retired cgroups held when last looked at (reclaim takes it first)");
  static final MetricsInfo RELEASED = info("RetiredCgroupsReleased",
      "Retired cgroups removed once their page cache had gone without eviction (deleted, or reclaimed by the kernel)");
  static final MetricsInfo OVER_BUDGET = info("CgroupsDrainedOverBudget",
      "Retired cgroups drained because more were retired than the retire budget allows");
  static final MetricsInfo EVICTED_OVER_BUDGET = info("BytesEvictedOverBudget",
      "Page cache those drains evicted (part of BytesEvicted)");
  static final MetricsInfo DRAIN_MS = info("DrainTimeMs", "Time spent in drain calls, in total (waits between them excluded)");
  static final MetricsInfo DELETE_RETRIES = info("DeleteRetries", "rmdir retries on EBUSY");
  static final MetricsInfo LEFT_CHARGED = info("RemovedStillCharged",
      "Cgroups removed with memory still charged after the drain budget (each stays a dying memcg for a while)");
  static final MetricsInfo OOM_KILLS = info("OomKills", "Processes killed by the kernel OOM killer in containers");
  static final MetricsInfo GIVEN_UP = info("CgroupsGivenUp", "Cgroups the reaper stopped retrying");
  static final MetricsInfo SWEPT = info("CgroupsSwept", "Cgroups of unknown containers cleaned by a sweep");
  static final MetricsInfo NUDGES = info("WritebackNudges",
      "Empty cgroups created and removed so that the kernel lets go of removed cgroups' writeback (cgroup v2)");
  static final MetricsInfo PENDING = info("PendingCleanups", "Cleanups not yet finished, including drains waiting for pages");
  static final MetricsInfo REAPER_QUEUE = info("ReaperQueueLength", "Failed cleanups waiting for a reaper retry");
  static final MetricsInfo DYING = info("DyingMemcgs",
      "Dying (removed but still charged) memory cgroups on the whole node, -1 when unreadable");

  static final MetricsInfo STALL_MS = info("MemoryStallFullMs",
      "Time finished containers spent with all their tasks stalled waiting for memory (PSI full; cgroup v2)");
  static final MetricsInfo SOME_AVG10 = info("MemoryPressureSomeAvg10Max",
      "The highest memory pressure among containers now: percent of the last 10 s in which some of a container's"
          + " tasks were stalled waiting for memory (PSI some; cgroup v2, -1 on v1)");
  static final MetricsInfo FULL_AVG10 = info("MemoryPressureFullAvg10Max",
      "As MemoryPressureSomeAvg10Max, for the time all of a container's tasks were stalled (PSI full)");

  static final MetricsInfo NODE_LIMIT_KILLS = info("NodeLimitKills",
      "Containers killed by the NodeManager because all containers together reached the node limit (elastic mode)");

  private final ContainerMemcgs memcgs;

  public MemcgMetrics(ContainerMemcgs memcgs) {
    this.memcgs = memcgs;
  }

  /** Registers with the NodeManager's metrics system; a failure costs the metrics, never the NodeManager. */
  public boolean register(MetricsSystem system) {
    try {
      system.register(NAME, "yarn-memcg container memory cgroups", this);
      return true;
    } catch (MetricsException e) {
      LOG.warn("yarn-memcg metrics not registered: {}", e.getMessage());
      return false;
    }
  }

  @Override
  public void getMetrics(MetricsCollector collector, boolean all) {
    LifecycleCounters.Snapshot s = memcgs.counters().snapshot();
    MetricsRecordBuilder record = collector.addRecord(NAME).setContext("yarn");
    record.addCounter(STARTED, s.started())
        .addCounter(COMPLETED, s.completed())
        .addCounter(CLEANED, s.cleaned())
        .addCounter(EVICTED, s.evictedBytes())
        .addCounter(FREED, s.freedWithoutEviction())
        .addCounter(CHARGED_AT_REMOVAL, s.chargedAtRemoval())
        .addCounter(DRAIN_MS, s.drainNanos() / 1_000_000)
        .addCounter(DELETE_RETRIES, s.deleteRetries())
        .addCounter(LEFT_CHARGED, s.leftCharged())
        .addCounter(OOM_KILLS, s.oomKills())
        .addCounter(GIVEN_UP, s.givenUp())
        .addCounter(SWEPT, s.swept())
        .addCounter(NUDGES, s.writebackNudges())
        .addGauge(PENDING, s.pendingCleanups())
        .addGauge(WAITING, s.waiting())
        .addGauge(RETIRED, s.retired())
        .addGauge(RETIRED_BYTES, s.retiredBytes())
        .addCounter(RELEASED, s.released())
        .addCounter(OVER_BUDGET, s.drainedOverBudget())
        .addCounter(EVICTED_OVER_BUDGET, s.evictedOverBudget())
        .addGauge(REAPER_QUEUE, s.awaitingRetry())
        .addGauge(DYING, dying())
        .addCounter(STALL_MS, s.memoryStallMicros() / 1000)
        .addCounter(NODE_LIMIT_KILLS, memcgs.elastic().map(NodeOomGuard::kills).orElse(0L));
    double[] pressure = highestPressure();
    record.addGauge(SOME_AVG10, pressure[0]).addGauge(FULL_AVG10, pressure[1]);
  }

  /** The highest PSI some and full avg10 among the container cgroups now; -1 when none reports pressure (v1). */
  private double[] highestPressure() {
    double[] highest = {-1, -1};
    try {
      for (String id : memcgs.containerIds()) {
        memcgs.pressure(id).ifPresent(p -> {
          highest[0] = Math.max(highest[0], p.someAvg10());
          highest[1] = Math.max(highest[1], p.fullAvg10());
        });
      }
    } catch (IOException e) {
      LOG.debug("cannot list the container cgroups for their pressure: {}", e.toString());
    }
    return highest;
  }

  private long dying() {
    try {
      return memcgs.driver().dyingMemcgs();
    } catch (IOException e) {
      return -1;
    }
  }

  private static MetricsInfo info(String name, String description) {
    return Interns.info(name, description);
  }
}
