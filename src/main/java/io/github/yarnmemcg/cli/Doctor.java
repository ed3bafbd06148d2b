package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.KernelInterfaces;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.cgroup.MountInfo;
import io.github.yarnmemcg.cgroup.Processes;
import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.OomWatcher;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import io.github.yarnmemcg.lifecycle.ReparentProbe;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import io.github.yarnmemcg.nodemanager.LocalDirApplications;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor;

/**
 * {@code yarn-memcg doctor}: checks a node before the plugin is enabled on it and says what is wrong in plain
 * words: the memory controller and its version, on v2 whether memory is enabled down to the root and below
 * which cgroup the NodeManager must run to move container processes into it, whether the root exists and this
 * user can create cgroups in it (proved by creating and removing a probe cgroup in it, as the NodeManager does at
 * start), the kernel features the plugin uses, the node's dying-memcg count, leftover container cgroups, and the
 * yarn-site.xml settings, and which way the node treats a finished container's page cache (measured with the
 * NodeManager's kernel probe). It writes nothing but those probes: cgroups inside the root, and a 1 MiB file in the
 * first local dir, all removed.
 */
public final class Doctor {

  /** Above this many dying memcgs a node reclaims slowly; near 65535 the kernel refuses new cgroups. */
  static final long DYING_WARN = 1000;

  private final Target target;
  private final Duration sweepMinAge;

  public Doctor(Target target, Duration sweepMinAge) {
    this.target = target;
    this.sweepMinAge = sweepMinAge;
  }

  public List<Finding> run() {
    List<Finding> out = new ArrayList<>();
    out.add(Finding.info("kernel " + readOr(Paths.get("/proc/sys/kernel/osrelease"), "unknown").trim()
        + ", running as user " + System.getProperty("user.name")));
    out.add(runtime(VersionInfo.getVersion(), System.getProperty("java.version")));
    MemoryMount mount;
    try {
      mount = target.mount();
    } catch (IOException | IllegalArgumentException e) {
      out.add(Finding.fail(e.getMessage()));
      out.addAll(otherMounts(null));
      yarnSite(out);
      return out;
    }
    out.add(Finding.ok("memory controller: cgroup " + version(mount) + " at " + mount.path()));
    out.addAll(otherMounts(mount));
    Path root;
    try {
      root = target.root(mount);
    } catch (IOException | IllegalArgumentException e) {
      out.add(Finding.fail(e.getMessage()));
      yarnSite(out);
      return out;
    }
    CgroupDriver driver;
    try {
      driver = CgroupDriver.forMount(mount);
    } catch (IOException e) {
      out.add(Finding.fail(e.getMessage()));
      yarnSite(out);
      return out;
    }
    CgroupFs fs = driver.fs();
    if (mount.version() == CgroupVersion.V2) {
      out.addAll(delegation(fs, mount, root));
      out.add(processMoves(driver, root));
    }
    Path probe = root(driver, root, out);
    try {
      // On v2 a root that does not pass memory on yet (the NodeManager enables it at start) has a probe without
      // memory files: look in the root itself then.
      boolean probeHasMemory = probe != null && (mount.version() == CgroupVersion.V1
          || fs.exists(probe.resolve("memory.stat")));
      features(fs, mount, probeHasMemory ? probe : nearestExisting(fs, mount, root), probeHasMemory, out);
      if (probeHasMemory) {
        interfaces(driver, probe, out);
        nodeMemory(driver, probe, out);
      }
    } finally {
      if (probe != null) {
        try {
          driver.delete(probe, System.nanoTime() + Duration.ofSeconds(5).toNanos());
        } catch (IOException e) {
          out.add(Finding.fail("cannot remove the probe cgroup " + probe + ": " + e.getMessage()));
        }
      }
    }
    dying(driver, out);
    if (fs.isDirectory(root)) {
      CleanupPolicy policy = cleanupPolicy(driver, root, out);
      leftovers(policy, out);
    }
    yarnSite(out);
    cpu(driver, root, out);
    return out;
  }

  /** The node limit, swap and the kill order ({@link NodeMemoryCheck}), when the settings are valid. */
  private void nodeMemory(CgroupDriver driver, Path probe, List<Finding> out) {
    MemcgConfiguration settings;
    try {
      settings = target.settings();
    } catch (IllegalArgumentException e) {
      return; // reported with the settings
    }
    boolean lce = target.conf().getTrimmed(YarnConfiguration.NM_CONTAINER_EXECUTOR, "")
        .equals(LinuxContainerExecutor.class.getName());
    out.addAll(NodeMemoryCheck.check(settings, driver, probe, lce));
  }

  /** Who isolates CPU: Hadoop's handler on v1; on v2 yarn-memcg, in the containers' own cgroups, or nobody. */
  private void cpu(CgroupDriver driver, Path root, List<Finding> out) {
    boolean enabled;
    try {
      enabled = target.settings().cpu();
    } catch (IllegalArgumentException e) {
      return; // reported with the settings
    }
    String key = MemcgKeys.CPU_ENABLED.name();
    if (driver.mount().version() == CgroupVersion.V1) {
      out.add(enabled ? Finding.fail(key + " is true, but on cgroup v1 CPU is a hierarchy of its own: the NodeManager"
          + " refuses to start; use Hadoop's CPU handler with LinuxContainerExecutor, which joins both hierarchies")
          : Finding.ok("CPU: cgroup v1, where Hadoop's CPU handler (LinuxContainerExecutor) works beside yarn-memcg"));
      return;
    }
    List<String> hadoops = MemcgConfiguration.hadoopCgroupHandlerKeys(target.conf());
    boolean lce = LinuxContainerExecutor.class.getName().equals(
        target.conf().getTrimmed(YarnConfiguration.NM_CONTAINER_EXECUTOR, ""));
    if (lce && !hadoops.isEmpty()) {
      out.add(Finding.fail(String.join(", ", hadoops) + " is true with LinuxContainerExecutor: Hadoop's handler"
          + " would also write each container's pid into a cgroup of its own, and on cgroup v2, where a process has"
          + " one cgroup, the container would leave its memory cgroup; the NodeManager refuses to start. Set it to"
          + " false" + (enabled ? "" : " and " + key + " to true")));
    }
    if (!enabled) {
      out.add(Finding.info("CPU: not isolated by yarn-memcg (" + key + " is false); on cgroup v2 set it to true to"
          + " give containers Hadoop's CPU weights and strict caps in their own cgroups"));
      return;
    }
    try {
      if (!driver.fs().isDirectory(root)) {
        out.add(Finding.info("CPU: " + key + " is true; whether " + root.getParent() + " passes the cpu controller"
            + " down is checked once the root exists"));
      } else if (driver.cpuOffered(root)) {
        out.add(Finding.ok("CPU: containers get cpu.weight (100 per vcore, 1 when opportunistic) and, in strict mode,"
            + " cpu.max in their own cgroups, as Hadoop's v2 CPU handler computes them: Hadoop's cgroup handlers are"
            + " not needed"));
      } else {
        out.add(Finding.fail(key + " is true but " + root + " is not offered the cpu controller: as root, echo +cpu >"
            + " " + root.getParent().resolve("cgroup.subtree_control") + "; the NodeManager refuses to start until"
            + " then"));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read which controllers " + root + " is offered: " + e.getMessage()));
    }
  }

  private static String version(MemoryMount mount) {
    return mount.version().name().toLowerCase();
  }

  /** Other cgroup mounts, so that "no memory on cgroup2" is visible when v1 is used and vice versa. */
  private static List<Finding> otherMounts(MemoryMount used) {
    List<Finding> out = new ArrayList<>();
    try {
      for (MountInfo m : MountInfo.read(MountInfo.PROC_SELF_MOUNTINFO)) {
        if (m.fsType().equals("cgroup2") && (used == null || !m.mountPoint().equals(used.path()))) {
          String controllers = readOr(m.mountPoint().resolve("cgroup.controllers"), "").trim();
          out.add(Finding.info("cgroup2 also mounted at " + m.mountPoint() + ", controllers: "
              + (controllers.isEmpty() ? "none" : controllers)));
        }
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read " + MountInfo.PROC_SELF_MOUNTINFO + ": " + e.getMessage()));
    }
    return out;
  }

  /**
   * v2: each existing cgroup from the mount down to the root's parent must pass memory on to its children
   * ({@code cgroup.subtree_control}); the plugin enables it only in cgroups it creates itself.
   */
  private static List<Finding> delegation(CgroupFs fs, MemoryMount mount, Path root) {
    List<Finding> out = new ArrayList<>();
    Path dir = mount.path();
    Path reached = mount.path();
    for (Path part : mount.path().relativize(root)) {
      Path child = dir.resolve(part);
      String subtree;
      try {
        subtree = fs.read(dir.resolve("cgroup.subtree_control"));
      } catch (IOException e) {
        subtree = "";
      }
      boolean memory = (" " + subtree.trim() + " ").contains(" memory ");
      if (!memory) {
        out.add(Finding.fail(dir + " does not enable the memory controller for its children (its"
            + " cgroup.subtree_control is '" + subtree.trim() + "'): write +memory to it, or for a systemd"
            + " service use Delegate=yes (conf/systemd/yarn-memcg-v2.conf)"));
        return out;
      }
      reached = child;
      if (!fs.isDirectory(child)) {
        break;
      }
      dir = child;
    }
    out.add(Finding.ok("the memory controller is passed down from " + mount.path() + " to " + reached));
    return out;
  }

  /**
   * v2: the NodeManager moves each container's first process from its own cgroup into the container's, which the
   * kernel allows only to a writer of cgroup.procs of the common ancestor of both. The doctor does not run in the
   * NodeManager's cgroup, so it names the highest cgroup above the root whose cgroup.procs this user may write:
   * the NodeManager must run below it (and outside the root).
   */
  private static Finding processMoves(CgroupDriver driver, Path root) {
    String user = System.getProperty("user.name");
    Delegation delegation = new Delegation(driver);
    Optional<Path> movable = delegation.highestMovableAbove(root);
    if (movable.isPresent()) {
      return Finding.ok(user + " can write " + movable.get().resolve("cgroup.procs") + ", so a NodeManager running"
          + " in a cgroup below " + movable.get() + " (not inside the root) can move container processes into the"
          + " root");
    }
    Path subtree = delegation.subtreeFor(root);
    return Finding.fail(user + " cannot move container processes into " + root + ": on cgroup v2 that needs write"
        + " access to cgroup.procs of the common ancestor of the NodeManager's cgroup and the root, and " + user
        + " may write cgroup.procs of no cgroup above the root. Delegate a subtree holding both to " + user
        + ": systemd Delegate=yes and DelegateSubgroup= (conf/systemd/yarn-memcg-v2.conf, systemd 254+), or"
        + " Delegate=yes and bin/yarn-memcg-leaf in ExecStart= (conf/systemd/yarn-memcg-v2-systemd249.conf, systemd"
        + " 249+), or as root chown "
        + user + " " + subtree + " and its cgroup.procs, cgroup.subtree_control and cgroup.threads, and run the"
        + " NodeManager in a child of " + subtree + " other than the root");
  }

  /**
   * Whether the root exists and this user can create cgroups in it. When it exists, a probe cgroup is created
   * in it (and returned, to be checked for features and removed); when it does not, the parent that the
   * NodeManager will create it in must be writable.
   */
  private static Path root(CgroupDriver driver, Path root, List<Finding> out) {
    String user = System.getProperty("user.name");
    CgroupFs fs = driver.fs();
    if (!fs.isDirectory(root)) {
      Path existing = root.getParent();
      while (!fs.isDirectory(existing)) {
        existing = existing.getParent();
      }
      if (fs.isWritable(existing)) {
        out.add(Finding.ok("root " + root + " does not exist yet; the NodeManager creates it at start (" + user
            + " can write " + existing + ")"));
      } else {
        out.add(Finding.fail("root " + root + " does not exist and " + user + " cannot create it: " + existing
            + " is " + owner(fs, existing) + "; create the root and chown it to the NodeManager's user"
            + (driver.mount().version() == CgroupVersion.V2 ? ", or delegate a subtree holding it (systemd"
                + " Delegate=yes, or chown " + existing + " and its cgroup.procs, cgroup.subtree_control and"
                + " cgroup.threads)" : "")));
      }
      return null;
    }
    Path probe = root.resolve("yarn-memcg-doctor-" + Processes.self());
    try {
      driver.create(probe);
      out.add(Finding.ok("root " + root + " exists (" + owner(fs, root) + ") and " + user
          + " can create cgroups in it"));
      if (driver.mount().version() == CgroupVersion.V2) {
        List<String> notWritable = Stream.of("cgroup.procs", "cgroup.subtree_control")
            .filter(f -> !fs.isWritable(root.resolve(f))).collect(Collectors.toList());
        if (!notWritable.isEmpty()) {
          out.add(Finding.fail("root " + root + " is not delegated to " + user + ": cannot write " + notWritable
              + "; use systemd Delegate=yes or chown these files"));
        }
      }
      return probe;
    } catch (IOException e) {
      out.add(Finding.fail("root " + root + " exists (" + owner(fs, root) + ") but " + user
          + " cannot create a cgroup in it: " + e.getMessage()
          + (driver.mount().version() == CgroupVersion.V1 ? "; chown the root to the NodeManager's user"
              : "; delegate it to the NodeManager's user (systemd Delegate=yes)")));
      return null;
    }
  }

  /**
   * The interface files the plugin relies on, looked up in a real child cgroup when there is one (several exist
   * only below the top of the hierarchy).
   */
  private static void features(CgroupFs fs, MemoryMount mount, Path where, boolean isProbe, List<Finding> out) {
    boolean v2 = mount.version() == CgroupVersion.V2;
    if (!isProbe) {
      out.add(Finding.info("kernel features looked up in " + where + ", not in a container-level cgroup: files"
          + " that only child cgroups have show as absent; create the root to check exactly"));
    }
    String v2Only = "cgroup v2 only";
    feature(fs, out, where, "memory.force_empty", !v2, v2 ? "cgroup v1 only" : "drains page cache on v1");
    feature(fs, out, where, "memory.reclaim", false, v2 ? "drains page cache on v2, kernel 5.19+; without it the drain"
        + " sets memory.high to 0 in the emptied cgroup" : v2Only);
    feature(fs, out, where, "cgroup.kill", false, v2 ? "kills a whole cgroup at once, kernel 5.14+; without it"
        + " the cgroup is frozen (cgroup.freeze, 5.2+), its processes killed one by one, then thawed" : v2Only);
    feature(fs, out, where, "memory.peak", false, v2 ? "peak in the final figures, kernel 5.19+; without it the peak"
        + " is memory.current as sampled" : v2Only + "; v1 has memory.max_usage_in_bytes");
    feature(fs, out, where, "memory.oom.group", false, v2 ? "whole-cgroup OOM kill, kernel 4.19+; yarn-memcg sets it on"
        + " every container cgroup, so an OOM takes the whole container" : v2Only);
    feature(fs, out, where, "memory.events", false, v2 ? "OOM kills in running containers are reported as the kernel"
        + " signals them (inotify)" : v2Only + "; on v1 they are read from memory.oom_control every "
        + OomWatcher.V1_POLL.toMillis() + " ms, because v1's only notification, an eventfd registered through"
        + " cgroup.event_control, cannot be created from Java (and Linux 6.12 deprecates it)");
  }

  /** What the NodeManager will use for each function on this kernel, as it says in its start-up line. */
  private static void interfaces(CgroupDriver driver, Path probe, List<Finding> out) {
    try {
      KernelInterfaces k = driver.interfaces(probe);
      out.add(Finding.ok("kernel " + System.getProperty("os.version") + " interfaces: " + k.describe()));
      if (k.psi() == KernelInterfaces.Psi.OFF) {
        out.add(Finding.info("memory pressure (PSI) of containers is not reported: " + k.psi().description()));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot read which kernel interfaces " + probe + " offers: " + e.getMessage()));
    }
  }

  private static void feature(CgroupFs fs, List<Finding> out, Path where, String file, boolean needed,
      String what) {
    boolean present = fs.exists(where.resolve(file));
    if (present) {
      out.add(Finding.ok("feature " + file + ": present (" + what + ")"));
    } else if (needed) {
      out.add(Finding.fail("feature " + file + ": ABSENT, the plugin needs it (" + what + ")"));
    } else {
      out.add(Finding.info("feature " + file + ": absent (" + what + ")"));
    }
  }

  /**
   * Which way this node treats finished containers' page cache, measured as the NodeManager measures it at start
   * (a probe cgroup and a 1 MiB file in the first local dir, both removed).
   */
  /** @return the node's policy, or null when it could not be decided */
  private CleanupPolicy cleanupPolicy(CgroupDriver driver, Path root, List<Finding> out) {
    LifecycleSettings settings;
    try {
      settings = target.settings().lifecycle();
    } catch (IllegalArgumentException e) {
      return null; // reported with the settings
    }
    List<Path> localDirs = LocalDirApplications.localDirs(target.conf());
    Path scratch = localDirs.isEmpty() || !Files.isDirectory(localDirs.get(0))
        ? Paths.get(System.getProperty("java.io.tmpdir")) : localDirs.get(0);
    CleanupPolicy policy;
    try {
      CleanupPolicy.Decision d = CleanupPolicy.decide(settings,
          new ReparentProbe(driver, root, scratch, settings.deleteTimeout()));
      policy = d.policy();
      out.add(Finding.ok("cleanup: " + policy.description() + " (" + d.why() + ")"));
    } catch (IOException e) {
      out.add(Finding.warn("cannot measure whether this kernel moves a removed cgroup's page cache to its parent"
          + " (probe in " + scratch + "): " + e.getMessage() + "; the NodeManager then retires finished"
          + " containers' cgroups"));
      return null;
    }
    if (policy == CleanupPolicy.RETIRE) {
      out.add(Finding.info("retire budget: " + settings.retire().describe(RetireSettings.possibleCpus())));
    }
    // Hadoop's default is 0 (delete at once); it has no constant for it.
    long debugDelay = target.conf().getLong(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC, 0);
    if (policy == CleanupPolicy.AFTER_APPLICATION && debugDelay != 0) {
      out.add(Finding.warn(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC + "=" + debugDelay
          + " keeps ended applications' files, so their containers' cgroups wait "
          + (debugDelay < 0 ? "until" : "that long, or until")
          + " drain.wait.max-ms (" + settings.maxWait().toMillis() + " ms)"));
    }
    return policy;
  }

  private static void dying(CgroupDriver driver, List<Finding> out) {
    try {
      long dying = driver.dyingMemcgs();
      String text = "dying memcgs on this node: " + dying;
      out.add(dying < DYING_WARN ? Finding.ok(text) : Finding.warn(text + " (many: reclaim slows down, and near"
          + " 65535 the kernel refuses new cgroups; they go when their page cache is reclaimed)"));
    } catch (IOException e) {
      out.add(Finding.warn("cannot count dying memcgs: " + e.getMessage()));
    }
  }

  private void leftovers(CleanupPolicy policy, List<Finding> out) {
    try (ContainerMemcgs memcgs = target.lifecycle()) {
      Sweep sweep = new Sweep(memcgs, sweepMinAge, target.applications());
      List<Sweep.Found> found = sweep.find();
      List<String> orphans = ids(found, OrphanRule.State.ORPHAN);
      List<String> running = ids(found, OrphanRule.State.RUNNING);
      List<String> waiting = ids(found, OrphanRule.State.WAITING);
      if (!waiting.isEmpty()) {
        out.add(Finding.info("container cgroups waiting for their application to end: " + waiting.size() + " "
            + waiting));
      }
      if (policy == CleanupPolicy.RETIRE && !orphans.isEmpty()) {
        // Empty cgroups of ended applications are what a retiring NodeManager keeps while their page cache may be
        // read again: not leftovers while it runs.
        long held = 0;
        for (Sweep.Found f : found) {
          held += f.state() == OrphanRule.State.ORPHAN ? f.chargedBytes() : 0;
        }
        out.add(Finding.info("retired container cgroups (empty, their page cache kept for whoever reads it next; the"
            + " NodeManager removes each once that is gone, or over its budget): " + orphans.size() + " holding "
            + (held >> 20) + " MiB; if the NodeManager no longer runs with yarn-memcg, 'yarn-memcg sweep --apply'"
            + " drains and removes them"));
      } else if (orphans.isEmpty()) {
        out.add(Finding.ok("leftover container cgroups: none (" + running.size() + " in use)"));
      } else {
        out.add(Finding.warn("leftover container cgroups with no process: " + orphans.size() + " " + orphans
            + "; 'yarn-memcg sweep --apply' drains and removes them"));
      }
      List<String> others = sweep.others();
      if (!others.isEmpty()) {
        out.add(Finding.info("cgroups under the root that are not containers' (never touched): " + others));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot list container cgroups: " + e.getMessage()));
    }
  }

  private static List<String> ids(List<Sweep.Found> found, OrphanRule.State state) {
    return found.stream().filter(f -> f.state() == state).map(Sweep.Found::containerId).collect(Collectors.toList());
  }

  /**
   * The Hadoop and Java this command found (bin/yarn-memcg runs on the node's {@code hadoop classpath} and its
   * JAVA_HOME, so they are the NodeManager's unless that sets its own). The plugin jar is Java 8 bytecode and uses
   * only what Hadoop 3.3.6 to 3.5.0 have in common; those lines were run with it (README, compatibility).
   */
  static Finding runtime(String hadoop, String java) {
    String text = "Hadoop " + hadoop + " on Java " + java;
    String[] v = hadoop.split("[.-]");
    int major;
    int minor;
    try {
      major = Integer.parseInt(v[0]);
      minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
    } catch (NumberFormatException e) {
      return Finding.warn(text + ": cannot read the Hadoop version; yarn-memcg is proven on Hadoop 3.3 to 3.5");
    }
    if (major < 3 || major == 3 && minor < 3) {
      return Finding.warn(text + ": yarn-memcg is proven on Hadoop 3.3 to 3.5 only");
    }
    if (major == 3 && minor >= 5 && java.startsWith("1.")) {
      return Finding.warn(text + ": Hadoop 3.5 needs Java 17 on the NodeManager");
    }
    return Finding.ok(text + (major == 3 && minor <= 5 ? "" : " (newer than the Hadoop 3.5 yarn-memcg is proven on)"));
  }

  private void yarnSite(List<Finding> out) {
    if (!target.yarnSite().isPresent()) {
      out.add(Finding.info("no yarn-site.xml given (--conf FILE) or on the classpath: plugin defaults used, the"
          + " NodeManager's settings not checked"));
      return;
    }
    out.add(Finding.info("settings from " + target.yarnSite().get()));
    out.addAll(YarnSiteCheck.check(target.conf()));
  }

  private static Path nearestExisting(CgroupFs fs, MemoryMount mount, Path root) {
    Path p = root;
    while (!p.equals(mount.path()) && !fs.isDirectory(p)) {
      p = p.getParent();
    }
    return p;
  }

  private static String owner(CgroupFs fs, Path p) {
    try {
      PosixFileAttributes a = fs.posixAttributes(p);
      return "owner " + a.owner().getName() + ":" + a.group().getName() + " "
          + PosixFilePermissions.toString(a.permissions());
    } catch (IOException e) {
      return "owner unknown: " + e.getMessage();
    }
  }

  private static String readOr(Path file, String otherwise) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return otherwise;
    }
  }

  /** The report as printed, ending with a summary line. */
  public static String report(List<Finding> findings) {
    StringBuilder out = new StringBuilder();
    findings.forEach(f -> out.append(f).append('\n'));
    long problems = findings.stream().filter(f -> f.level() == Finding.Level.FAIL).count();
    long warnings = findings.stream().filter(f -> f.level() == Finding.Level.WARN).count();
    out.append(problems == 0 ? "doctor: no problem found" : "doctor: " + problems + " problem(s) found")
        .append(warnings == 0 ? "" : ", " + warnings + " warning(s)").append('\n');
    return out.toString();
  }

  /**
   * The findings as JSON for scripts: {@code {"healthy": bool, "problems": n, "warnings": n, "findings": [{"level":
   * "OK|INFO|WARN|FAIL", "text": ...}]}}, the exit code as for the text report.
   */
  public static String json(List<Finding> findings) {
    java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
    doc.put("healthy", healthy(findings));
    doc.put("problems", findings.stream().filter(f -> f.level() == Finding.Level.FAIL).count());
    doc.put("warnings", findings.stream().filter(f -> f.level() == Finding.Level.WARN).count());
    List<java.util.Map<String, String>> list = new ArrayList<>();
    for (Finding f : findings) {
      java.util.Map<String, String> one = new java.util.LinkedHashMap<>();
      one.put("level", f.level().name());
      one.put("text", f.text());
      list.add(one);
    }
    doc.put("findings", list);
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the doctor's findings as JSON", e);
    }
  }

  public static boolean healthy(List<Finding> findings) {
    return findings.stream().noneMatch(f -> f.level() == Finding.Level.FAIL);
  }
}
