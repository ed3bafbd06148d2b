package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Workloads;
import io.github.yarnmemcg.testing.YarnClusters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.util.StringUtils;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * The payload of src/test/vm/systemd-recipe: run as the main process of a systemd service with {@code Delegate=yes}
 * (under dist/bin/yarn-memcg-leaf, which put it into {@code <service cgroup>/nodemanager}), it starts a real
 * NodeManager with the plugin (a MiniYARNCluster: its ResourceManager runs in the same JVM) on the root
 * {@code ROOT} (inside the service's cgroup), runs {@code N} containers of {@code MIB_PER} MiB each that record
 * their own cgroup, its memory.max and cpu.weight, and read a fresh 8 MiB file, deletes those files as an
 * application would, waits for every container cgroup to be removed and for the service cgroup's
 * {@code nr_dying_descendants} to be 0, and prints {@code key=value} lines for the script to check.
 *
 * <p>Arguments: {@code ROOT WORK N MIB_PER}.
 */
public final class SystemdNodeManagerMain {
  private SystemdNodeManagerMain() {}

  public static void main(String[] args) throws Exception {
    Path root = Paths.get(args[0]);
    Path work = Paths.get(args[1]);
    int n = Integer.parseInt(args[2]);
    int mib = Integer.parseInt(args[3]);
    long t0 = System.nanoTime();
    try {
      System.out.println("user=" + System.getProperty("user.name"));
      String own = Files.readString(Paths.get("/proc/self/cgroup")).trim().replaceFirst("^0::", "");
      System.out.println("ownCgroup=" + own);
      Path service = root.getParent();
      System.out.println("service=" + service);
      System.out.println("service.subtree_control=" + read(service.resolve("cgroup.subtree_control")));
      System.out.println("service.procs=" + read(service.resolve("cgroup.procs")).replace('\n', ' '));
      YarnConfiguration conf = YarnClusters.logsDeletedAtApplicationEnd(
          YarnClusters.operatorConfiguration(root, MemcgProcessTree.class.getName()));
      conf.set(YarnConfiguration.NM_LOCAL_DIRS, work.resolve("local").toString());
      conf.set(YarnConfiguration.NM_LOG_DIRS, work.resolve("logs").toString());
      conf.setBoolean(MemcgKeys.CPU_ENABLED.name(), true);
      // Retired cgroups whose files were deleted are released at the next pass: 2 s instead of 30.
      conf.set(MemcgKeys.RETIRE_CHECK_INTERVAL_MS.name(), "2000");
      MiniYARNCluster cluster = YarnClusters.startCluster(conf, "memcg-systemd");
      System.out.printf("[measure] cluster started after %.1f s%n", (System.nanoTime() - t0) / 1e9);
      System.out.println("root.subtree_control=" + read(root.resolve("cgroup.subtree_control")));
      YarnClient client = YarnClient.createYarnClient();
      List<Path> inputs = new ArrayList<>();
      try {
        client.init(cluster.getConfig());
        client.start();
        for (int i = 0; i < n; i++) {
          Path input = Workloads.freshFile(work, "input-" + i, 8);
          inputs.add(input);
          Path seen = work.resolve("seen-" + i);
          // A script of its own: YARN runs a container's command inside double quotes (bash -c "..."), where its
          // $ would be expanded by the launch script.
          Path probe = work.resolve("probe-" + i + ".sh");
          Files.writeString(probe, "cg=$(sed -n 's/^0:://p' /proc/self/cgroup)\n"
              + "d=/sys/fs/cgroup$cg\n"
              + "echo \"$cg $(cat $d/memory.max) $(cat $d/cpu.weight 2>/dev/null || echo none)\" > " + seen + "\n"
              + "exec dd if=" + input + " of=/dev/null bs=1M status=none\n");
          String cmd = "/bin/sh " + probe;
          YarnClusters.Ran ran = YarnClusters.runContainer(client, cmd, mib);
          String[] saw = Files.exists(seen) ? read(seen).split(" ") : new String[] {"none", "none", "none"};
          Path expected = root.resolve(ran.containerId().toString());
          System.out.println("container." + i + "=" + ran.containerId() + " exitCode=" + YarnClusters.exitCode(ran)
              + " cgroup=" + saw[0] + " inExpectedCgroup=" + Paths.get("/sys/fs/cgroup" + saw[0]).equals(expected)
              + " memory.max=" + saw[1] + " cpu.weight=" + saw[2]);
          YarnClusters.awaitCleaned(expected);
        }
        System.out.println("afterContainers.nr_dying_descendants.service=" + dying(service));
        System.out.println("afterContainers.children=" + children(root));
        // The application's files go, as they do when an application ends: the retired cgroups that hold them are
        // then released without eviction.
        for (Path input : inputs) {
          Files.delete(input);
        }
        boolean empty = Await.within(Duration.ofSeconds(90), () -> children(root).isEmpty());
        System.out.println("rootEmptied=" + empty + " children=" + children(root));
        boolean noDying = Await.within(Duration.ofSeconds(60), () -> dying(service) == 0);
        System.out.println("final.nr_dying_descendants.service=" + dying(service) + " (within 60 s: " + noDying + ")");
        System.out.println("final.nr_dying_descendants.root=" + dying(root));
        // What systemd's removal of the service's cgroups at stop may leave dying: the page cache charged to them.
        for (Path p : List.of(service.resolve("nodemanager"), root, service)) {
          System.out.println("final.file_kib." + p.getFileName() + "=" + fileKib(p));
        }
        System.out.println("metrics=" + YarnClusters.metricsThroughJmx());
        // One more container whose file stays: its cgroup stays retired, holding that page cache, when the
        // NodeManager stops, which shows what systemd does with the delegated subtree when the service stops.
        Path kept = Workloads.freshFile(work, "input-kept", 8);
        Path probe = work.resolve("probe-kept.sh");
        Files.writeString(probe, "exec dd if=" + kept + " of=/dev/null bs=1M status=none\n");
        YarnClusters.Ran ran = YarnClusters.runContainer(client, "/bin/sh " + probe, mib);
        Path keptCgroup = root.resolve(ran.containerId().toString());
        YarnClusters.awaitCleaned(keptCgroup);
        System.out.println("kept.retired=" + (Files.exists(keptCgroup) && YarnClusters.isRetired(keptCgroup))
            + " file_kib=" + (Files.exists(keptCgroup) ? fileKib(keptCgroup) : -1));
      } finally {
        client.stop();
        cluster.stop();
      }
      System.out.println("atExit.children=" + children(root));
      System.out.printf("[measure] payload %.1f s%n", (System.nanoTime() - t0) / 1e9);
      System.exit(0);
    } catch (Throwable e) {
      System.out.println("error=" + StringUtils.stringifyException(e).replace('\n', ' '));
      System.exit(1);
    }
  }

  static String read(Path p) throws java.io.IOException {
    return Files.readString(p).trim();
  }

  static long fileKib(Path cgroup) throws java.io.IOException {
    for (String line : Files.readAllLines(cgroup.resolve("memory.stat"))) {
      if (line.startsWith("file ")) {
        return Long.parseLong(line.substring(5).trim()) / 1024;
      }
    }
    return -1;
  }

  static long dying(Path cgroup) throws java.io.IOException {
    for (String line : Files.readAllLines(cgroup.resolve("cgroup.stat"))) {
      if (line.startsWith("nr_dying_descendants ")) {
        return Long.parseLong(line.substring("nr_dying_descendants ".length()).trim());
      }
    }
    return -1;
  }

  /** The container cgroups (children) under the root. */
  static List<String> children(Path root) throws java.io.IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }
}
