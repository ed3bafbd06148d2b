package io.github.yarnmemcg.nodemanager;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.compat.DigitJob;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.lifecycle.WaitingCgroup;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.MRConfig;
import org.apache.hadoop.mapreduce.MRJobConfig;
import org.apache.hadoop.mapreduce.Mapper;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.TaskCompletionEvent;
import org.apache.hadoop.mapreduce.TaskCounter;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.mapreduce.v2.jobhistory.JHAdminConfig;
import org.apache.hadoop.service.Service;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real MapReduce jobs on a MiniMRYarnCluster whose NodeManager runs {@link MemcgContainerExecutor} on this
 * machine's memory controller, one cluster for the class: a job over a few hundred MB of fresh input runs
 * every task attempt in its own memcg (recorded from inside each task) and leaves no cgroup and no dying memcg;
 * a job with one mapper allocating past {@code mapreduce.map.memory.mb} has that attempt OOM-killed by the
 * kernel, says so in the attempt's diagnostics, and its other tasks and the NodeManager carry on.
 */
class MapReduceIT {
  private static final String SIDE_DIR = "yarn-memcg.it.side-dir";
  private static final String HOG_PREFIX = "hog";
  private static final String FAST_JVM = " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

  @TempDir
  static Path work;

  static CgroupDriver driver;
  static Path root;
  static MiniMRYarnCluster cluster;
  static YarnClient yarn;

  /**
   * MiniMRYarnCluster.serviceInit sets the executor to DefaultContainerExecutor right before it creates the
   * NodeManager; createResourceManager runs after that, on the same conf, so the executor is set again there.
   */
  static final class MemcgMiniMRYarnCluster extends MiniMRYarnCluster {
    MemcgMiniMRYarnCluster(String name) {
      super(name, 1);
    }

    @Override
    protected ResourceManager createResourceManager() {
      getConfig().set(YarnConfiguration.NM_CONTAINER_EXECUTOR, MemcgContainerExecutor.class.getName());
      return super.createResourceManager();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    RealCgroups.require();
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    driver = CgroupDrivers.forMount(mount);
    root = mount.path().resolve("yarn-memcg-it-mr-" + UUID.randomUUID().toString().substring(0, 8));
    YarnConfiguration conf = YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName());
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 4096);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    conf.setBoolean(MRConfig.MAPREDUCE_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    // MiniMRYarnCluster.MR_HISTORY_MINICLUSTER_ENABLED, a constant only Hadoop 3.5 has.
    conf.setBoolean("mapreduce.jobhistory.minicluster.enabled", false);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    cluster = new MemcgMiniMRYarnCluster("memcg-mr");
    cluster.init(conf);
    cluster.start();
    assertEquals(MemcgContainerExecutor.class, executor().getClass());
    yarn = YarnClient.createYarnClient();
    yarn.init(cluster.getConfig());
    yarn.start();
  }

  @AfterAll
  static void stop() throws Exception {
    YarnClusters.stopThenRemove(driver, root, yarn, cluster);
  }

  static MemcgContainerExecutor executor() {
    return (MemcgContainerExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
  }

  /** Writes, from inside a task, which container it is and which cgroups it is in. */
  static void record(Mapper<?, ?, ?, ?>.Context ctx, String input) throws IOException {
    record(ctx.getConfiguration(), ctx.getTaskAttemptID(), input);
  }

  static void record(Configuration conf, TaskAttemptID attempt, String input) throws IOException {
    Path side = Path.of(conf.get(SIDE_DIR));
    Files.writeString(side.resolve(attempt.toString()), "CONTAINER_ID=" + System.getenv("CONTAINER_ID") + "\n"
        + "INPUT=" + input + "\n" + Files.readString(Path.of("/proc/self/cgroup")));
  }

  /**
   * The compat matrix's mapper (counts lines by their last digit, in memory, and emits the ten counts at the end:
   * little CPU per record), recording where it runs as this test reads it, and allocating until OOM-killed when its
   * input is a hog's.
   */
  public static class DigitMapper extends DigitJob.DigitMapper {
    @Override
    protected void setup(Context ctx) throws IOException {
      String input = ((FileSplit) ctx.getInputSplit()).getPath().getName();
      record(ctx, input);
      if (input.startsWith(HOG_PREFIX)) {
        hog();
      }
    }

    /** Allocates and touches heap until the kernel kills this JVM; the heap may grow past the container. */
    private static void hog() {
      List<byte[]> held = new ArrayList<>();
      for (int i = 0; i < 1024; i++) {
        byte[] chunk = new byte[(int) ONE_MB];
        java.util.Arrays.fill(chunk, (byte) 1);
        held.add(chunk);
      }
      throw new IllegalStateException("allocated " + held.size() + " MiB without being OOM-killed");
    }
  }

  /** The compat matrix's reducer (sums the counts), recording where it runs as this test reads it. */
  public static class SumReducer extends DigitJob.SumReducer {
    @Override
    protected void setup(Context ctx) throws IOException {
      record(ctx.getConfiguration(), ctx.getTaskAttemptID(), "shuffle");
    }
  }

  /**
   * A job configuration that fits 2 cores on a mini cluster without a history server: JAVA_HOME for every
   * container, a 768 MB AM and 512 MB tasks with fast-starting JVMs, no speculation, reduces after every map.
   */
  static Configuration jobConf(Configuration clusterConf, String mapJavaOpts, String reduceJavaOpts, int sortMb) {
    Configuration conf = new Configuration(clusterConf);
    String javaHome = "JAVA_HOME=" + System.getProperty("java.home");
    conf.set(JHAdminConfig.MR_HISTORY_ADDRESS, "");
    conf.set(MRJobConfig.MR_AM_ENV, javaHome);
    conf.set(MRJobConfig.MAP_ENV, javaHome);
    conf.set(MRJobConfig.REDUCE_ENV, javaHome);
    conf.setInt(MRJobConfig.MR_AM_VMEM_MB, 768);
    conf.set(MRJobConfig.MR_AM_COMMAND_OPTS, "-Xmx512m" + FAST_JVM);
    conf.setInt(MRJobConfig.MAP_MEMORY_MB, 512);
    conf.setInt(MRJobConfig.REDUCE_MEMORY_MB, 512);
    conf.set(MRJobConfig.MAP_JAVA_OPTS, mapJavaOpts + FAST_JVM);
    conf.set(MRJobConfig.REDUCE_JAVA_OPTS, reduceJavaOpts + FAST_JVM);
    conf.setInt(MRJobConfig.IO_SORT_MB, sortMb);
    conf.setBoolean(MRJobConfig.MAP_SPECULATIVE, false);
    conf.setBoolean(MRJobConfig.REDUCE_SPECULATIVE, false);
    conf.setFloat(MRJobConfig.COMPLETED_MAPS_FOR_REDUCE_SLOWSTART, 1.0f);
    return conf;
  }

  static Job job(String name, Path input, Path side, int reduces, String mapJavaOpts) throws IOException {
    Configuration conf = jobConf(cluster.getConfig(), mapJavaOpts, "-Xmx400m", 16);
    conf.set(SIDE_DIR, side.toString());
    Job job = Job.getInstance(conf, name);
    job.setMapperClass(DigitMapper.class);
    job.setReducerClass(SumReducer.class);
    job.setNumReduceTasks(reduces);
    job.setOutputKeyClass(LongWritable.class);
    job.setOutputValueClass(LongWritable.class);
    FileInputFormat.addInputPath(job, new org.apache.hadoop.fs.Path(input.toUri()));
    FileOutputFormat.setOutputPath(job, new org.apache.hadoop.fs.Path(work.resolve(name + "-out").toUri()));
    return job;
  }

  static ApplicationId appOf(Job job) {
    return ApplicationId.newInstance(Long.parseLong(job.getJobID().getJtIdentifier()), job.getJobID().getId());
  }

  /** What one task attempt wrote from inside its container. */
  record Recorded(String attempt, String containerId, String input, Optional<Path> cgroup) {}

  static List<Recorded> recorded(Path side) throws IOException {
    List<Recorded> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(side)) {
      for (Path f : files.sorted().toList()) {
        String text = Files.readString(f);
        Map<String, String> kv = new HashMap<>();
        for (String line : text.split("\n")) {
          int eq = line.indexOf('=');
          if (eq > 0 && !line.contains(":")) {
            kv.put(line.substring(0, eq), line.substring(eq + 1));
          }
        }
        all.add(new Recorded(f.getFileName().toString(), kv.get("CONTAINER_ID"), kv.get("INPUT"),
            driver.mount().cgroupOfProcess(text)));
      }
    }
    return all;
  }

  /** The AM container seen from outside: its pid from the executor, its cgroup and CONTAINER_ID from /proc. */
  static void assertAppMasterInItsCgroup(Job job) throws Exception {
    ContainerId am = ContainerId.newContainerId(ApplicationAttemptId.newInstance(appOf(job), 1), 1);
    String pid = Await.value("the AM container " + am + " to run", Duration.ofSeconds(60),
        () -> Optional.ofNullable(executor().getProcessId(am)));
    String environ = Files.readString(Path.of("/proc", pid, "environ"), StandardCharsets.ISO_8859_1);
    assertTrue(List.of(environ.split("\0")).contains("CONTAINER_ID=" + am), "pid " + pid + " is the AM");
    assertEquals(Optional.of(root.resolve(am.toString())),
        driver.mount().cgroupOfProcess(Files.readString(Path.of("/proc", pid, "cgroup"))),
        "the AM runs in its own memcg");
  }

  /** The containers the NodeManager launched for an application: one log dir each, whatever the tasks did. */
  static Set<String> launchedContainers(ApplicationId app) throws IOException {
    Set<String> ids = new HashSet<>();
    for (String dir : cluster.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
      Path appLogs = Path.of(dir, app.toString());
      if (Files.isDirectory(appLogs)) {
        try (Stream<Path> s = Files.list(appLogs)) {
          s.forEach(p -> ids.add(p.getFileName().toString()));
        }
      }
    }
    return ids;
  }

  /** Every container cgroup removed, or retired with page cache someone may read again. @return the retired ones */
  static List<WaitingCgroup> awaitNoContainerCgroups() throws Exception {
    return YarnClusters.awaitEveryCgroupCleaned(executor().memcgs());
  }

  @Test
  void jobOverFreshInputRunsEveryAttemptInItsOwnMemcgAndLeavesNoDyingMemcg() throws Exception {
    int files = 8;
    int mibPerFile = 32;
    Path input = Files.createDirectories(work.resolve("input-a"));
    for (int i = 0; i < files; i++) {
      Workloads.freshTextFile(input, "part-" + i, mibPerFile);
    }
    Path side = Files.createDirectories(work.resolve("side-a"));
    awaitNoContainerCgroups();
    long baseline = DyingMemcgs.stableBaseline(driver);

    Job job = job("fresh-input", input, side, 2, "-Xmx400m");
    long began = System.nanoTime();
    job.submit();
    assertAppMasterInItsCgroup(job);
    assertTrue(job.waitForCompletion(false), "job " + job.getJobID() + " succeeded: " + job.getStatus());
    long jobMillis = (System.nanoTime() - began) / 1_000_000;

    long counted = 0;
    for (String line : readOutput(work.resolve("fresh-input-out"))) {
      counted += Long.parseLong(line.split("\t")[1]);
    }
    // The ground truth is the input itself: the job's counters, fetched from the AM or the history server once
    // the job is over, came back once without MAP_INPUT_RECORDS (0) on a loaded CI machine.
    long inputRecords = DigitJob.linesIn(input);
    assertEquals(inputRecords, counted, "the reduces summed every line of the input: " + job.getCounters()
        .findCounter(TaskCounter.MAP_INPUT_RECORDS).getValue() + " map input records counted by the job");

    List<Recorded> tasks = recorded(side);
    assertEquals(files + 2, tasks.size(), "one record per map and reduce attempt: " + tasks);
    Set<String> containers = new HashSet<>();
    for (Recorded t : tasks) {
      assertTrue(containers.add(t.containerId()), "each attempt in its own container: " + tasks);
      assertEquals(Optional.of(root.resolve(t.containerId())), t.cgroup(), t.attempt() + " ran in its own memcg");
    }
    List<WaitingCgroup> retired = awaitNoContainerCgroups();
    long retiredAll = executor().memcgs().counters().snapshot().retiredBytes();
    Set<String> launched = launchedContainers(appOf(job));
    containers.add(ContainerId.newContainerId(ApplicationAttemptId.newInstance(appOf(job), 1), 1).toString());
    assertEquals(containers, launched, "every launched container is the AM or a recorded attempt");

    DyingMemcgs.Left left = DyingMemcgs.leftUnder(driver, root, baseline, 10_000);
    System.out.printf("[measure] MapReduce job over %d x %d MiB fresh input, %d maps + 2 reduces: %d ms,"
        + " %d containers, %d input records; after: %s, counters %s%n",
        files, mibPerFile, files, jobMillis, launched.size(), inputRecords, left,
        executor().memcgs().counters().snapshot());
    System.out.println("[measure] MapReduce job: metrics through JMX " + YarnClusters.metricsThroughJmx());
    assertTrue(left.nothingPinned(), "the job's containers left no dying memcg: " + left);
    if (executor().memcgs().policy() == CleanupPolicy.RETIRE) {
      // The maps were first to read the fresh input: it stays cached, in their retired cgroups, for the next job.
      long inputBytes = (long) files * (mibPerFile - 1) * ONE_MB;
      long held = retired.stream().filter(w -> containers.contains(w.containerId())).mapToLong(WaitingCgroup::held)
          .sum();
      System.out.printf("[measure] MapReduce job: %d of its containers retired once it ended, holding %.1f MiB%n",
          retired.stream().filter(w -> containers.contains(w.containerId())).count(), held / (double) ONE_MB);
      assertTrue(held >= inputBytes, "the maps' retired cgroups keep their fresh input cached: " + retired.size());
      // Deleted (the data set dropped), it goes without eviction.
      FileUtils.deleteDirectory(input.toFile());
      Await.until("the input's page cache gone from the retired cgroups", Duration.ofSeconds(60), () -> {
        executor().memcgs().lookAtRetired();
        return executor().memcgs().counters().snapshot().retiredBytes() <= retiredAll - inputBytes;
      });
    }
  }

  @Test
  void mapperAllocatingPastItsMemoryIsOomKilledAndTheOtherTasksFinish() throws Exception {
    Path input = Files.createDirectories(work.resolve("input-b"));
    Workloads.freshTextFile(input, "part-0", 1);
    Workloads.freshTextFile(input, "part-1", 1);
    Workloads.freshTextFile(input, HOG_PREFIX + "-2", 1);
    Path side = Files.createDirectories(work.resolve("side-b"));
    long oomBefore = executor().memcgs().counters().snapshot().oomKills();

    // The heap may grow to 1 GiB in a 512 MiB container; one attempt per map, and one failed map of three is
    // allowed, so the job shows what happens to the others rather than stopping at the first failure.
    Job job = job("hog", input, side, 1, "-Xmx1024m");
    job.getConfiguration().setInt(MRJobConfig.MAP_MAX_ATTEMPTS, 1);
    job.getConfiguration().setInt(MRJobConfig.MAP_FAILURES_MAX_PERCENT, 34);
    long began = System.nanoTime();
    job.submit();
    Map<TaskAttemptID, String[]> failed = new HashMap<>();
    List<TaskCompletionEvent> events = new ArrayList<>();
    Await.until("job " + job.getJobID() + " to end", Duration.ofMinutes(3), () -> {
      // Diagnostics come from the AM, so they are read while it runs: there is no JobHistoryServer here.
      for (TaskCompletionEvent e : job.getTaskCompletionEvents(events.size(), 10)) {
        events.add(e);
        if (e.getStatus() == TaskCompletionEvent.Status.FAILED
            || e.getStatus() == TaskCompletionEvent.Status.TIPFAILED) {
          failed.put(e.getTaskAttemptId(), job.getTaskDiagnostics(e.getTaskAttemptId()));
        }
      }
      return job.isComplete();
    });
    long jobMillis = (System.nanoTime() - began) / 1_000_000;
    assertTrue(job.isSuccessful(), "one failed map of three is within the allowed failures: " + job.getStatus());

    assertEquals(1, failed.size(), "exactly one attempt failed: " + events);
    Map.Entry<TaskAttemptID, String[]> hog = failed.entrySet().iterator().next();
    String diagnostics = String.join("\n", hog.getValue());
    System.out.println("[measure] MapReduce OOM job: " + jobMillis + " ms; failed attempt " + hog.getKey()
        + " diagnostics:\n" + diagnostics);
    assertTrue(diagnostics.contains("Container killed by the kernel OOM killer in its memory cgroup"), diagnostics);
    assertTrue(diagnostics.contains("limit 512 MiB"), diagnostics);

    List<Recorded> tasks = recorded(side);
    Recorded hogTask = tasks.stream().filter(t -> t.attempt().equals(hog.getKey().toString())).findFirst()
        .orElseThrow(() -> new AssertionError("the failed attempt recorded nothing: " + tasks));
    assertTrue(hogTask.input().startsWith(HOG_PREFIX), "the attempt that failed is the one that allocated");
    assertTrue(diagnostics.contains(root.resolve(hogTask.containerId()).toString()), diagnostics);
    long succeeded = events.stream().filter(e -> e.getStatus() == TaskCompletionEvent.Status.SUCCEEDED).count();
    assertEquals(3, succeeded, "both other maps and the reduce succeeded: " + events);
    for (Recorded t : tasks) {
      assertEquals(Optional.of(root.resolve(t.containerId())), t.cgroup(), t.attempt() + " ran in its own memcg");
    }
    assertEquals(1, executor().memcgs().counters().snapshot().oomKills() - oomBefore, "one OOM kill on the node");
    assertEquals(Service.STATE.STARTED, cluster.getNodeManager(0).getServiceState());
    assertEquals(1, yarn.getNodeReports(NodeState.RUNNING).size(), "the NodeManager is still RUNNING and healthy");
    awaitNoContainerCgroups();
  }

  static List<String> readOutput(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(dir)) {
      for (Path p : parts.filter(p -> p.getFileName().toString().startsWith("part-r-")).sorted().toList()) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    return lines;
  }
}
