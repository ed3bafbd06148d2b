package io.github.yarnmemcg.compat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.service.ServiceOperations;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;

/**
 * Proves the plugin jar, as built, on a real NodeManager of the Hadoop version on the classpath, running on this
 * JVM's runtime: a MiniMRYarnCluster (1 RM + 1 NM) in this JVM, configured as an operator would, then
 * <ol>
 *   <li>shell containers, running at the same time, each in {@code <root>/<containerId>} with a hard limit equal to
 *   the memory YARN allocated it, as read from inside the container;</li>
 *   <li>a container allocating past its limit, OOM-killed by the kernel, with the plugin's message in the
 *   diagnostics the client sees;</li>
 *   <li>after they exit: no cgroup directory under the root but those the plugin keeps retired (empty and
 *   unprotected) and no user page still charged under it to a removed one (what would pin a removed v1 memcg, i.e.
 *   keep it dying); the node-wide dying count is reported before and after;</li>
 *   <li>a real MapReduce job (2 maps, 1 reduce over fresh input) with its result checked, every container of it in
 *   its own memcg with its limit, and the same "nothing left" check once the application has ended.</li>
 * </ol>
 * Plain Java 8 and only Hadoop API present in 3.3.6 to 3.5.0; the plugin is referred to by class name only.
 * Prints {@code [measure]} lines; exits 0 when every check passed, 1 otherwise. Removes its cgroup root in any case.
 */
public final class NmCompat {
  static final String EXECUTOR = "io.github.yarnmemcg.nodemanager.MemcgContainerExecutor";
  static final String PROCESS_TREE = "io.github.yarnmemcg.nodemanager.MemcgProcessTree";
  static final String OOM_TEXT = "Container killed by the kernel OOM killer in its memory cgroup";
  static final long MIB = Kernel.MIB;
  /** Pages of a removed container that may still be in flight in the v1 per-cpu statistics: none is allowed. */
  static final long SETTLE_MS = 10_000;
  private static final String FAST_JVM = " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

  private final List<String> failures = new ArrayList<>();
  private final Map<String, String> extraSettings = new java.util.LinkedHashMap<>();
  private final Path work;
  private final Path pluginJar;
  private final String label;
  private final Kernel kernel;
  private final Path root;
  private final boolean mapReduce;
  private Cluster cluster;
  private YarnClient yarn;
  private final long began = System.nanoTime();

  /**
   * MiniMRYarnCluster.serviceInit sets the executor to DefaultContainerExecutor right before it creates the
   * NodeManager (3.3.6 to 3.5.0); createResourceManager runs after that on the same conf, so it is set again there.
   */
  static final class Cluster extends MiniMRYarnCluster {
    Cluster(String name) {
      super(name, 1);
    }

    @Override
    protected ResourceManager createResourceManager() {
      getConfig().set(YarnConfiguration.NM_CONTAINER_EXECUTOR, EXECUTOR);
      return super.createResourceManager();
    }
  }

  private NmCompat(Path work, Path pluginJar, Kernel kernel, Path root, boolean mapReduce) {
    this.work = work;
    this.pluginJar = pluginJar;
    this.kernel = kernel;
    this.root = root;
    this.mapReduce = mapReduce;
    this.label = "hadoop " + VersionInfo.getVersion() + " java " + System.getProperty("java.version");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    Path work = Paths.get(required(opts, "--work")).toAbsolutePath();
    Path jar = Paths.get(required(opts, "--plugin-jar")).toAbsolutePath();
    String rootName = required(opts, "--root-name");
    boolean mapReduce = !"false".equals(opts.get("--mapreduce"));
    // Extra yarn-site settings (key=value,key=value), e.g. yarn.nodemanager.memcg.drain.enabled=false for a control.
    String extra = opts.get("--set");
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    Kernel kernel;
    try {
      kernel = Kernel.discover();
      if (!Files.isWritable(kernel.mount)) {
        throw new IOException(kernel.mount + " is not writable: run as root");
      }
    } catch (IOException e) {
      System.out.println("[compat] " + (ci ? "FAIL" : "SKIPPED") + ": no usable memory controller: " + e.getMessage());
      System.exit(ci ? 1 : 0);
      return;
    }
    final Path root = kernel.mount.resolve(rootName);
    // A run stopped from outside (timeout, ^C) still removes its root; the runner checks again after the JVM.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Kernel.removeTree(root);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "remove-cgroup-root"));
    NmCompat run = new NmCompat(work, jar, kernel, root, mapReduce);
    if (extra != null && !extra.isEmpty()) {
      for (String kv : extra.split(",")) {
        int eq = kv.indexOf('=');
        run.extraSettings.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    int exit = run.run();
    System.out.flush();
    // Hadoop leaves non-daemon threads behind; the exit code is the verdict.
    System.exit(exit);
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return v;
  }

  private int run() {
    measure("runtime", "java " + System.getProperty("java.version") + " (" + System.getProperty("java.home")
        + "), hadoop " + VersionInfo.getVersion() + ", memory controller " + (kernel.v2 ? "v2" : "v1") + " at "
        + kernel.mount + ", root " + root);
    try {
      if (Files.exists(root)) {
        throw new IllegalStateException(root + " exists before the run");
      }
      startCluster();
      containers();
      if (mapReduce) {
        mapReduceJob();
      }
    } catch (Throwable t) {
      fail("run stopped: " + t);
      t.printStackTrace(System.out);
    } finally {
      stopAndRemove();
    }
    measure("total", ms(began) + " ms in the driver JVM, " + failures.size() + " failed check(s)");
    for (String f : failures) {
      System.out.println("[compat] FAIL: " + f);
    }
    System.out.println("[compat] " + label + ": " + (failures.isEmpty() ? "PASS" : "FAIL"));
    return failures.isEmpty() ? 0 : 1;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Cluster

  /** The yarn-site.xml an operator writes (README), plus what a one-node mini cluster on 2 cores needs. */
  private YarnConfiguration configuration() {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set(YarnConfiguration.NM_CONTAINER_EXECUTOR, EXECUTOR);
    conf.set("yarn.nodemanager.memcg.root", root.toString());
    conf.set(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, PROCESS_TREE);
    conf.setBoolean("yarn.nodemanager.resource.memory.enforced", false);
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, true);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setLong(YarnConfiguration.NM_CONTAINER_MON_INTERVAL_MS, 250);
    conf.setBoolean("yarn.minicluster.control-resource-monitoring", true);
    conf.setBoolean("mapreduce.minicluster.control-resource-monitoring", true);
    conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", 4096);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    // 3.4 and later can leave the JobHistoryServer out (a 3.5-only constant in MiniMRYarnCluster); 3.3.6 starts one.
    conf.setBoolean("mapreduce.jobhistory.minicluster.enabled", false);
    for (Map.Entry<String, String> e : extraSettings.entrySet()) {
      conf.set(e.getKey(), e.getValue());
      measure("setting", e.getKey() + "=" + e.getValue());
    }
    return conf;
  }

  private static boolean historyServerOptional() {
    try {
      MiniMRYarnCluster.class.getField("MR_HISTORY_MINICLUSTER_ENABLED");
      return true;
    } catch (NoSuchFieldException e) {
      return false;
    }
  }

  private void startCluster() throws Exception {
    long t = System.nanoTime();
    cluster = new Cluster("yarn-memcg-compat");
    cluster.init(configuration());
    cluster.start();
    yarn = YarnClient.createYarnClient();
    yarn.init(cluster.getConfig());
    yarn.start();
    measure("cluster start", ms(t) + " ms (1 RM + 1 NM" + (historyServerOptional() ? "" : " + JobHistoryServer")
        + ")");
    ContainerExecutor executor = executor();
    Class<?> c = executor.getClass();
    URL from = c.getProtectionDomain().getCodeSource().getLocation();
    int major;
    try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
      byte[] head = new byte[8];
      int n = 0;
      while (n < 8) {
        int r = in.read(head, n, 8 - n);
        if (r < 0) {
          throw new IOException("short class file");
        }
        n += r;
      }
      major = ((head[6] & 0xff) << 8) | (head[7] & 0xff);
    }
    measure("executor", c.getName() + " loaded from " + from.getPath() + " (class-file major " + major + ")");
    if (!c.getName().equals(EXECUTOR)) {
      throw new IllegalStateException("the NodeManager runs " + c.getName() + ", not " + EXECUTOR);
    }
    check(Paths.get(from.toURI()).equals(pluginJar), "the executor class comes from the plugin jar " + pluginJar
        + ", not " + from);
    check(Files.isDirectory(root), "the NodeManager created its root " + root);
  }

  private ContainerExecutor executor() {
    return cluster.getNodeManager(0).getNMContext().getContainerExecutor();
  }

  private void stopAndRemove() {
    long t = System.nanoTime();
    try {
      ServiceOperations.stop(yarn);
      ServiceOperations.stop(cluster);
    } catch (Throwable e) {
      fail("stopping the cluster: " + e);
    }
    measure("cluster stop", ms(t) + " ms");
    try {
      List<String> left = Kernel.children(root);
      String problem = Kernel.removeTree(root);
      measure("cleanup", "root " + root + (left.isEmpty() ? "" : " still had " + left + ",") + " removed: "
          + (problem.isEmpty() ? "yes" : "NO: " + problem));
      check(problem.isEmpty(), "the run's cgroup root was removed: " + problem);
    } catch (Exception e) {
      fail("removing the root: " + e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Shell containers

  /** One shell container: what it recorded from inside, and how its application ended. */
  private static final class Shell {
    final String name;
    final int memoryMb;
    final boolean oom;
    final Path record;
    final Path go;
    ApplicationId app;
    ContainerId amContainer;
    long allocatedMb = -1;
    String recordedId;
    Path cgroup;
    long limit = -1;
    long cacheWhileRunning = -1;
    ApplicationReport end;
    long endedAt;

    Shell(String name, int memoryMb, boolean oom, Path dir) {
      this.name = name;
      this.memoryMb = memoryMb;
      this.oom = oom;
      this.record = dir.resolve(name + ".record");
      this.go = dir.resolve(name + ".go");
    }
  }

  private void containers() throws Exception {
    Path dir = Files.createDirectories(work.resolve("shell"));
    Path script = dir.resolve("container.sh");
    Files.write(script, containerScript().getBytes(StandardCharsets.UTF_8));
    List<Shell> shells = new ArrayList<>();
    shells.add(new Shell("c128", 128, false, dir));
    shells.add(new Shell("c256", 256, false, dir));
    shells.add(new Shell("c512", 512, false, dir));
    shells.add(new Shell("oom128", 128, true, dir));
    for (Shell s : shells) {
      if (!s.oom) {
        Kernel.freshTextFile(dir.resolve(s.name + ".input"), 16);
      }
    }
    long baseline = stableNodeDying();
    long t = System.nanoTime();
    for (Shell s : shells) {
      String command = "/bin/bash " + script + " " + s.record + " " + kernel.mount + " " + (s.oom ? "oom" : "hold")
          + " " + dir.resolve(s.name + ".input") + " " + s.go + " 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr";
      s.app = submit(s.name, command, s.memoryMb);
    }
    // While the holders run (all at once): what each recorded from inside, against what the RM allocated it.
    for (Shell s : shells) {
      if (s.oom) {
        continue;
      }
      awaitRecord(s);
      ApplicationReport report = yarn.getApplicationReport(s.app);
      s.amContainer = yarn.getApplicationAttemptReport(report.getCurrentApplicationAttemptId()).getAMContainerId();
      ContainerReport container = yarn.getContainerReport(s.amContainer);
      s.allocatedMb = container.getAllocatedResource().getMemorySize();
      s.cacheWhileRunning = s.cgroup == null ? -1 : kernel.pageCache(s.cgroup);
    }
    Set<Path> distinct = new HashSet<>();
    for (Shell s : shells) {
      if (!s.oom) {
        Files.write(s.go, new byte[0]);
      }
    }
    for (Shell s : shells) {
      s.end = awaitEnd(s.app);
      s.endedAt = System.nanoTime();
      if (s.oom) {
        s.amContainer = ContainerId.newContainerId(s.end.getCurrentApplicationAttemptId(), 1);
        readRecord(s);
      }
    }
    long lastEnd = System.nanoTime();
    measure("containers", shells.size() + " shell containers ran (3 at once, then released) and ended in " + ms(t)
        + " ms; each is the AM of a one-attempt application that never registers, so the RM calls it FAILED whatever"
        + " its exit code");
    for (Shell s : shells) {
      Path expected = root.resolve(s.amContainer.toString());
      String diagnostics = oneLine(s.end.getDiagnostics());
      measure("container " + s.name, s.amContainer + " requested " + s.memoryMb + " MiB, allocated "
          + (s.allocatedMb < 0 ? "-" : s.allocatedMb + " MiB") + "; inside: cgroup " + s.cgroup + ", limit "
          + (s.limit < 0 ? "-" : s.limit / MIB + " MiB (" + s.limit + " B)") + (s.cacheWhileRunning < 0 ? ""
          : ", page cache charged while running " + s.cacheWhileRunning / MIB + " MiB") + "; exit code "
          + exitCode(diagnostics) + ", state " + s.end.getYarnApplicationState());
      check(s.amContainer.toString().equals(s.recordedId), s.name + ": CONTAINER_ID inside is " + s.recordedId
          + ", the RM says " + s.amContainer);
      check(expected.equals(s.cgroup), s.name + " ran in its own memcg " + expected + ": /proc/self/cgroup says "
          + s.cgroup);
      check(distinct.add(s.cgroup), s.name + ": a memcg of its own, not shared: " + s.cgroup);
      if (s.oom) {
        check(s.limit == s.memoryMb * MIB, s.name + ": limit " + s.limit + " = its " + s.memoryMb + " MiB");
        measure("OOM diagnostics as the client sees them (application report)", diagnostics);
        check(diagnostics.contains(OOM_TEXT), s.name + ": the application report carries \"" + OOM_TEXT + "\": "
            + diagnostics);
        check(diagnostics.contains(expected.toString()), s.name + ": the diagnostics name its cgroup " + expected);
        check(diagnostics.contains("limit " + s.memoryMb + " MiB"), s.name + ": the diagnostics give the limit");
        check("137".equals(exitCode(diagnostics)), s.name + ": SIGKILLed (exit code 137): " + diagnostics);
      } else {
        check(s.limit == s.allocatedMb * MIB, s.name + ": hard limit " + s.limit + " B = the " + s.allocatedMb
            + " MiB YARN allocated");
        check("0".equals(exitCode(diagnostics)), s.name + " exited 0: " + diagnostics);
        check(s.cacheWhileRunning >= 15 * MIB, s.name + ": the 16 MiB it read were charged to it while it ran ("
            + s.cacheWhileRunning + " B), so its cleanup had page cache to drain");
      }
    }
    nothingLeft("shell containers", baseline, lastEnd);
  }

  /** The container: records its own id, cgroup and limit; then holds 16 MiB of fresh page cache, or allocates. */
  private static String containerScript() {
    return "#!/bin/bash\n"
        + "# args: RECORD MOUNT hold|oom INPUT GO\n"
        + "set -e\n"
        + "record=$1 mount=$2 mode=$3 input=$4 go=$5\n"
        + "line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup || grep '^0::' /proc/self/cgroup)\n"
        + "cg=${line#*:*:}\n"
        + "if [ -f \"$mount$cg/memory.limit_in_bytes\" ]; then limit=$(cat \"$mount$cg/memory.limit_in_bytes\");\n"
        + "else limit=$(cat \"$mount$cg/memory.max\"); fi\n"
        + "{ echo \"CONTAINER_ID=$CONTAINER_ID\"; echo \"LIMIT=$limit\"; cat /proc/self/cgroup; } > \"$record.tmp\"\n"
        + "if [ \"$mode\" = oom ]; then\n"
        + "  mv \"$record.tmp\" \"$record\"\n"
        + "  exec perl -e 'my $x = \"a\" x (512 << 20); print length($x), \"\\n\";'\n"
        + "fi\n"
        + "cat \"$input\" > /dev/null\n"
        + "mv \"$record.tmp\" \"$record\"\n"
        + "for i in $(seq 1 2400); do [ -e \"$go\" ] && exit 0; sleep 0.05; done\n"
        + "echo 'never released' >&2; exit 3\n";
  }

  private void awaitRecord(Shell s) throws Exception {
    long deadline = System.nanoTime() + 90_000_000_000L;
    for (int attempt = 0; !Files.exists(s.record); attempt++) {
      YarnApplicationState st = yarn.getApplicationReport(s.app).getYarnApplicationState();
      if (ended(st)) {
        throw new IllegalStateException(s.name + " ended before it recorded anything: "
            + oneLine(yarn.getApplicationReport(s.app).getDiagnostics()));
      }
      if (!pause(attempt, deadline)) {
        throw new IllegalStateException(s.name + " never started: " + st);
      }
    }
    readRecord(s);
  }

  private void readRecord(Shell s) throws IOException {
    if (!Files.exists(s.record)) {
      fail(s.name + " recorded nothing from inside");
      return;
    }
    String text = Kernel.read(s.record);
    for (String line : text.split("\n")) {
      if (line.startsWith("CONTAINER_ID=")) {
        s.recordedId = line.substring("CONTAINER_ID=".length());
      } else if (line.startsWith("LIMIT=")) {
        String v = line.substring("LIMIT=".length()).trim();
        s.limit = v.equals("max") ? Long.MAX_VALUE : Long.parseLong(v);
      }
    }
    s.cgroup = kernel.cgroupOf(text);
  }

  /** Submits a shell command as the AM container of a one-attempt application (as MiniYarnClusterIT does). */
  private ApplicationId submit(String name, String command, int memoryMb) throws Exception {
    YarnClientApplication app = yarn.createApplication();
    ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
    ctx.setApplicationName("yarn-memcg-compat-" + name);
    ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(Collections.emptyMap(),
        Collections.<String, String>emptyMap(), Collections.singletonList(command), null, null, null));
    ctx.setResource(Resource.newInstance(memoryMb, 1));
    ctx.setMaxAppAttempts(1);
    try {
      yarn.submitApplication(ctx);
    } catch (org.apache.hadoop.yarn.exceptions.YarnException e) {
      // An application that failed while YarnClient waited for the submission is reported as a failure to submit.
      if (!ended(yarn.getApplicationReport(ctx.getApplicationId()).getYarnApplicationState())) {
        throw e;
      }
    }
    return ctx.getApplicationId();
  }

  private ApplicationReport awaitEnd(ApplicationId app) throws Exception {
    long deadline = System.nanoTime() + 180_000_000_000L;
    for (int attempt = 0; ; attempt++) {
      ApplicationReport r = yarn.getApplicationReport(app);
      if (ended(r.getYarnApplicationState())) {
        return r;
      }
      if (!pause(attempt, deadline)) {
        throw new IllegalStateException("application " + app + " did not end: " + r.getYarnApplicationState());
      }
    }
  }

  private static boolean ended(YarnApplicationState s) {
    return s == YarnApplicationState.FINISHED || s == YarnApplicationState.FAILED || s == YarnApplicationState.KILLED;
  }

  private static String exitCode(String diagnostics) {
    Matcher m = Pattern.compile("exitCode: (-?\\d+)").matcher(diagnostics);
    return m.find() ? m.group(1) : "none";
  }

  // ---------------------------------------------------------------------------------------------------------------
  // MapReduce

  private void mapReduceJob() throws Exception {
    Path input = Files.createDirectories(work.resolve("mr-input"));
    Kernel.freshTextFile(input.resolve("part-0"), 4);
    Kernel.freshTextFile(input.resolve("part-1"), 4);
    Path side = Files.createDirectories(work.resolve("mr-side"));
    Path output = work.resolve("mr-output");
    long baseline = stableNodeDying();

    Configuration conf = new Configuration(cluster.getConfig());
    String javaHome = "JAVA_HOME=" + System.getProperty("java.home");
    if (historyServerOptional()) {
      // No JobHistoryServer: status calls after the AM exits would otherwise retry a dead address.
      conf.set("mapreduce.jobhistory.address", "");
    }
    conf.set("yarn.app.mapreduce.am.env", javaHome);
    conf.set("mapreduce.map.env", javaHome);
    conf.set("mapreduce.reduce.env", javaHome);
    conf.setInt("yarn.app.mapreduce.am.resource.mb", 768);
    conf.set("yarn.app.mapreduce.am.command-opts", "-Xmx512m" + FAST_JVM);
    conf.setInt("mapreduce.map.memory.mb", 512);
    conf.setInt("mapreduce.reduce.memory.mb", 512);
    conf.set("mapreduce.map.java.opts", "-Xmx400m" + FAST_JVM);
    conf.set("mapreduce.reduce.java.opts", "-Xmx400m" + FAST_JVM);
    conf.setInt("mapreduce.task.io.sort.mb", 16);
    conf.setBoolean("mapreduce.map.speculative", false);
    conf.setBoolean("mapreduce.reduce.speculative", false);
    conf.setFloat("mapreduce.job.reduce.slowstart.completedmaps", 1.0f);
    conf.set(DigitJob.SIDE_DIR, side.toString());
    Job job = Job.getInstance(conf, "yarn-memcg-compat-digits");
    job.setMapperClass(DigitJob.DigitMapper.class);
    job.setReducerClass(DigitJob.SumReducer.class);
    job.setNumReduceTasks(1);
    job.setOutputKeyClass(LongWritable.class);
    job.setOutputValueClass(LongWritable.class);
    FileInputFormat.addInputPath(job, new org.apache.hadoop.fs.Path(input.toUri()));
    FileOutputFormat.setOutputPath(job, new org.apache.hadoop.fs.Path(output.toUri()));

    long t = System.nanoTime();
    job.submit();
    ApplicationId app = ApplicationId.newInstance(Long.parseLong(job.getJobID().getJtIdentifier()),
        job.getJobID().getId());
    ContainerId am = ContainerId.newContainerId(ApplicationAttemptId.newInstance(app, 1), 1);
    // The MR AppMaster runs no code of ours: observe it from outside, by its pid from the executor.
    String amSeen = observeFromOutside(am, 768);
    boolean succeeded = job.waitForCompletion(false);
    long jobMs = ms(t);
    check(succeeded, "the MapReduce job succeeded: " + job.getStatus());
    ApplicationReport end = awaitEnd(app);
    long appEndMs = ms(t) - jobMs;
    long lastEnd = System.nanoTime();
    // The containers' cgroups first: the driver reads the input only after them, so that the maps were the first
    // readers of every input page (charged to their memcgs) and the driver's own reading cannot hide anything.
    nothingLeft("MapReduce application", baseline, lastEnd);
    long inputLines = DigitJob.linesIn(input);

    long summed = 0;
    int keys = 0;
    try (DirectoryStream<Path> parts = Files.newDirectoryStream(output, "part-r-*")) {
      for (Path p : parts) {
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
          summed += Long.parseLong(line.split("\t")[1]);
          keys++;
        }
      }
    }
    check(summed == inputLines && keys == 10, "the job's output sums to the input's " + inputLines + " lines over 10"
        + " digits: " + summed + " over " + keys);

    Set<String> recorded = new TreeSet<>();
    StringBuilder tasks = new StringBuilder();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(side, "attempt_*")) {
      for (Path f : files) {
        String text = Kernel.read(f);
        Map<String, String> kv = new HashMap<>();
        for (String line : text.split("\n")) {
          int eq = line.indexOf('=');
          if (eq > 0 && !line.contains(":")) {
            kv.put(line.substring(0, eq), line.substring(eq + 1));
          }
        }
        String id = kv.get("CONTAINER_ID");
        Path cgroup = kernel.cgroupOf(text);
        long limit = Long.parseLong(kv.get("LIMIT"));
        tasks.append(String.format("%n    %s (%s): %s, cgroup %s, limit %d MiB, java %s", f.getFileName(),
            kv.get("INPUT"), id, cgroup, limit / MIB, kv.get("JAVA")));
        check(recorded.add(id), f.getFileName() + ": a container of its own: " + id);
        check(root.resolve(String.valueOf(id)).equals(cgroup), f.getFileName() + " ran in its own memcg: " + cgroup);
        check(limit == 512 * MIB, f.getFileName() + ": limit " + limit + " = its 512 MiB");
      }
    }
    check(recorded.size() == 3, "one record per map (2) and reduce (1): " + recorded);
    Set<String> launched = launchedContainers(app);
    Set<String> expected = new TreeSet<>(recorded);
    expected.add(am.toString());
    check(expected.equals(launched), "every container the NodeManager launched is the AM or a recorded task: "
        + launched + " vs " + expected);
    measure("plugin metrics (JMX, reported only)", metrics(8));
    measure("MapReduce job", job.getJobID() + " " + (succeeded ? "succeeded" : "FAILED") + " in " + jobMs
        + " ms (application " + end.getYarnApplicationState() + "/" + end.getFinalApplicationStatus() + " "
        + appEndMs + " ms later), 2 maps + 1 reduce over 2 x 4 MiB fresh input: " + inputLines
        + " lines, output sums to " + summed + " over " + keys + " digits; " + launched.size()
        + " containers launched " + launched + "; AM seen from outside: " + amSeen + "; tasks seen from inside:"
        + tasks);
  }

  /** Waits for a container's pid, then reads its cgroup, CONTAINER_ID and limit from /proc and the cgroup. */
  private String observeFromOutside(ContainerId container, int memoryMb) throws Exception {
    long deadline = System.nanoTime() + 90_000_000_000L;
    String pid = null;
    for (int attempt = 0; pid == null; attempt++) {
      pid = executor().getProcessId(container);
      if (pid == null && !pause(attempt, deadline)) {
        fail("the AM container " + container + " never ran");
        return "never ran";
      }
    }
    try {
      String environ = new String(Files.readAllBytes(Paths.get("/proc", pid, "environ")),
          StandardCharsets.ISO_8859_1);
      Path cgroup = kernel.cgroupOf(Kernel.read(Paths.get("/proc", pid, "cgroup")));
      long limit = kernel.limit(cgroup);
      check(java.util.Arrays.asList(environ.split("\0")).contains("CONTAINER_ID=" + container),
          "pid " + pid + " is the AM container " + container);
      check(root.resolve(container.toString()).equals(cgroup), "the AM runs in its own memcg: " + cgroup);
      check(limit == memoryMb * MIB, "the AM's limit " + limit + " = its " + memoryMb + " MiB");
      return container + " pid " + pid + ", cgroup " + cgroup + ", limit " + limit / MIB + " MiB";
    } catch (IOException e) {
      fail("the AM container " + container + " (pid " + pid + ") could not be read: " + e);
      return "unreadable";
    }
  }

  /** The containers the NodeManager launched for an application: one log dir each, whatever the tasks did. */
  private Set<String> launchedContainers(ApplicationId app) throws IOException {
    Set<String> ids = new TreeSet<>();
    for (String dir : cluster.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
      Path appLogs = Paths.get(dir.startsWith("file:") ? dir.substring(5) : dir, app.toString());
      if (Files.isDirectory(appLogs)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(appLogs)) {
          for (Path p : s) {
            ids.add(p.getFileName().toString());
          }
        }
      }
    }
    return ids;
  }


  // ---------------------------------------------------------------------------------------------------------------
  // Nothing left

  /** The node's dying count once two readings 200 ms apart agree (3 s at most). */
  private long stableNodeDying() throws IOException, InterruptedException {
    long previous = kernel.nodeDying();
    for (int i = 0; i < 15; i++) {
      Thread.sleep(200);
      long now = kernel.nodeDying();
      if (now == previous) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  /**
   * After the applications ended: every container cgroup under the root is removed or retired by the plugin (polled,
   * 90 s at most), no user page is still charged under the root to a removed one (polled to 0, 10 s at most: v1
   * memory.stat lags by up to 2 s), and, reported only, the node's dying count against the baseline taken before the
   * containers.
   */
  private List<String> notRetired() throws IOException {
    List<String> left = new ArrayList<>();
    for (String child : Kernel.children(root)) {
      if (!kernel.retired(root.resolve(child))) {
        left.add(child);
      }
    }
    return left;
  }

  /** See {@link #notRetired}. */
  private void nothingLeft(String what, long baseline, long lastEnd) throws Exception {
    long deadline = System.nanoTime() + 90_000_000_000L;
    List<String> left = notRetired();
    for (int attempt = 0; !left.isEmpty() && pause(attempt, deadline); attempt++) {
      left = notRetired();
    }
    long removedMs = ms(lastEnd);
    List<String> retired = Kernel.children(root);
    check(left.isEmpty(), what + ": no container cgroup left under " + root + " but retired ones: " + left);
    long pagesAtOnce = kernel.userPagesOfRemovedUnder(root);
    long pages = pagesAtOnce;
    long settle = System.nanoTime() + SETTLE_MS * 1_000_000;
    for (int attempt = 0; pages > 0 && pause(attempt, settle); attempt++) {
      pages = kernel.userPagesOfRemovedUnder(root);
    }
    long dying = kernel.nodeDying();
    for (int attempt = 0; dying > baseline && pause(attempt, settle); attempt++) {
      dying = kernel.nodeDying();
    }
    long dyingUnderRoot = kernel.dyingUnder(root);
    measure("nothing left after " + what, "cgroups left under the root " + left.size() + " (all removed or retired "
        + removedMs + " ms after the last application ended; retired " + retired.size() + ": " + retired + ", holding "
        + (kernel.userPagesUnder(root) - pagesAtOnce) + " B); user pages of removed cgroups under the root "
        + pagesAtOnce
        + " B at once, " + pages + " B settled; node-wide dying memcgs before " + baseline + ", after " + dying
        + (dyingUnderRoot >= 0 ? "; dying under the root " + dyingUnderRoot : ""));
    check(pages == 0, what + ": no user page still charged under the root (what would keep a removed memcg dying): "
        + pages + " B");
    if (kernel.v2) {
      check(dyingUnderRoot == 0, what + ": no dying cgroup under the root: " + dyingUnderRoot);
    }
  }

  /**
   * The plugin's YarnMemcg metrics as JMX shows them (name=value ...), read by name only. The metrics system serves
   * a cached record for up to its period, so this polls (12 s at most) until ContainersCompleted reaches
   * {@code completed}.
   */
  private static String metrics(long completed) {
    try {
      MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
      Set<ObjectName> names = jmx.queryNames(new ObjectName("Hadoop:name=YarnMemcg,*"), null);
      if (names.isEmpty()) {
        return "(no YarnMemcg bean)";
      }
      ObjectName bean = names.iterator().next();
      long deadline = System.nanoTime() + 12_000_000_000L;
      for (int attempt = 0; ((Number) jmx.getAttribute(bean, "ContainersCompleted")).longValue() < completed
          && pause(attempt, deadline); attempt++) {
        // polled
      }
      StringBuilder seen = new StringBuilder();
      for (MBeanAttributeInfo a : jmx.getMBeanInfo(bean).getAttributes()) {
        if (!a.getName().startsWith("tag.")) {
          seen.append(a.getName()).append('=').append(jmx.getAttribute(bean, a.getName())).append(' ');
        }
      }
      return seen.toString().trim();
    } catch (Exception e) {
      return "(unreadable: " + e + ")";
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private void check(boolean ok, String what) {
    if (!ok) {
      fail(what);
    }
  }

  private void fail(String what) {
    failures.add(what);
    System.out.println("[compat] check failed: " + what);
  }

  private void measure(String what, String figures) {
    System.out.println("[measure] " + label + " | " + what + ": " + figures);
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.trim().replaceAll("\\s*\n\\s*", " | ");
  }

  /** Polls from 1 ms doubling to 200 ms until the deadline; false once it has passed. */
  private static boolean pause(int attempt, long deadline) throws InterruptedException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    Thread.sleep(Math.max(1, Math.min(Math.min(200, 1L << Math.min(attempt, 8)), left / 1_000_000)));
    return true;
  }
}
