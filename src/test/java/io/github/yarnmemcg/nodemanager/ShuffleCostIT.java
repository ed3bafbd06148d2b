package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.MRConfig;
import org.apache.hadoop.mapreduce.MRJobConfig;
import org.apache.hadoop.mapreduce.Mapper;
import org.apache.hadoop.mapreduce.Reducer;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the plugin costs a MapReduce shuffle: the same job on a one-node MiniMRYarnCluster with
 * {@link MemcgContainerExecutor}, once per drain setting: off (as stock Hadoop runs), the node's default, and the
 * eager drain ({@code drain.when=container-exit}) as the control. 4 maps each pass 48 MiB of cached input through as
 * map output; 2 reduces fetch it through the NodeManager's ShuffleHandler. Shape 1: reduces start after every map has
 * exited; shape 2: reduces start at once and fetch each map's output as that map exits.
 *
 * <p>The decision is made by what the plugin evicted, not by what the disk read: a node's own reclaim (DAMON's
 * {@code pageout} of page cache idle for about a minute, global reclaim) disturbs two runs differently, and a
 * container at its memory limit evicts its own map output in every setting. So:
 * <ol>
 *   <li>The plugin's evicted-bytes counter over each job, read as the job completes (before its application ends):
 *       the default evicted about nothing (at most 16 MiB); the eager drain, at least half the map output.
 *   <li>At the moment the reduces start (shape 1: the first reduce container's launch, every map having exited), how
 *       much of the map output files is cached ({@link Residency}, mincore through fincore): under the default all
 *       of it but what the machine itself paged out meanwhile ({@link MachineReclaim}) and 10%; under the eager
 *       drain at most half.
 *   <li>What this JVM's process tree (the NodeManager with its ShuffleHandler, every container) read from disk
 *       ({@link TreeIo}): the default no more than the drain off + 10% + 16 MiB + what the machine paged out during
 *       the default's job; the eager drain at least half the map output. The device's counters
 *       ({@code /proc/diskstats}) count every process on the machine: they are reported, not bounded.
 * </ol>
 * What the test controls is kept well under DAMON's minute: the input and the JVM's files are read again right
 * before each job, and each job's containers have room under their limits (heaps well below the 512 MiB of a task
 * container, one spill per map), which every container's final {@code failcnt} shows. After each run's
 * applications end: no container cgroup, no memcg left dying.
 */
class ShuffleCostIT {
  private static final int MAPS = 4;
  private static final int MIB_PER_MAP = 48;
  /** The map output is the input re-serialized (a length byte and two IFile lengths per line): at least this. */
  private static final long MAP_OUTPUT = (long) MAPS * MIB_PER_MAP * ONE_MB;
  /** The most the default may evict while a job runs: what is left of the ended containers' logs, and a margin. */
  private static final long ABOUT_NOTHING = 16 * ONE_MB;
  private static final List<String> SHAPES = List.of("reduces after the maps", "reduces from the start");
  /** Where a map's output is, relative to its application's appcache dir (YarnOutputFiles). */
  private static final String MAP_OUTPUT_FILES = "output/.*/file\\.out";

  @TempDir
  static Path work;

  /** Passes every line through: the map output is as large as the input. */
  public static class PassMapper extends Mapper<LongWritable, Text, Text, NullWritable> {
    @Override
    protected void map(LongWritable key, Text line, Context ctx) throws IOException, InterruptedException {
      ctx.write(line, NullWritable.get());
    }
  }

  /** Counts what it fetched and writes one line: the job's output is tiny. */
  public static class CountReducer extends Reducer<Text, NullWritable, LongWritable, NullWritable> {
    private long n;

    @Override
    protected void reduce(Text line, Iterable<NullWritable> values, Context ctx) {
      for (NullWritable ignored : values) {
        n++;
      }
    }

    @Override
    protected void cleanup(Context ctx) throws IOException, InterruptedException {
      ctx.write(new LongWritable(n), NullWritable.get());
    }
  }

  /** A MiniMRYarnCluster whose NodeManager runs the watched executor. */
  static final class WatchedMiniMRYarnCluster extends MiniMRYarnCluster {
    WatchedMiniMRYarnCluster(String name) {
      super(name, 1);
    }

    @Override
    protected ResourceManager createResourceManager() {
      getConfig().set(YarnConfiguration.NM_CONTAINER_EXECUTOR, WatchingExecutor.class.getName());
      return super.createResourceManager();
    }
  }

  /**
   * One job of one setting.
   *
   * @param disk what the disk under the local dirs read and wrote during the job, whoever caused it
   * @param io what this JVM's process tree (the NodeManager, its shuffle serving, every container) read from disk
   * @param millis the job's time
   * @param evicted what the plugin evicted from the job's start until it completed
   * @param machine what the machine itself paged out meanwhile
   * @param stage as the reduces started, if they started after a map ended (shape 1)
   * @param evictedBeforeStage what the plugin evicted from the job's start until then
   * @param machineBeforeStage what the machine paged out from the job's start until then
   * @param containers each of its containers at its end
   */
  record Shape(String name, String appId, Disk disk, TreeIo io, long millis, long evicted, MachineReclaim machine,
      Optional<WatchingExecutor.StageSample> stage, long evictedBeforeStage, MachineReclaim machineBeforeStage,
      List<ContainerEnd> containers) {

    Optional<Residency> mapOutput() {
      return stage.flatMap(WatchingExecutor.StageSample::files);
    }

    long mapLimitHits() {
      return containers.stream().filter(c -> c.kind().equals("map")).mapToLong(c -> Math.max(0, c.limitHits()))
          .sum();
    }
  }

  /** A container as the plugin saw it at its end, and what its cleanup evicted. */
  record ContainerEnd(String id, String kind, long limit, long peak, long limitHits, long evicted) {
    @Override
    public String toString() {
      return String.format("%s %s limit %s peak %s failcnt %d evicted %s", kind, id.replaceFirst(".*_", ""),
          MemoryStats.mib(limit), MemoryStats.mib(peak), limitHits, MemoryStats.mib(evicted));
    }
  }

  record Figures(String mode, CleanupPolicy policy, Map<String, Shape> perShape, LifecycleCounters.Snapshot counters,
      DyingMemcgs.Left left) {

    long dyingAdded() {
      return left.nodeDyingAdded();
    }
  }

  @Test
  void theDefaultCostsTheShuffleNoDiskIoThatRunningWithoutTheDrainDoesNot() throws Exception {
    RealCgroups.require();
    List<Figures> all = new ArrayList<>();
    all.add(run("off", SHAPES));
    all.add(run("default", SHAPES));
    // The control needs one shape: the one where every map output is read after its map exited.
    all.add(run("container-exit", SHAPES.subList(0, 1)));
    for (Figures f : all) {
      for (Shape s : f.perShape().values()) {
        System.out.printf("[measure] shuffle cost, %-14s %-24s read %6.1f MiB (the device: read %6.1f MiB, written"
            + " %6.1f MiB), job %5.1f s; plugin evicted %6.1f MiB during the job; %s during the job%n", f.mode(),
            s.name(), s.io().readBytes() / (double) ONE_MB, s.disk().readBytes() / (double) ONE_MB,
            s.disk().writtenBytes() / (double) ONE_MB, s.millis() / 1000.0, s.evicted() / (double) ONE_MB, s.machine());
        System.out.printf("[measure]   as the reduces started: %s; plugin evicted %s since the job started; %s;"
            + " containers: %s%n", s.stage().map(x -> "map output " + s.mapOutput().map(Residency::toString)
            .orElse("not looked at (no fincore)")).orElse("no stage sample (reduces started beside the maps)"),
            s.stage().isPresent() ? String.format("%.1f MiB", s.evictedBeforeStage() / (double) ONE_MB) : "-",
            s.stage().isPresent() ? s.machineBeforeStage().toString() : "-", s.containers());
      }
      System.out.printf("[measure] shuffle cost, %-14s policy %s; after the applications ended: %s; counters %s%n",
          f.mode(), f.policy(), f.left(), f.counters());
    }
    Figures off = all.get(0);
    Figures def = all.get(1);
    Figures eager = all.get(2);
    String late = SHAPES.get(0);

    // The containers had room: none reached its limit, which would evict its own map output in any setting.
    for (Figures f : all) {
      for (Shape s : f.perShape().values()) {
        assertEquals(0, s.mapLimitHits(), f.mode() + " " + s.name() + ": no map reached its memory limit (else it"
            + " evicts its own output whatever the drain does): " + s.containers());
      }
    }

    // 1. The plugin's own counter: the default evicts about nothing while the job runs, the eager drain the maps'
    // output (the control: the counter can fail).
    for (Shape s : def.perShape().values()) {
      assertTrue(s.evicted() <= ABOUT_NOTHING, s.name() + ": the default evicted about nothing while the job ran"
          + " (at most 16 MiB): " + s.evicted() + " bytes");
    }
    Shape eagerLate = eager.perShape().get(late);
    assertTrue(eagerLate.evicted() >= MAP_OUTPUT / 2, "the control: the eager drain evicted at least half the map"
        + " output while the job ran: " + eagerLate.evicted() + " bytes");

    // 2. What the reduces found cached of the map output as they started, where fincore can tell.
    if (Residency.available()) {
      Shape d = def.perShape().get(late);
      Residency r = d.mapOutput().orElseThrow(() -> new AssertionError("default: no sample of the map output as the"
          + " reduces started: " + d.stage()));
      assertEquals(MAPS, r.files(), "default: every map's output found as the reduces started: " + r);
      assertTrue(r.sizeBytes() >= MAP_OUTPUT, "default: the map output is at least the input: " + r);
      assertTrue(d.evictedBeforeStage() <= ABOUT_NOTHING, "default: the plugin evicted about nothing before the"
          + " reduces started: " + d.evictedBeforeStage() + " bytes");
      long machine = d.machineBeforeStage().pagedOut();
      assertTrue(r.residentBytes() + machine >= r.sizeBytes() * 0.9, "default: the reduces found the map output"
          + " cached, but for what the machine paged out meanwhile (" + d.machineBeforeStage() + ") and 10%: " + r);
      Residency e = eagerLate.mapOutput().orElseThrow(() -> new AssertionError("eager: no sample as the reduces"
          + " started: " + eagerLate.stage()));
      assertTrue(e.sizeBytes() >= MAP_OUTPUT && e.residentBytes() <= e.sizeBytes() / 2, "the control: under the eager"
          + " drain the reduces found at most half the map output cached: " + e);
    }

    // 3. The disk, with headroom for what the machine paged out during the default's job: what this JVM's process
    // tree read (the device's counters count every process of the machine; they are reported, not bounded).
    for (Shape d : def.perShape().values()) {
      TreeIo base = off.perShape().get(d.name()).io();
      assertTrue(d.io().readBytes() <= base.readBytes() * 1.1 + 16 * ONE_MB + d.machine().pagedOut(), d.name()
          + ": the default reads no more from disk than running without the drain (+10% + 16 MiB + "
          + d.machine() + "): " + d.io() + " vs " + base);
    }
    assertTrue(eagerLate.io().readBytes() >= MAP_OUTPUT / 2, "the control: the eager drain reads the map output"
        + " back from disk: " + eagerLate.io());

    // Once the applications ended and their files were deleted: nothing left.
    assertTrue(noneDying(def.left()), "the default leaves no memcg dying once the applications ended: "
        + def.left());
    assertTrue(noneDying(eager.left()), "nor does the eager drain: " + eager.left());
    if (!DyingMemcgs.kernelReparents()) {
      assertTrue(off.dyingAdded() > 0, "without the drain memcgs stay dying (the count can fail): " + off.left());
    }
    assertTrue(def.counters().evictedBytes() <= ABOUT_NOTHING, "the default evicted only what the applications left"
        + " when they ended (container logs): " + def.counters());
  }

  private Figures run(String mode, List<String> shapes) throws Exception {
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    CgroupDriver driver = CgroupDrivers.forMount(mount);
    Path root = mount.path().resolve("yarn-memcg-it-shuffle-" + UUID.randomUUID().toString().substring(0, 8));
    YarnConfiguration conf = drainConfiguration(root, mode);
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 4096);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    conf.setBoolean(MRConfig.MAPREDUCE_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    conf.setBoolean("mapreduce.jobhistory.minicluster.enabled", false);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    conf.set(WatchingExecutor.STAGE_FILES, MAP_OUTPUT_FILES);
    WatchedMiniMRYarnCluster cluster = new WatchedMiniMRYarnCluster("memcg-shuffle-" + mode);
    Map<String, Shape> perShape = new LinkedHashMap<>();
    try {
      cluster.init(conf);
      cluster.start();
      WatchingExecutor executor = (WatchingExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
      Path localDir = Path.of(cluster.getNodeManager(0).getConfig()
          .getTrimmedStrings(YarnConfiguration.NM_LOCAL_DIRS)[0]);
      Path input = Files.createDirectories(work.resolve(mode + "-input"));
      for (int i = 0; i < MAPS; i++) {
        cachedText(input.resolve("part-" + i), MIB_PER_MAP);
      }
      long baseline = DyingMemcgs.stableBaseline(driver);
      List<Path> jvmFiles = Warm.thisJvm();
      long[] lastEnd = {System.nanoTime()};
      for (String shape : shapes) {
        long jobEnded = lastEnd[0];
        // The previous job's containers gone (its application ended), so that this job's window holds only its own;
        // a policy that keeps a finished container's cgroup, empty and unprotected, while it holds page cache of
        // files that were not deleted (input pages it was first to read back) may keep some: after 60 s, those.
        Await.until(() -> "no container cgroup left before the next job under " + root, Duration.ofSeconds(120),
            () -> executor.memcgs().containerIds().isEmpty()
                || System.nanoTime() - jobEnded > 60_000_000_000L && allKept(root, executor));
        Job job = job(cluster.getConfig(), mode + "-" + perShape.size(), input,
            shape.startsWith("reduces after") ? 1.0f : 0.0f);
        // What the job's JVMs and maps read, cached now, whatever the pause before (DAMON pages out after ~60 s).
        Warm.files(jvmFiles);
        Warm.files(List.of(input));
        Disk before = Disk.of(localDir);
        TreeIo ioBefore = TreeIo.now();
        MachineReclaim machineBefore = MachineReclaim.now();
        long evictedBefore = executor.memcgs().counters().snapshot().evictedBytes();
        long began = System.nanoTime();
        assertTrue(job.waitForCompletion(false), mode + " " + shape + ": " + job.getStatus());
        long evicted = executor.memcgs().counters().snapshot().evictedBytes() - evictedBefore;
        long millis = (System.nanoTime() - began) / 1_000_000;
        lastEnd[0] = System.nanoTime();
        MachineReclaim machine = MachineReclaim.now().minus(machineBefore);
        TreeIo io = TreeIo.now().minus(ioBefore);
        Disk disk = Disk.of(localDir).minus(before);
        String appId = MapReduceIT.appOf(job).toString();
        Optional<WatchingExecutor.StageSample> stage = executor.lastStage(appId);
        perShape.put(shape, new Shape(shape, appId, disk, io, millis, evicted, machine, stage,
            stage.map(x -> x.evictedBytes() - evictedBefore).orElse(0L),
            stage.map(x -> x.machine().minus(machineBefore)).orElse(machine), List.of()));
      }
      // The test's input deleted, as an application deletes its files: page cache of it that a container was first to
      // read back (DAMON pages out part of it whatever the test does) is then gone from any cgroup kept for it.
      try (java.util.stream.Stream<Path> files = Files.list(input)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      DyingMemcgs.Left left = leftOnceEnded(executor, driver, root, baseline, mode);
      // Every container has ended and been cleaned up by now: each one's end, per job.
      for (Map.Entry<String, Shape> e : perShape.entrySet()) {
        Shape s = e.getValue();
        e.setValue(new Shape(s.name(), s.appId(), s.disk(), s.io(), s.millis(), s.evicted(), s.machine(), s.stage(),
            s.evictedBeforeStage(), s.machineBeforeStage(), containerEnds(executor, s.appId())));
      }
      return new Figures(mode, executor.memcgs().policy(), perShape, executor.memcgs().counters().snapshot(), left);
    } finally {
      YarnClusters.stopThenRemove(driver, root, cluster);
    }
  }

  /** Every container cgroup left under the root is empty and unprotected: kept by the policy, not running. */
  private static boolean allKept(Path root, WatchingExecutor executor) {
    try {
      return executor.memcgs().containerIds().stream().allMatch(id -> YarnClusters.isRetired(root.resolve(id)));
    } catch (IOException e) {
      return false;
    }
  }

  /** Each container of the application at its end: a map, a reduce or the AM, by what it ran. */
  private static List<ContainerEnd> containerEnds(WatchingExecutor executor, String appId) throws Exception {
    List<ContainerEnd> ends = new ArrayList<>();
    for (String id : executor.containersOf(appId)) {
      String command = executor.commands.getOrDefault(id, "");
      String kind = command.matches(".*attempt_\\d+_\\d+_m_.*") ? "map"
          : command.matches(".*attempt_\\d+_\\d+_r_.*") ? "reduce" : command.contains("MRAppMaster") ? "am" : "?";
      Completion c = executor.completions.get(id);
      MemoryStats s = c == null ? MemoryStats.unknown() : c.finalStats().orElse(MemoryStats.unknown());
      long evicted = c == null || !c.cleanup().isDone() ? MemoryStats.UNKNOWN : c.cleanup().get().evictedBytes();
      ends.add(new ContainerEnd(id, kind, s.limit(), s.peak(), s.limitHits(), evicted));
    }
    return ends;
  }

  /** An operator's configuration with one drain setting: "off", "default" or "container-exit" (the eager drain). */
  static YarnConfiguration drainConfiguration(Path root, String mode) {
    YarnConfiguration conf = YarnClusters.logsDeletedAtApplicationEnd(
        YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
    if (mode.equals("off")) {
      conf.set(MemcgKeys.DRAIN_ENABLED.name(), "false");
    } else if (mode.equals("container-exit")) {
      conf.set(MemcgKeys.DRAIN_WHEN.name(), "container-exit");
    }
    return conf;
  }

  /** Once the applications have ended (their local dirs deleted), every cgroup gone, and what stayed dying. */
  static DyingMemcgs.Left leftOnceEnded(MemcgContainerExecutor executor, CgroupDriver driver, Path root,
      long baseline, String mode) throws Exception {
    // Removed, or retired with page cache others may read again (the JDK's files a task JVM read back after the
    // machine paged them out): what the retired ones hold is reported, not bounded; none is dying.
    YarnClusters.awaitEveryCgroupCleaned(executor.memcgs());
    // Read now, as the periodic pass would: what they hold once the applications' (and the test's) files are gone.
    executor.memcgs().lookAtRetired();
    List<WaitingCgroup> retired = executor.memcgs().waiting();
    System.out.printf("[measure] shuffle cost, %s: once the applications ended %d cgroup(s) retired, holding %.1f"
        + " MiB%n", mode, retired.size(), retired.stream().mapToLong(WaitingCgroup::held).sum() / (double) ONE_MB);
    // On v2 a removed memcg whose container dirtied inodes stays dying until the flusher has written them (30 s)
    // and the writeback nudge has run: the count is polled that long there.
    long settle = mode.equals("off") ? 0 : driver.mount().version() == CgroupVersion.V2 ? 90_000 : 10_000;
    return DyingMemcgs.leftUnder(driver, root, baseline, settle);
  }

  /**
   * Nothing of the root's stays dying: v2 counts the root's dying descendants; v1 only pages pin a removed memcg. (On
   * 7.1+ the root itself holds its removed children's page cache, so v2 cannot be judged by pages held.)
   */
  static boolean noneDying(DyingMemcgs.Left left) {
    return left.underRoot().map(u -> u.descendants() <= 0).orElse(left.nothingPinned());
  }

  /**
   * Text the size of one map's input, written and synced by this JVM, so it is cached and clean before the job (as a
   * hot input is).
   */
  static void cachedText(Path file, int mib) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; b.length() < ONE_MB; i++) {
      b.append(UUID.nameUUIDFromBytes(Integer.toString(i).getBytes(StandardCharsets.US_ASCII))).append('\n');
    }
    byte[] chunk = b.toString().getBytes(StandardCharsets.US_ASCII);
    try (java.io.FileOutputStream out = new java.io.FileOutputStream(file.toFile())) {
      for (int i = 0; i < mib; i++) {
        out.write(chunk);
      }
      // Written back now, not by the flusher 30 s later in the middle of a measured job (it was, once: 162 MiB).
      out.getFD().sync();
    }
  }

  static Job job(Configuration clusterConf, String name, Path input, float slowstart) throws IOException {
    // Room under the 512 MiB of a task container: a 256 MiB heap (about 330 MiB of anonymous memory with the JVM's
    // own) beside the map output (about 50 MiB), so that no map evicts its own output at its limit, in any setting;
    // a 100 MiB sort buffer holds a map's 48 MiB with its metadata, so each map spills once and merges nothing.
    Configuration conf = MapReduceIT.jobConf(clusterConf, "-Xmx256m", "-Xmx256m", 100);
    conf.setFloat(MRJobConfig.COMPLETED_MAPS_FOR_REDUCE_SLOWSTART, slowstart);
    // The client sees the job complete within 100 ms (not the default 5 s), before its application ends: the
    // plugin's counter is read then.
    conf.setInt(Job.COMPLETION_POLL_INTERVAL_KEY, 100);
    Job job = Job.getInstance(conf, name);
    job.setMapperClass(PassMapper.class);
    job.setReducerClass(CountReducer.class);
    job.setNumReduceTasks(2);
    job.setMapOutputKeyClass(Text.class);
    job.setMapOutputValueClass(NullWritable.class);
    job.setOutputKeyClass(LongWritable.class);
    job.setOutputValueClass(NullWritable.class);
    FileInputFormat.addInputPath(job, new org.apache.hadoop.fs.Path(input.toUri()));
    // One map per file, whatever the local filesystem's 32 MiB block size.
    FileInputFormat.setMinInputSplitSize(job, 1L << 30);
    FileOutputFormat.setOutputPath(job, new org.apache.hadoop.fs.Path(work.resolve(name + "-out").toUri()));
    return job;
  }
}
