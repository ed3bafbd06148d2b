package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.lifecycle.LifecycleCounters;
import io.github.yarnmemcg.lifecycle.WaitingCgroup;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Disk;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.MachineReclaim;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Residency;
import io.github.yarnmemcg.testing.TreeIo;
import io.github.yarnmemcg.testing.Warm;
import io.github.yarnmemcg.testing.WatchingExecutor;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark 4.2.0 on YARN in cluster mode on a real NodeManager (MiniYARNCluster) that runs {@link MemcgContainerExecutor},
 * {@link MemcgProcessTree} and Spark's external shuffle service as the auxiliary service {@code spark_shuffle}.
 * spark-submit, the driver (in the AM container) and the executors are real Spark JVMs of Spark's own jars. The
 * shuffle service is a stand-in for {@code YarnShuffleService}, whose artifact (spark-network-yarn) is not served
 * here: the blocks are served by Spark's own {@code ExternalBlockHandler} (src/test/spark).
 *
 * <p>One shuffle job with dynamic allocation runs once per drain setting: off (as stock Hadoop runs it), the
 * default, and the eager drain as the control. Its second stage runs after dynamic allocation released every
 * executor, so it reads their shuffle output through the shuffle service. Decided by what the plugin evicted:
 * as the second stage begins on new executors, the default has evicted about nothing (its counter) and the shuffle
 * files are cached but for what the machine itself paged out meanwhile (DAMON, global reclaim: {@link
 * MachineReclaim}), as fincore shows; the eager drain, the control, has evicted at least half of them. What this
 * JVM's process tree read from disk ({@link TreeIo}) under the default stays within what it read without the drain
 * + 10% + 16 MiB + what the machine paged out. Under the default
 * an executor that allocates off the heap past its overhead is OOM-killed in its cgroup and the driver's report of
 * the loss carries the plugin's diagnostic. Run by src/test/spark/spark-on-yarn, which builds Spark's classpath and
 * the jobs (tag "spark", left out of {@code mvn verify}).
 */
@Tag("spark")
class SparkOnYarnIT {
  private static final int MAPS = 4;
  private static final int MIB_PER_MAP = 32;
  private static final int REDUCES = 4;
  /** spark.executor.memory and spark.driver.memory; the overhead is Spark's default, max(384 MiB, 10%). */
  private static final int HEAP_MIB = 512;
  private static final int OVERHEAD_MIB = 384;
  private static final int OFF_HEAP_MIB = 1024;

  @TempDir
  Path work;

  /**
   * What one Spark application did on the node: the disk under the local dirs (whoever read or wrote it), what this
   * JVM's process tree read from disk (spark-submit, the NodeManager and its shuffle service, every container), and
   * the machine's own reclaim, from
   * its submission until its containers were cleaned, and, if a stage began on new containers after some of its
   * containers had ended (the shuffle job's second stage), what the plugin had evicted by then and how much of the
   * shuffle files was cached.
   */
  record App(String name, String appId, Path root, Path out, Disk disk, TreeIo io, long millis,
      MachineReclaim machine,
      Optional<WatchingExecutor.StageSample> stage, long evictedBeforeStage, MachineReclaim machineBeforeStage,
      List<Row> rows) {

    Optional<Residency> shuffleFiles() {
      return stage.flatMap(WatchingExecutor.StageSample::files);
    }
  }

  /**
   * One container of an application: the plugin's view at its end, and the largest anonymous memory the test saw in
   * its cgroup while it ran (the kernel keeps no peak of anon alone: sampled every 100 ms). Its cleanup has ended,
   * or its cgroup is retired, holding page cache of files that stay on disk (the JDK's, a task JVM read back after
   * the machine paged them out), which the next container may read again.
   */
  record Row(String containerId, long allocatedMib, long peakAnon, MemoryStats stats,
      Optional<CleanupResult> cleanup, Optional<WaitingCgroup> retired) {

    String outcome() {
      return cleanup.map(c -> "evicted " + MemoryStats.mib(c.evictedBytes()) + ", removed " + c.removed())
          .orElseGet(() -> "retired, holding " + MemoryStats.mib(retired.map(WaitingCgroup::held).orElse(-1L)));
    }
  }

  record Run(String mode, List<App> apps, LifecycleCounters.Snapshot counters, DyingMemcgs.Left left) {
    App app(String name) {
      return apps.stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }
  }

  @Test
  void sparkJobsRunIsolatedAndTheDefaultDrainCostsTheirShuffleNoDiskRead() throws Exception {
    RealCgroups.require();
    Spark spark = Spark.fromSystemProperties();
    // Spark's jars read once here, charged to this JVM's cgroup, so that no run reads them from the disk.
    spark.warm();
    List<Run> runs = new ArrayList<>();
    runs.add(run(spark, "off", false));
    runs.add(run(spark, "default", true));
    runs.add(run(spark, "container-exit", false));
    for (Run r : runs) {
      for (App a : r.apps()) {
        System.out.printf("[measure] spark %-14s %-8s %s: read %6.1f MiB (the device: read %6.1f MiB, written"
            + " %6.1f MiB), %5.1f s; %s%n", r.mode(), a.name(), a.appId(), a.io().readBytes() / (double) ONE_MB,
            a.disk().readBytes() / (double) ONE_MB, a.disk().writtenBytes() / (double) ONE_MB, a.millis() / 1000.0,
            a.machine());
        a.stage().ifPresent(st -> System.out.printf("[measure]   as new executors started after others ended:"
            + " shuffle files %s; plugin evicted %.1f MiB since the submission; %s%n",
            a.shuffleFiles().map(Residency::toString).orElse("not looked at (no fincore)"),
            a.evictedBeforeStage() / (double) ONE_MB, a.machineBeforeStage()));
        for (Row row : a.rows()) {
          MemoryStats s = row.stats();
          System.out.printf("[measure]   %s allocated %5d MiB, limit %s, peak %s, peak anon %s, page cache %s,"
              + " OOM kills %s, %s%n", row.containerId(), row.allocatedMib(),
              MemoryStats.mib(s.limit()), MemoryStats.mib(s.peak()), MemoryStats.mib(row.peakAnon()),
              MemoryStats.mib(s.pageCache()), MemoryStats.count(s.oomKill()), row.outcome());
        }
      }
      System.out.printf("[measure] spark %-14s after the applications ended: %s; counters %s%n", r.mode(),
          r.left(), r.counters());
    }
    Run off = runs.get(0);
    Run def = runs.get(1);
    Run eager = runs.get(2);
    for (Run r : runs) {
      checkShuffleJob(r);
    }
    checkOomJob(def.app("oom"));

    // The decision: what the plugin evicted, and what the second stage found cached, as it began on new executors
    // (the first's released); the eager drain is the control that shows both measures can fail.
    long shuffleBytes = (long) MAPS * MIB_PER_MAP * ONE_MB;
    App shuffle = def.app("shuffle");
    App eagerShuffle = eager.app("shuffle");
    WatchingExecutor.StageSample defStage = shuffle.stage().orElseThrow(() -> new AssertionError("default: no"
        + " sample as the second stage began"));
    WatchingExecutor.StageSample eagerStage = eagerShuffle.stage().orElseThrow(() -> new AssertionError("eager: no"
        + " sample as the second stage began"));
    assertTrue(shuffle.evictedBeforeStage() <= 16 * ONE_MB, "the default evicted about nothing (at most 16 MiB) of"
        + " the released executors before the second stage: " + shuffle.evictedBeforeStage() + " bytes; " + defStage);
    assertTrue(eagerShuffle.evictedBeforeStage() >= shuffleBytes / 2, "the control: the eager drain evicted at"
        + " least half the shuffle before the second stage: " + eagerShuffle.evictedBeforeStage() + " bytes");
    if (Residency.available()) {
      Residency r = shuffle.shuffleFiles().orElseThrow();
      assertTrue(r.sizeBytes() >= shuffleBytes, "default: every map's shuffle file found: " + r);
      assertTrue(r.residentBytes() + shuffle.machineBeforeStage().pagedOut() >= r.sizeBytes() * 0.9, "default:"
          + " the second stage found the shuffle cached, but for what the machine paged out meanwhile ("
          + shuffle.machineBeforeStage() + ") and 10%: " + r);
      Residency e = eagerShuffle.shuffleFiles().orElseThrow();
      assertTrue(e.sizeBytes() >= shuffleBytes && e.residentBytes() <= e.sizeBytes() / 2, "the control: under the"
          + " eager drain the second stage found at most half the shuffle cached: " + e);
    }
    // What this JVM's process tree read from disk, with headroom for what the machine itself paged out while the
    // default's job ran (the device's counters count every process on the machine: reported, not bounded).
    App baseline = off.app("shuffle");
    assertTrue(shuffle.io().readBytes() <= baseline.io().readBytes() * 1.1 + 16 * ONE_MB
        + shuffle.machine().pagedOut(), "the default drain reads no more from the disk than running without it"
        + " (+10% + 16 MiB + " + shuffle.machine() + "): " + shuffle.io() + " vs " + baseline.io());
    assertTrue(eagerShuffle.io().readBytes() >= shuffleBytes / 2, "the control: the eager drain evicts the"
        + " released executors' shuffle files, so the second stage reads them from the disk: "
        + eagerShuffle.io());
    assertTrue(ShuffleCostIT.noneDying(def.left()), "the default leaves no memcg dying: " + def.left());
    assertTrue(ShuffleCostIT.noneDying(eager.left()), "nor does the eager drain: " + eager.left());
    if (!DyingMemcgs.kernelReparents()) {
      assertTrue(off.left().nodeDyingAdded() > 0, "without the drain memcgs stay dying (the count can fail): "
          + off.left());
    }
  }

  /**
   * The result is right, the driver and every task ran in {@code <root>/<its container>} with a limit equal to the
   * allocation YARN made (heap + overhead), the second stage ran on executors the first did not have, and every
   * container's cgroup was removed.
   */
  private void checkShuffleJob(Run r) throws IOException {
    App a = r.app("shuffle");
    List<String> result = Files.readAllLines(a.out().resolve("result.txt"));
    String expected = result.get(0).split("\t", 2)[1];
    assertEquals("first\t" + expected, result.get(1), r.mode() + ": the first job's records and checksum");
    assertEquals("second\t" + expected, result.get(2), r.mode() + ": the second job's, from the shuffle service");
    List<Where> where = Where.read(a.out());
    checkPlaces(r.mode(), a, where);
    List<String> first = where.stream().filter(w -> w.job() == 1).map(Where::containerId).distinct().toList();
    List<String> second = where.stream().filter(w -> w.job() == 2).map(Where::containerId).distinct().toList();
    assertFalse(second.isEmpty(), r.mode() + ": " + where);
    for (String c : second) {
      assertFalse(first.contains(c), r.mode() + ": the second stage ran on new executors, the first's released: "
          + where);
    }
  }

  private void checkOomJob(App a) throws IOException {
    List<String> result = Files.readAllLines(a.out().resolve("result.txt"));
    assertEquals(1, result.size(), result.toString());
    assertTrue(result.get(0).startsWith("ok\t"), "the task's retry ended well on another executor: " + result);
    checkPlaces("default", a, Where.read(a.out()));
    List<Row> killed = a.rows().stream().filter(row -> row.stats().oomKill() > 0).toList();
    assertEquals(1, killed.size(), "one executor was OOM-killed in its cgroup: " + a.rows());
    Row k = killed.get(0);
    String losses = Files.readString(a.out().resolve("losses.txt"));
    System.out.printf("[measure] spark oom: what the driver was told:%n%s%n", losses.strip());
    Matcher m = Pattern.compile("Container killed by the kernel OOM killer in its memory cgroup (\\S+): limit"
        + " (\\d+) MiB, peak (\\d+) MiB").matcher(losses);
    assertTrue(m.find(), "the driver's report of the executor loss carries the plugin's diagnostic: " + losses);
    assertEquals(a.root().resolve(k.containerId()).toString(), m.group(1), "the killed executor's own cgroup");
    assertEquals(HEAP_MIB + OVERHEAD_MIB, Long.parseLong(m.group(2)), losses);
    assertTrue(losses.contains("ExecutorLostFailure"), "and the failed task's reason does: " + losses);
  }

  /** Each recorded place is the container's own cgroup under the root, limited to what YARN allocated. */
  private void checkPlaces(String mode, App a, List<Where> where) {
    Map<String, Row> rows = a.rows().stream().collect(Collectors.toMap(Row::containerId, r -> r));
    assertTrue(where.stream().anyMatch(w -> w.role().equals("driver")), where.toString());
    for (Where w : where) {
      Row row = rows.get(w.containerId());
      assertTrue(row != null, mode + " " + a.name() + ": " + w + " ran in a container the NodeManager launched: "
          + rows.keySet());
      assertEquals(Optional.of(a.root().resolve(w.containerId())), w.cgroup(),
          mode + ": " + w + " ran in its own memcg under the root");
      assertEquals(HEAP_MIB + OVERHEAD_MIB, row.allocatedMib(), mode + ": YARN allocated heap + overhead: " + w);
      assertEquals(row.allocatedMib() * ONE_MB, w.limitBytes(), mode + ": its memcg's limit is its allocation: " + w);
    }
    for (Row row : a.rows()) {
      assertTrue(row.cleanup().map(CleanupResult::removed).orElse(row.retired().isPresent()),
          mode + ": " + row.containerId() + "'s cgroup removed, or retired: " + row.outcome());
    }
  }

  private Run run(Spark spark, String mode, boolean oom) throws Exception {
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    CgroupDriver driver = CgroupDrivers.forMount(mount);
    Path root = mount.path().resolve("yarn-memcg-it-spark-" + UUID.randomUUID().toString().substring(0, 8));
    YarnConfiguration conf = ShuffleCostIT.drainConfiguration(root, mode);
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, WatchingExecutor.class.getName());
    // Spark's shuffle files, under the executors' local dirs (the application's appcache dir).
    conf.set(WatchingExecutor.STAGE_FILES, "blockmgr-[^/]+/[^/]+/shuffle_.*\\.data");
    int port = freePort();
    conf.setInt(YarnConfiguration.NM_PMEM_MB, 6144);
    conf.setInt(YarnConfiguration.NM_VCORES, 8);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    conf.setStrings(YarnConfiguration.NM_AUX_SERVICES, "spark_shuffle");
    conf.set(String.format(YarnConfiguration.NM_AUX_SERVICE_FMT, "spark_shuffle"),
        "io.github.yarnmemcg.spark.SparkShuffleStandIn");
    // Its own class loader, as operators deploy it: Spark's netty apart from the NodeManager's.
    conf.set(String.format(YarnConfiguration.NM_AUX_SERVICES_CLASSPATH, "spark_shuffle"), spark.shuffleClasspath());
    conf.setInt("spark.shuffle.service.port", port);
    MiniYARNCluster cluster = new MiniYARNCluster("memcg-spark-" + mode, 1, 1, 1);
    List<App> apps = new ArrayList<>();
    AnonSampler anon = new AnonSampler(driver, root);
    try {
      cluster.init(conf);
      cluster.start();
      WatchingExecutor executor = (WatchingExecutor) cluster.getNodeManager(0).getNMContext()
          .getContainerExecutor();
      Path localDir = Path.of(cluster.getNodeManager(0).getConfig()
          .getTrimmedStrings(YarnConfiguration.NM_LOCAL_DIRS)[0]);
      Path confDir = Files.createDirectories(work.resolve(mode + "-conf"));
      try (OutputStream o = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
        cluster.getConfig().writeXml(o);
      }
      long baseline = DyingMemcgs.stableBaseline(driver);
      Node node = new Node(mode, root, executor, confDir, localDir, port, anon);
      apps.add(submit(spark, node, "shuffle", "io.github.yarnmemcg.spark.ShuffleJob",
          List.of(Integer.toString(MAPS), Integer.toString(MIB_PER_MAP), Integer.toString(REDUCES)), List.of(
              "spark.dynamicAllocation.enabled=true", "spark.dynamicAllocation.minExecutors=0",
              "spark.dynamicAllocation.initialExecutors=2", "spark.dynamicAllocation.maxExecutors=2",
              "spark.dynamicAllocation.executorIdleTimeout=1s")));
      if (oom) {
        apps.add(submit(spark, node, "oom", "io.github.yarnmemcg.spark.OomJob",
            List.of(Integer.toString(OFF_HEAP_MIB)), List.of("spark.executor.instances=1")));
      }
      DyingMemcgs.Left left = ShuffleCostIT.leftOnceEnded(executor, driver, root, baseline, mode);
      return new Run(mode, apps, executor.memcgs().counters().snapshot(), left);
    } finally {
      anon.close();
      YarnClusters.stopThenRemove(driver, root, cluster);
    }
  }

  /** spark-submit in cluster mode, as a user runs it, waiting for the application to end. */
  /** One cluster of the test, as its applications see it. */
  record Node(String mode, Path root, WatchingExecutor executor, Path confDir, Path localDir, int port,
      AnonSampler anon) {}

  private App submit(Spark spark, Node node, String name, String mainClass, List<String> args,
      List<String> settings) throws Exception {
    String mode = node.mode();
    WatchingExecutor executor = node.executor();
    Path confDir = node.confDir();
    Path out = work.resolve(mode + "-" + name);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", confDir + File.pathSeparator + spark.classpath(),
        "org.apache.spark.deploy.SparkSubmit", "--master", "yarn", "--deploy-mode", "cluster", "--class", mainClass,
        "--name", "yarn-memcg " + name));
    List<String> conf = new ArrayList<>(List.of(
        "spark.yarn.jars=" + spark.localJars(),
        "spark.yarn.stagingDir=" + work.resolve("staging").toUri(),
        "spark.yarn.maxAppAttempts=1",
        "spark.yarn.appMasterEnv.JAVA_HOME=" + System.getProperty("java.home"),
        "spark.executorEnv.JAVA_HOME=" + System.getProperty("java.home"),
        "spark.driver.memory=" + HEAP_MIB + "m", "spark.executor.memory=" + HEAP_MIB + "m",
        "spark.driver.cores=1", "spark.executor.cores=1",
        "spark.shuffle.service.enabled=true", "spark.shuffle.service.port=" + node.port(),
        // Every fetch through the shuffle service, as from another node, not read directly from this host's disk.
        "spark.shuffle.readHostLocalDisk=false",
        "spark.ui.enabled=false",
        "spark.hadoop.yarn.timeline-service.enabled=false"));
    conf.addAll(settings);
    for (String c : conf) {
      command.add("--conf");
      command.add(c);
    }
    command.add(spark.jobsJar().toString());
    command.add(out.toString());
    command.addAll(args);
    // Kept after the test: what spark-submit said, for a failure's reader.
    Path log = Files.createDirectories(spark.logs()).resolve(mode + "-" + name + "-submit.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("HADOOP_CONF_DIR", confDir.toString());
    pb.environment().put("YARN_CONF_DIR", confDir.toString());
    pb.environment().remove("SPARK_HOME");
    // Spark's jars and the JDK read again now: a pause of a minute before (the previous run) and a node's DAMON
    // would have paged them out, to be read back from the disk in this run and not another.
    spark.warm();
    Warm.files(List.of(Path.of(System.getProperty("java.home"), "lib")));
    Disk before = Disk.of(node.localDir());
    TreeIo ioBefore = TreeIo.now();
    MachineReclaim machineBefore = MachineReclaim.now();
    long evictedBefore = executor.memcgs().counters().snapshot().evictedBytes();
    long began = System.nanoTime();
    Process p = pb.start();
    boolean ended = p.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    long millis = (System.nanoTime() - began) / 1_000_000;
    String output = Files.readString(log);
    Matcher m = Pattern.compile("application_\\d+_\\d+").matcher(output);
    assertTrue(m.find(), mode + " " + name + ": spark-submit names its application; its output ends:\n"
        + tail(output, 60));
    String appId = m.group();
    assertTrue(ended && p.exitValue() == 0, mode + " " + name + ": spark-submit ended well (" + (ended ? "exit "
        + p.exitValue() : "still running after 5 minutes") + "); its output ends:\n" + tail(output, 60));
    // The application's containers: each one's completion and cleanup, once the NodeManager has them all.
    List<String> ids = Await.value(appId + "'s containers cleaned", Duration.ofSeconds(120), () -> {
      List<String> mine = executor.allocatedMib.keySet().stream()
          .filter(c -> c.contains(appId.substring("application_".length()))).sorted().toList();
      Map<String, WaitingCgroup> kept = keptRetired(executor);
      boolean done = mine.stream().allMatch(c -> executor.completions.containsKey(c)
          && (executor.completions.get(c).cleanup().isDone() || kept.containsKey(c)));
      return done ? Optional.of(mine) : Optional.empty();
    });
    Disk disk = Disk.of(node.localDir()).minus(before);
    TreeIo io = TreeIo.now().minus(ioBefore);
    MachineReclaim machine = MachineReclaim.now().minus(machineBefore);
    Optional<WatchingExecutor.StageSample> stage = executor.lastStage(appId);
    List<Row> rows = new ArrayList<>();
    Map<String, WaitingCgroup> retired = keptRetired(executor);
    for (String id : ids) {
      Completion c = executor.completions.get(id);
      CleanupResult cleaned = c.cleanup().getNow(null);
      Optional<WaitingCgroup> kept = Optional.ofNullable(cleaned == null ? retired.get(id) : null);
      if (cleaned == null && kept.isEmpty()) {
        // Released since the wait above: its removal is under way.
        cleaned = c.cleanup().get(30, TimeUnit.SECONDS);
      }
      rows.add(new Row(id, executor.allocatedMib.get(id), node.anon().peak(id),
          c.finalStats().orElse(MemoryStats.unknown()), Optional.ofNullable(cleaned), kept));
    }
    return new App(name, appId, node.root(), out, disk, io, millis, machine, stage,
        stage.map(x -> x.evictedBytes() - evictedBefore).orElse(0L),
        stage.map(x -> x.machine().minus(machineBefore)).orElse(machine), rows);
  }

  /** The cgroups the lifecycle keeps retired (holding at least the release threshold), by container id. */
  private static Map<String, WaitingCgroup> keptRetired(WatchingExecutor executor) {
    return YarnClusters.keptRetired(executor.memcgs()).stream()
        .collect(Collectors.toMap(WaitingCgroup::containerId, w -> w));
  }

  /**
   * The largest anonymous memory of each container cgroup under the root, read every 100 ms while the cluster runs:
   * neither cgroup version keeps a peak of anon alone.
   */
  static final class AnonSampler implements AutoCloseable {
    private final Map<String, Long> peaks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    AnonSampler(CgroupDriver driver, Path root) {
      timer.scheduleWithFixedDelay(() -> {
        try (Stream<Path> cgroups = Files.list(root)) {
          for (Path c : (Iterable<Path>) cgroups::iterator) {
            if (c.getFileName().toString().startsWith("container_")) {
              peaks.merge(c.getFileName().toString(), driver.stats(c).anon(), Math::max);
            }
          }
        } catch (IOException | RuntimeException e) {
          // A cgroup removed between the listing and the read, or the root not made yet: the next pass reads on.
        }
      }, 0, 100, TimeUnit.MILLISECONDS);
    }

    long peak(String containerId) {
      return peaks.getOrDefault(containerId, MemoryStats.UNKNOWN);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }

  private static String tail(String s, int lines) {
    List<String> all = s.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** One line of where.tsv (io.github.yarnmemcg.spark.Where), with the stage of the shuffle job it came from. */
  record Where(int job, String role, String containerId, Optional<Path> cgroup, long limitBytes) {
    static List<Where> read(Path out) throws IOException {
      MemoryMount mount = MemoryMount.discover(Optional.empty());
      List<Where> all = new ArrayList<>();
      for (String line : Files.readAllLines(out.resolve("where.tsv"))) {
        String[] f = line.split("\t");
        int job = f[0].startsWith("job2 ") ? 2 : 1;
        String role = f[0].replaceFirst("^job\\d ", "");
        all.add(new Where(job, role, f[1], mount.cgroupOfProcess(f[2].replace(';', '\n')),
            Long.parseLong(f[3])));
      }
      return all;
    }
  }

  /**
   * Spark's jars and the jobs, as src/test/spark/spark-on-yarn built them, and where spark-submit's output goes
   * ({@code yarnmemcg.spark.logs}, by default beside the jobs' jar).
   */
  record Spark(List<Path> jars, Path jobsJar, Path logs) {
    static Spark fromSystemProperties() throws IOException {
      String cp = System.getProperty("yarnmemcg.spark.classpath-file");
      String jobs = System.getProperty("yarnmemcg.spark.jobs-jar");
      if (cp == null || jobs == null) {
        throw new IllegalStateException("run by src/test/spark/spark-on-yarn, which sets yarnmemcg.spark.classpath-file"
            + " and yarnmemcg.spark.jobs-jar");
      }
      List<Path> jars = Arrays.stream(Files.readString(Path.of(cp)).trim().split(File.pathSeparator))
          .map(Path::of).toList();
      Path jobsJar = Path.of(jobs);
      return new Spark(jars, jobsJar, Path.of(System.getProperty("yarnmemcg.spark.logs",
          jobsJar.resolveSibling("logs").toString())));
    }

    String classpath() {
      return jobsJar + File.pathSeparator + jars.stream().map(Path::toString)
          .collect(Collectors.joining(File.pathSeparator));
    }

    String localJars() {
      return jars.stream().map(j -> "local:" + j).collect(Collectors.joining(","));
    }

    /**
     * The stand-in and Spark's jars, without Hadoop's client and slf4j's API: the NodeManager's are used (its
     * slf4j binding is found through the API's own class loader).
     */
    String shuffleClasspath() {
      List<String> cp = new ArrayList<>(List.of(jobsJar.toString()));
      for (Path j : jars) {
        String n = j.getFileName().toString();
        if (!n.startsWith("hadoop-client-") && !n.startsWith("slf4j-api-")) {
          cp.add(j.toString());
        }
      }
      return String.join(File.pathSeparator, cp);
    }

    void warm() throws IOException {
      byte[] buf = new byte[1 << 20];
      for (Path j : jars) {
        try (InputStream in = Files.newInputStream(j)) {
          while (in.read(buf) > 0) {
            // read to cache
          }
        }
      }
    }
  }
}
