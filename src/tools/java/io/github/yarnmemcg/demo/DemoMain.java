package io.github.yarnmemcg.demo;

import static org.apache.commons.io.FileUtils.ONE_MB;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cli.Sweep;
import io.github.yarnmemcg.cli.Table;
import io.github.yarnmemcg.cli.Target;
import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleCounters;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.WaitingCgroup;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import io.github.yarnmemcg.testing.DyingMemcgs;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.YarnClusters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.MRConfig;
import org.apache.hadoop.mapreduce.MRJobConfig;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.map.RegexMapper;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.hadoop.mapreduce.lib.reduce.LongSumReducer;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;

/**
 * {@code ./dist/bin/yarn-memcg demo}: an embedded one-node YARN (MiniMRYarnCluster) with the plugin configured
 * from the shipped conf/yarn-site.xml, on this machine's real memory cgroups under a unique root that is removed
 * at the end. It runs a MapReduce job over fresh input and three containers: one that reads more file data than
 * its limit, one that allocates anonymous memory, one that goes past its limit. It prints progress, then a
 * table per container, the node's dying-memcg count before and after, and a measured counterfactual, and exits
 * 1 if a guarantee failed (2 if it could not run).
 */
public final class DemoMain {

  private static final int JOB_FILES = 2;
  private static final int JOB_FILE_MIB = 32;
  private static final int READER_FILE_MIB = 256;
  private static final int READER_LIMIT_MB = 128;
  private static final int ANON_MIB = 160;
  private static final int ANON_LIMIT_MB = 256;
  private static final int OOM_ALLOC_MIB = 512;
  private static final int OOM_LIMIT_MB = 128;
  private static final Duration DEADLINE = Duration.ofMinutes(5);

  private final PrintStream out;
  private final Path work;
  private final Path yarnSite;
  private final long begun = System.nanoTime();

  /** What the demo heard about each container, by id. */
  private final Map<String, String> roles = new ConcurrentHashMap<>();
  private final Map<String, Long> limits = new ConcurrentHashMap<>();
  private final Map<String, Integer> exitCodes = new ConcurrentHashMap<>();
  private final Map<String, Completion> completions = new ConcurrentHashMap<>();
  private final Map<String, CleanupResult> cleanups = new ConcurrentHashMap<>();
  /** The containers whose cgroup was still retired when the NodeManager stopped, removed by the sweep. */
  private final java.util.Set<String> swept = ConcurrentHashMap.newKeySet();
  private final List<String> failures = new ArrayList<>();
  /** Held so that the level set on it stays: Guice's servlet filter warns about nothing on every cluster start. */
  private final java.util.logging.Logger guice = java.util.logging.Logger.getLogger("com.google.inject.servlet");

  DemoMain(PrintStream out, Path work, Path yarnSite) {
    this.out = out;
    this.work = work.toAbsolutePath();
    this.yarnSite = yarnSite;
  }

  /** Arguments: the work directory (default target/yarn-memcg-demo), the yarn-site.xml (default conf/yarn-site.xml). */
  static final String USAGE = String.join("\n",
      "usage: yarn-memcg demo",
      "  Starts a one-node YARN cluster (MiniYARNCluster) with the plugin on this machine's memory cgroups, runs a",
      "  few containers, shows their cgroups and what is left after they end, then stops and removes everything.",
      "  Needs root (a writable memory cgroup controller) and a source checkout. No options.");

  /**
   * Arguments: the work directory and the yarn-site.xml (bin/yarn-memcg passes both), then the operator's, which
   * may only ask for help: the demo never starts on a word it does not know.
   */
  public static void main(String[] args) throws Exception {
    OptionalInt exit = refuseOrHelp(args, System.out, System.err);
    if (exit.isPresent()) {
      System.exit(exit.getAsInt());
    }
    Path work = Path.of(args.length > 0 ? args[0] : "target/yarn-memcg-demo");
    Path yarnSite = Path.of(args.length > 1 ? args[1] : "conf/yarn-site.xml");
    System.exit(new DemoMain(System.out, work, yarnSite).run());
  }

  /** The exit code when the arguments ask for help (0) or are wrong (2); empty when the demo may run. */
  static OptionalInt refuseOrHelp(String[] args, PrintStream out, PrintStream err) {
    for (int i = Math.min(2, args.length); i < args.length; i++) {
      if (args[i].equals("--help") || args[i].equals("-h")) {
        out.println(USAGE);
        return OptionalInt.of(0);
      }
      err.println("yarn-memcg demo: unexpected argument '" + args[i] + "'\n" + USAGE);
      return OptionalInt.of(2);
    }
    return OptionalInt.empty();
  }

  int run() throws Exception {
    guice.setLevel(java.util.logging.Level.SEVERE);
    Optional<String> unavailable = RealCgroups.unavailableReason();
    if (unavailable.isPresent()) {
      out.println("yarn-memcg demo needs a writable memory cgroup controller (run as root): " + unavailable.get());
      return 2;
    }
    MemoryMount mount = MemoryMount.discover(Optional.empty());
    CgroupDriver driver = CgroupDrivers.forMount(mount);
    Path root = mount.path().resolve("yarn-memcg-demo-" + UUID.randomUUID().toString().substring(0, 8));
    FileUtils.deleteDirectory(work.toFile());
    Files.createDirectories(work);
    MiniMRYarnCluster cluster = null;
    try {
      say("yarn-memcg demo: cgroup %s memory controller at %s, root %s", mount.version().name().toLowerCase(),
          mount.path(), root);
      long dyingBefore = DyingMemcgs.stableBaseline(driver);
      say("node dying memcgs before: %d", dyingBefore);
      cluster = startCluster(root);
      return runWorkload(cluster, driver, root, dyingBefore);
    } finally {
      if (cluster != null && !cluster.isInState(org.apache.hadoop.service.Service.STATE.STOPPED)) {
        say("stopping the cluster");
        cluster.stop();
      }
      RealCgroups.removeTree(driver, root);
      say("removed %s: %s", root, Files.exists(root) ? "NO" : "yes");
      FileUtils.deleteDirectory(work.toFile());
    }
  }

  private MiniMRYarnCluster startCluster(Path root) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    conf.addResource(new org.apache.hadoop.fs.Path(yarnSite.toAbsolutePath().toString()));
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", 4096);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    conf.setBoolean(MRConfig.MAPREDUCE_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    // MiniMRYarnCluster.MR_HISTORY_MINICLUSTER_ENABLED, a constant only Hadoop 3.5 has.
    conf.setBoolean("mapreduce.jobhistory.minicluster.enabled", false);
    conf.set("test.build.data", work.resolve("cluster").toAbsolutePath().toString());
    // The demo reads no container log, and a NodeManager stopping while it still holds an ended application's
    // logs waits for them (17 s at the end of every demo).
    conf.setLong(YarnConfiguration.NM_LOG_RETAIN_SECONDS, 0);
    say("starting a one-node YARN cluster (MiniMRYarnCluster) with %s, settings from %s",
        DemoExecutor.class.getSuperclass().getSimpleName(), yarnSite);
    System.setProperty("test.build.data", work.resolve("cluster").toAbsolutePath().toString());
    MiniMRYarnCluster cluster = new MiniMRYarnCluster("yarn-memcg-demo", 1) {
      @Override
      protected ResourceManager createResourceManager() {
        // MiniMRYarnCluster.serviceInit overwrites the executor class with DefaultContainerExecutor just before
        // this call, on the configuration the NodeManager is created from: set it back.
        getConfig().set(YarnConfiguration.NM_CONTAINER_EXECUTOR, DemoExecutor.class.getName());
        return super.createResourceManager();
      }
    };
    cluster.init(conf);
    cluster.start();
    Object executor = cluster.getNodeManager(0).getNMContext().getContainerExecutor();
    if (!(executor instanceof DemoExecutor)) {
      throw new IllegalStateException("the NodeManager runs " + executor.getClass().getName() + ", not the plugin");
    }
    say("cluster up: the NodeManager runs %s (the plugin's %s, telling the demo about each container)",
        executor.getClass().getSimpleName(), executor.getClass().getSuperclass().getSimpleName());
    return cluster;
  }

  private int runWorkload(MiniMRYarnCluster cluster, CgroupDriver driver, Path root, long dyingBefore)
      throws Exception {
    DemoExecutor executor = (DemoExecutor) cluster.getNodeManager(0).getNMContext().getContainerExecutor();
    executor.listen(new Progress());
    List<Path> inputs = new ArrayList<>();
    Files.createDirectories(work.resolve("input"));
    for (int i = 1; i <= JOB_FILES; i++) {
      inputs.add(FreshText.write(work.resolve("input").resolve("part-" + i + ".txt"), JOB_FILE_MIB));
    }
    Path readerInput = FreshText.write(work.resolve("reader-input.txt"), READER_FILE_MIB);
    say("wrote fresh input with O_DIRECT (not in any page cache): job %d x %d MiB, reader %d MiB", JOB_FILES,
        JOB_FILE_MIB, READER_FILE_MIB);

    PeakSampler peaks = new PeakSampler(executor.memcgs(), 100);
    Job job = submitJob(cluster.getConfig());
    YarnClient yarn = YarnClient.createYarnClient();
    yarn.init(cluster.getConfig());
    yarn.start();
    Map<String, ApplicationId> apps = new java.util.LinkedHashMap<>();
    apps.put("reader", submit(yarn, "reader", "dd if=" + readerInput + " of=/dev/null bs=1M", READER_LIMIT_MB));
    apps.put("anon", submit(yarn, "anon", perlAllocate(ANON_MIB), ANON_LIMIT_MB));
    apps.put("oom", submit(yarn, "oom", perlAllocate(OOM_ALLOC_MIB), OOM_LIMIT_MB));
    say("submitted: MapReduce job (grep '%s' over %d MiB: %d maps, 1 reduce); reader (%d MiB of files, limit %d"
        + " MiB); anon (%d MiB anonymous, limit %d MiB); oom (%d MiB anonymous, limit %d MiB)", FreshText.NEEDLE,
        JOB_FILES * JOB_FILE_MIB, JOB_FILES, READER_FILE_MIB, READER_LIMIT_MB, ANON_MIB, ANON_LIMIT_MB,
        OOM_ALLOC_MIB, OOM_LIMIT_MB);

    long deadline = System.nanoTime() + DEADLINE.toNanos();
    boolean jobOk = awaitJob(job, deadline);
    for (Map.Entry<String, ApplicationId> app : apps.entrySet()) {
      awaitApplication(yarn, app.getValue(), deadline);
    }
    yarn.stop();
    retiredThenDeleted(executor, inputs, readerInput);
    List<WaitingCgroup> kept = awaitCleanups(executor.memcgs(), deadline);
    peaks.close();
    completions.forEach((id, c) -> c.finalStats().ifPresent(s -> peaks.add(id, s)));

    say("stopping the cluster: the NodeManager leaves the %d cgroup(s) still retired under the root, for its next"
        + " start to adopt", kept.size());
    cluster.stop();
    sweepAsAnOperatorWould(driver, root, executor.memcgs().settings());
    long held = DyingMemcgs.heldByRemovedChildren(driver, root);
    List<String> left = driver.fs().subdirectories(root);
    long added = DyingMemcgs.addedSince(driver, dyingBefore, 5_000);
    Control control = control(driver, root);

    report(peaks, jobOk, job, apps, held, left, dyingBefore, added, control);
    return failures.isEmpty() ? 0 : 1;
  }

  private Job submitJob(Configuration clusterConf) throws Exception {
    Configuration conf = new Configuration(clusterConf);
    String javaHome = "JAVA_HOME=" + System.getProperty("java.home");
    conf.set(MRJobConfig.MR_AM_ENV, javaHome);
    conf.set(MRJobConfig.MAP_ENV, javaHome);
    conf.set(MRJobConfig.REDUCE_ENV, javaHome);
    String fastJvm = " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
    conf.setInt(MRJobConfig.MR_AM_VMEM_MB, 768);
    conf.set(MRJobConfig.MR_AM_COMMAND_OPTS, "-Xmx512m" + fastJvm);
    conf.setInt(MRJobConfig.MAP_MEMORY_MB, 512);
    conf.setInt(MRJobConfig.REDUCE_MEMORY_MB, 512);
    conf.set(MRJobConfig.MAP_JAVA_OPTS, "-Xmx384m" + fastJvm);
    conf.set(MRJobConfig.REDUCE_JAVA_OPTS, "-Xmx384m" + fastJvm);
    conf.setInt(MRJobConfig.IO_SORT_MB, 16);
    conf.setBoolean(MRJobConfig.MAP_SPECULATIVE, false);
    conf.setBoolean(MRJobConfig.REDUCE_SPECULATIVE, false);
    // No JobHistoryServer runs: without this every status call after the AM exits retries a dead address.
    conf.set("mapreduce.jobhistory.address", "");
    conf.set(RegexMapper.PATTERN, FreshText.NEEDLE);
    Job job = Job.getInstance(conf, "yarn-memcg-demo-grep");
    job.setJarByClass(RegexMapper.class);
    job.setMapperClass(RegexMapper.class);
    job.setCombinerClass(LongSumReducer.class);
    job.setReducerClass(LongSumReducer.class);
    job.setOutputKeyClass(Text.class);
    job.setOutputValueClass(LongWritable.class);
    job.setNumReduceTasks(1);
    FileInputFormat.addInputPath(job, new org.apache.hadoop.fs.Path(work.resolve("input").toUri()));
    FileOutputFormat.setOutputPath(job, new org.apache.hadoop.fs.Path(work.resolve("output").toUri()));
    job.submit();
    return job;
  }

  /** A command that allocates and touches {@code mib} MiB of anonymous memory, holds it 2 s, and exits. */
  private static String perlAllocate(int mib) {
    // YARN runs the command inside double quotes (exec /bin/bash -c "..."): \$ reaches perl as $. The string
    // grows in place (x=), so the process holds mib MiB, not a temporary copy as well.
    return "perl -e '\\$x = q(a); \\$x x= (" + mib + " << 20); sleep 2'";
  }

  private static ApplicationId submit(YarnClient yarn, String role, String command, int memoryMb) throws Exception {
    YarnClientApplication app = yarn.createApplication();
    ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
    ctx.setApplicationName("yarn-memcg-demo-" + role);
    ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(Map.of(), Map.of(DemoExecutor.ROLE_ENV, role),
        List.of(command), null, null, null));
    ctx.setResource(Resource.newInstance(memoryMb, 1));
    ctx.setMaxAppAttempts(1);
    yarn.submitApplication(ctx);
    return ctx.getApplicationId();
  }

  private boolean awaitJob(Job job, long deadline) throws Exception {
    String last = "";
    for (int attempt = 0; !job.isComplete(); attempt++) {
      String now = String.format("MapReduce job: map %.0f%%, reduce %.0f%%", job.mapProgress() * 100,
          job.reduceProgress() * 100);
      if (!now.equals(last)) {
        say("%s", now);
        last = now;
      }
      if (!new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)).pause(attempt, deadline)) {
        failures.add("the MapReduce job did not finish within " + DEADLINE.toMinutes() + " minutes");
        return false;
      }
    }
    say("MapReduce job %s: %s", job.getJobID(), job.isSuccessful() ? "succeeded" : "FAILED");
    return job.isSuccessful();
  }

  private void awaitApplication(YarnClient yarn, ApplicationId app, long deadline) throws Exception {
    for (int attempt = 0; ; attempt++) {
      YarnApplicationState s = yarn.getApplicationReport(app).getYarnApplicationState();
      if (s == YarnApplicationState.FINISHED || s == YarnApplicationState.FAILED || s == YarnApplicationState.KILLED) {
        return;
      }
      if (!Backoff.STANDARD.pause(attempt, deadline)) {
        failures.add("application " + app + " did not end: " + s);
        return;
      }
    }
  }

  /**
   * What stays cached once the applications ended, and why: on a kernel that keeps a removed cgroup's page cache the
   * finished containers' cgroups that still hold some are retired (their files may be read again by the next
   * application, as a hot table is); then the demo deletes its input, as a dropped table would go, and they go
   * without eviction.
   */
  private void retiredThenDeleted(DemoExecutor executor, List<Path> inputs, Path readerInput) throws Exception {
    ContainerMemcgs memcgs = executor.memcgs();
    // Every cleanup has retired its cgroup or ended, and those holding almost nothing have been released.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int attempt = 0; !settled(memcgs) && Backoff.STANDARD.pause(attempt, deadline); attempt++) {
      // polls
    }
    List<WaitingCgroup> kept = memcgs.waiting();
    say("the applications ended; cleanup policy: %s", memcgs.policy().description());
    long heldAll = 0;
    for (WaitingCgroup w : kept) {
      heldAll += w.held();
      say("  retired %-44s %-10s holds %6s MiB of page cache (the files it read first: still cached for the next"
          + " reader)", w.containerId(), roles.getOrDefault(w.containerId(), "?"), Table.mib(w.held()));
    }
    say("%d cgroup(s) retired, holding %s MiB; the rest held less than retire.release-below-kb and went at once.",
        kept.size(), Table.mib(heldAll));
    say("deleting the demo's input files (as a dropped table or an expired data set goes): retired cgroups holding"
        + " them are released without eviction");
    for (Path p : inputs) {
      Files.delete(p);
    }
    Files.delete(readerInput);
  }

  private boolean settled(ContainerMemcgs memcgs) {
    LifecycleCounters.Snapshot s = memcgs.counters().snapshot();
    long threshold = memcgs.settings().retire().releaseBelowBytes();
    return roles.keySet().stream().allMatch(completions::containsKey) && s.pendingCleanups() == s.retired()
        && memcgs.waiting().stream().allMatch(w -> w.held() >= threshold);
  }

  /**
   * Waits until every container that started has completed and its cgroup's cleanup has ended, but for those
   * still retired because what they hold is not the deleted input: the first reader of a file that stays on disk
   * (the JDK's classes, perl, the job's jars) is charged for it, and the node keeps that cached for the next
   * container that reads it. Returns those.
   */
  private List<WaitingCgroup> awaitCleanups(ContainerMemcgs memcgs, long deadline) {
    for (int attempt = 0; ; attempt++) {
      // Looked at now, as the periodic pass would, sooner: released cgroups go once a reading confirms it.
      List<WaitingCgroup> kept = YarnClusters.keptRetired(memcgs);
      List<String> pending = new ArrayList<>();
      for (String id : roles.keySet()) {
        if (!cleanups.containsKey(id) && kept.stream().noneMatch(w -> w.containerId().equals(id))) {
          pending.add(id);
        }
      }
      if (pending.isEmpty()) {
        for (WaitingCgroup w : kept) {
          say("  still retired %-38s %-12s holds %6s MiB of files that stay on disk (the JDK's, perl's, the job's"
              + " jars): cached for the next container that reads them, until the kernel reclaims them or the"
              + " retire budget drains the cgroup", w.containerId(), roles.getOrDefault(w.containerId(), "?"),
              Table.mib(w.held()));
        }
        return kept;
      }
      if (!Backoff.STANDARD.pause(attempt, deadline)) {
        failures.add("containers not completed and cleaned in time: " + pending);
        return kept;
      }
    }
  }

  /**
   * What an operator runs once the NodeManager is gone, before the node is taken away: {@code yarn-memcg sweep
   * --apply}, through the sweep's own class and the command's settings from the node's, which drains each cgroup
   * left under the root and removes it.
   */
  private void sweepAsAnOperatorWould(CgroupDriver driver, Path root, LifecycleSettings node)
      throws IOException, InterruptedException {
    try (ContainerMemcgs memcgs = new ContainerMemcgs(driver, root, Target.forCommand(node))) {
      Sweep sweep = new Sweep(memcgs, Duration.ZERO);
      List<CleanupResult> results = sweep.apply(sweep.find(), Duration.ofSeconds(60));
      say("yarn-memcg sweep --apply: %d cgroup(s) left under the root", results.size());
      if (!results.isEmpty()) {
        out.print(Sweep.resultTable(results));
      }
      for (CleanupResult r : results) {
        cleanups.put(r.containerId(), r);
        swept.add(r.containerId());
      }
    }
  }

  /** The measured control: what the kernel does here with a memcg removed while it still holds page cache. */
  record Control(long chargedAtRmdir, long heldAfterRmdir, long dyingAdded, long heldAfterFileDeleted,
      long dyingAfterFileDeleted) {}

  /**
   * A cgroup that is not a container's reads a fresh file and is removed without a drain, as Hadoop's own
   * handler does; then its file is deleted, which frees the page cache and with it the dying memcg.
   */
  private Control control(CgroupDriver driver, Path root) throws Exception {
    say("control: a cgroup reads a fresh 16 MiB file and is removed WITHOUT a drain (as Hadoop's own handler does)");
    Path file = FreshText.write(work.resolve("control-input.txt"), 16);
    Path cgroup = root.resolve("control-undrained");
    driver.create(cgroup);
    Process p = new ProcessBuilder(driver.joinThenExec(cgroup,
        List.of("dd", "if=" + file, "of=/dev/null", "bs=1M", "iflag=noatime", "status=none"))).inheritIO().start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("the control reader failed");
    }
    long charged = driver.stats(cgroup).pageCache();
    long dyingBefore = DyingMemcgs.stableBaseline(driver);
    driver.delete(cgroup, System.nanoTime() + Duration.ofSeconds(5).toNanos());
    long held = DyingMemcgs.heldByRemovedChildren(driver, root);
    long added = driver.dyingMemcgs() - dyingBefore;
    Files.delete(file);
    long afterDelete = DyingMemcgs.addedSince(driver, dyingBefore, 5_000);
    return new Control(charged, held, added, DyingMemcgs.heldByRemovedChildren(driver, root), afterDelete);
  }

  private void report(PeakSampler peaks, boolean jobOk, Job job, Map<String, ApplicationId> apps, long held,
      List<String> left, long dyingBefore, long added, Control control) throws Exception {
    out.println();
    Table t = new Table("container", "role", "limit MiB", "peak MiB", "peak anon", "peak cache", "cache at exit",
        "freed w/o eviction", "evicted MiB", "waited s", "exit", "OOM", "cgroup removed", "dying if removed at exit");
    int pinned = 0;
    long pinnedBytes = 0;
    List<String> ids = new ArrayList<>(roles.keySet());
    ids.sort(null);
    for (String id : ids) {
      CleanupResult c = cleanups.get(id);
      Optional<MemoryStats> fin = Optional.ofNullable(completions.get(id)).flatMap(Completion::finalStats);
      boolean oom = fin.map(s -> s.oomKill() > 0).orElse(false);
      PeakSampler.Peak peak = peaks.peak(id);
      t.row(id, roles.get(id), Table.mib(limits.get(id)), fin.map(s -> Table.mib(s.peak())).orElse("?"),
          Table.mib(peak.anon()), Table.mib(peak.pageCache()), c == null ? "?" : drained(c.cachedAtExit()),
          c == null ? "?" : drained(c.freedWithoutEviction()), c == null ? "?" : drained(c.evictedBytes()),
          c == null ? "?" : String.format("%.1f", c.waitedNanos() / 1e9),
          String.valueOf(exitCodes.getOrDefault(id, -1)), oom ? "yes" : "no",
          c != null && c.removed() ? (swept.contains(id) ? "by sweep" : "yes") : "NO",
          c == null ? "?" : pinnedAtExit(c) > 0 ? "yes" : "no");
      if (c != null && pinnedAtExit(c) > 0) {
        pinned++;
        pinnedBytes += pinnedAtExit(c);
      }
      check(c != null && c.outcome() == CleanupResult.Outcome.CLEANED && c.removed(),
          id + " (" + roles.get(id) + "): cgroup drained and removed (" + (c == null ? "no cleanup" : c.outcome()) + ")");
      check(c == null || c.leftCharged() == 0, id + ": nothing left charged at rmdir ("
          + (c == null ? "?" : Table.mib(c.leftCharged())) + " MiB)");
      boolean shouldOom = "oom".equals(roles.get(id));
      check(oom == shouldOom, id + " (" + roles.get(id) + "): OOM-killed " + (shouldOom ? "as expected" : "never"));
      if (roles.get(id).equals("reader") || roles.get(id).equals("anon")) {
        check(exitCodes.getOrDefault(id, -1) == 0, id + " (" + roles.get(id) + ") exited 0");
      }
      if (shouldOom) {
        check(exitCodes.getOrDefault(id, -1) == 137, id + " (oom) exited 137 (SIGKILL)");
      }
    }
    out.print(t);
    out.println("limit: the container's hard limit. peak: the kernel's own peak of anon + page cache together"
        + " (v1 memory.max_usage_in_bytes, v2 memory.peak). peak anon / peak cache: the highest of memory.stat"
        + " readings every 100 ms while it ran and the final reading at completion. cache at exit: page cache"
        + " charged once its processes were gone. freed w/o eviction: of that, what went before any drain (the"
        + " application deleting its files when it ended). evicted: what the plugin's drain reclaimed. waited: how"
        + " long the empty cgroup was kept (retired until its page cache went, or waiting for its application). cgroup"
        + " removed: by the NodeManager, or by the sweep when it was still retired as the NodeManager stopped."
        + " dying if removed at exit: page cache or"
        + " shmem (even one page) was charged when its processes were gone, so removing it then, undrained, would"
        + " have left a dying memcg.");
    out.println();
    check(jobOk, "the MapReduce job succeeded, counting '" + FreshText.NEEDLE + "' " + count(job) + " times (expected "
        + JOB_FILES * JOB_FILE_MIB + ")");
    check(count(job) == JOB_FILES * JOB_FILE_MIB, "the MapReduce job's result is right");
    check(roles.values().stream().filter(r -> r.startsWith("MR")).count() >= JOB_FILES + 2,
        "the job's AppMaster, maps and reduce ran in their own cgroups");
    check(roles.values().containsAll(List.of("reader", "anon", "oom")),
        "the reader, anon and oom containers ran");
    check(left.isEmpty(), "no container cgroup left under the root " + (left.isEmpty() ? "" : left));
    check(held < 2 * ONE_MB, "memory still charged under the root after every container cgroup was removed: "
        + Table.mib(held) + " MiB (what dying children would hold; under 2 MiB)");
    out.printf("memory still charged under the root after every container cgroup was removed: %s MiB (a removed"
        + " child memcg that stays dying keeps its pages charged to the root, so under 2 MiB means none of these"
        + " containers left one holding page cache)%n", Table.mib(held));
    out.printf("node dying memcgs: before %d, after %d (%+d). The count is node-wide: other processes on this node"
        + " move it too; the exact measure for these containers is the charge left under the root, above.%n",
        dyingBefore, dyingBefore + added, added);
    out.println();
    out.printf("counterfactual, measured in this run: %d of %d containers still had %s MiB of page cache or shmem"
        + " charged when their cgroup was to be removed (after their processes were gone).%n", pinned, ids.size(),
        Table.mib(pinnedBytes));
    out.printf("  Without the drain (Hadoop's own handler removes the cgroup as it is) these %d would have been left"
        + " as dying memcgs, until memory pressure or deleting their files frees that page cache. With yarn-memcg:"
        + " %s.%n", pinned, held < 2 * ONE_MB ? "none" : Table.mib(held) + " MiB still held");
    out.printf("  control on this kernel: a cgroup removed undrained with %s MiB of page cache left %s MiB charged"
        + " under the root (held by the removed, now dying, memcg; node dying count %+d); deleting its file freed"
        + " that page cache: %s MiB charged, dying count %+d.%n", Table.mib(control.chargedAtRmdir()),
        Table.mib(control.heldAfterRmdir()), control.dyingAdded(), Table.mib(control.heldAfterFileDeleted()),
        control.dyingAfterFileDeleted());
    check(control.heldAfterRmdir() >= control.chargedAtRmdir() / 2 && control.chargedAtRmdir() > 0,
        "the control shows an undrained cgroup stays charged after rmdir");
    out.println();
    out.println(failures.isEmpty() ? "demo: every guarantee held" : "demo: " + failures.size() + " guarantee(s) FAILED:");
    failures.forEach(f -> out.println("  FAILED: " + f));
  }

  /** What a cgroup removed as its processes were gone would have left charged (shmem counts once, at removal). */
  private static long pinnedAtExit(CleanupResult c) {
    return Math.max(c.cachedAtExit(), c.evictedBytes() + c.leftCharged());
  }

  /** MiB, with a few pages shown as such rather than as 0.0: one page is enough to pin a memcg. */
  private static String drained(long bytes) {
    return bytes > 0 && bytes < ONE_MB / 10 ? "<0.1" : Table.mib(bytes);
  }

  private long count(Job job) {
    try {
      Path part = work.resolve("output").resolve("part-r-00000");
      for (String line : Files.readAllLines(part)) {
        String[] kv = line.split("\t");
        if (kv.length == 2 && kv[0].equals(FreshText.NEEDLE)) {
          return Long.parseLong(kv[1]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return 0;
  }

  private void check(boolean ok, String what) {
    if (!ok) {
      failures.add(what);
    }
  }

  private synchronized void say(String format, Object... args) {
    out.printf("[%6.1fs] %s%n", (System.nanoTime() - begun) / 1e9, String.format(format, args));
    out.flush();
  }

  /** Progress lines from the NodeManager's threads, and the record of each container. */
  private final class Progress implements DemoExecutor.Listener {
    @Override
    public void starting(String id, String role, long limitBytes) {
      roles.put(id, role);
      limits.put(id, limitBytes);
      say("%s %-12s starting in its own memory cgroup, limit %s MiB", id, role, Table.mib(limitBytes));
    }

    @Override
    public void exited(String id, int exitCode) {
      exitCodes.put(id, exitCode);
      String fin = Optional.ofNullable(completions.get(id)).flatMap(Completion::finalStats)
          .map(s -> String.format("peak %s MiB, page cache %s MiB, OOM kills %d", Table.mib(s.peak()),
              Table.mib(s.pageCache()), s.oomKill())).orElse("no final figures");
      say("%s %-12s exited %d: %s", id, roles.getOrDefault(id, "?"), exitCode, fin);
    }

    /** Called inside the launch, before {@link #exited}, when the executor's completion hands over the cgroup. */
    @Override
    public void completed(String id, Completion completion) {
      completions.put(id, completion);
      completion.cleanup().thenAccept(r -> {
        cleanups.put(id, r);
        say("%s %-12s cleanup %s: cache at exit %s MiB, freed without eviction %s MiB, evicted %s MiB, left"
            + " charged %s MiB, cgroup removed %s", id, roles.getOrDefault(id, "?"), r.outcome().name().toLowerCase(),
            Table.mib(r.cachedAtExit()), Table.mib(r.freedWithoutEviction()), Table.mib(r.evictedBytes()),
            Table.mib(r.leftCharged()), r.removed() ? "yes" : "NO");
      });
    }
  }
}
