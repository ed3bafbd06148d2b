package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Every {@code yarn.nodemanager.memcg.*} key with its default and what it does, kept apart from the parsing so that
 * the plugin's whole surface reads in one place. {@link #KEYS} is the list the README's table and the shipped
 * dist/conf/yarn-memcg-default.xml are checked against; {@code MemcgConfiguration} reads and validates the values.
 */
public final class MemcgKeys {
  private MemcgKeys() {}

  public static final String PREFIX = "yarn.nodemanager.memcg.";

  /** One setting: its full name, its default as written in yarn-site.xml, and what it does. */
  public static final class Key {
    private final String name;
    private final String defaultValue;
    private final String description;

    public Key(String name, String defaultValue, String description) {
      this.name = name;
      this.defaultValue = defaultValue;
      this.description = description;
    }

    public String name() {
      return name;
    }

    public String defaultValue() {
      return defaultValue;
    }

    public String description() {
      return description;
    }
  }

  public static final Key ROOT = new Key(PREFIX + "root", "hadoop-yarn-memcg",
      "The cgroup under which every container gets its own memory cgroup: relative to the memory controller's"
          + " mount, or an absolute path inside it. The plugin owns it and writes nowhere else.");
  public static final Key MODE = new Key(PREFIX + "mode", "auto",
      "auto, v1 or v2: which memory controller interface to use; auto prefers cgroup v2.");
  public static final Key DRAIN_ENABLED = new Key(PREFIX + "drain.enabled", "true",
      "Reclaim a finished container's page cache before removing its cgroup where the kernel would otherwise keep"
          + " the cgroup dying (when: drain.when). false: never; cgroups are removed as their containers end.");
  public static final Key DRAIN_WHEN = new Key(PREFIX + "drain.when", "auto",
      "When a finished container's page cache may be evicted. auto: the NodeManager measures at start whether the"
          + " kernel moves a removed cgroup's page cache to its parent (Linux 7.1+): there never, elsewhere as"
          + " over-budget. over-budget: the empty cgroup is retired, unprotected, and removed without eviction once"
          + " its page cache has gone (its files deleted, or reclaimed by the kernel); only when more cgroups are"
          + " retired than the retire budget allows is the one least likely to be read again drained."
          + " application-end: the empty cgroup waits, unprotected, until the NodeManager has deleted its"
          + " application's local directories, then what is left is drained. container-exit: drained at once (the"
          + " eager drain: map outputs a shuffle still reads are read back from disk).");
  public static final Key RETIRE_MAX_CGROUPS = new Key(PREFIX + "retire.max-cgroups", "4096",
      "drain.when=over-budget (auto before Linux 7.1): at most this many finished containers' cgroups are retired at"
          + " once, and fewer where retire.kernel-memory-mb allows fewer; beyond it the retired cgroup least likely"
          + " to be read again (pages never read again since it retired, the oldest first; else the one read again"
          + " longest ago) is drained and removed. 0: none is retired.");
  public static final Key RETIRE_KERNEL_MEMORY_MB = new Key(PREFIX + "retire.kernel-memory-mb", "64",
      "What the retired cgroups together may cost the kernel, besides the page cache they hold (which reclaim takes"
          + " first): each is estimated at 22 KiB plus 2 KiB per possible CPU of the node.");
  public static final Key RETIRE_RELEASE_BELOW_KB = new Key(PREFIX + "retire.release-below-kb", "1024",
      "A retired cgroup holding less page cache and shmem than this is drained of the rest and removed: not worth a"
          + " memcg.");
  public static final Key RETIRE_CHECK_INTERVAL_MS = new Key(PREFIX + "retire.check-interval-ms", "30000",
      "How often every retired cgroup's charge is read (the cgroups of an application are also read as soon as the"
          + " NodeManager deletes its files).");
  public static final Key DRAIN_WAIT_MAX_MS = new Key(PREFIX + "drain.wait.max-ms", "3600000",
      "drain.when=application-end: age cap: how long a finished container's cgroup may wait for its application to end before it is drained"
          + " anyway (long-running applications, or a delete.debug-delay-sec that keeps their files).");
  public static final Key DRAIN_WAIT_MAX_CGROUPS = new Key(PREFIX + "drain.wait.max-cgroups", "512",
      "drain.when=application-end: count cap: how many finished containers' cgroups may wait at once; beyond it the longest-waiting one is"
          + " drained. Each waiting cgroup costs what a live empty memcg costs the kernel (about 17 KiB on 2 CPUs,"
          + " growing with the CPU count), besides the page cache it still holds.");
  public static final Key DRAIN_TIMEOUT_MS = new Key(PREFIX + "drain.timeout-ms", "60000",
      "How long the background drain may wait for page cache to go; it covers the kernel's dirty-expire"
          + " interval (30 s by default), since dirty pages can only go after writeback. While it waits, the"
          + " empty cgroup stays and no cleanup thread is held.");
  public static final Key DELETE_TIMEOUT_MS = new Key(PREFIX + "delete.timeout-ms", "5000",
      "How long rmdir is retried on EBUSY (backoff from microseconds) before the reaper takes over.");
  public static final Key KILL_TIMEOUT_MS = new Key(PREFIX + "kill.timeout-ms", "5000",
      "How long leftover processes in a finished container's cgroup may take to die after SIGKILL.");
  public static final Key SOFT_LIMIT_PERCENT = new Key(PREFIX + "soft-limit-percent", "90",
      "Soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low) of a guaranteed container, in percent of its"
          + " memory; opportunistic containers get none, as in Hadoop's own handler.");
  public static final Key SWAPPINESS = new Key(PREFIX + "swappiness", "0",
      "memory.swappiness of a guaranteed container (v1 only); opportunistic containers get 100.");
  public static final Key CLEANUP_THREADS = new Key(PREFIX + "cleanup.threads", "2",
      "Background threads that drain and remove finished containers' cgroups.");
  public static final Key REAPER_GIVE_UP_MS = new Key(PREFIX + "reaper.give-up-ms", "3600000",
      "How long the reaper keeps retrying a cgroup it could not remove before it counts it as given up.");

  public static final Key SWEEP_INTERVAL_MS = new Key(PREFIX + "sweep.interval-ms", "600000",
      "How often cgroups under the root that belong to no container the NodeManager knows are drained and"
          + " removed (cgroups of containers not recovered are swept once at start); 0 turns the periodic sweep"
          + " off.");

  public static final Key OPPORTUNISTIC_HIGH_PERCENT = new Key(PREFIX + "opportunistic.memory-high-percent", "0",
      "cgroup v2: opportunistic containers are throttled from this percent of their memory on (memory.high: the"
          + " kernel reclaims from them and slows their allocations), before the hard limit; guaranteed containers"
          + " never are. 0: not before the hard limit. Anonymous memory cannot be reclaimed without swap, so a"
          + " container that needs more than its hard limit is still OOM-killed. v1 has no such limit.");
  public static final Key CPU_ENABLED = new Key(PREFIX + "cpu.enabled", "false",
      "cgroup v2: give each container its CPU share in its own cgroup (cpu.weight from its vcores, and cpu.max in"
          + " strict mode), computed as Hadoop 3.5.0's v2 CPU handler does from"
          + " yarn.nodemanager.linux-container-executor.cgroups.strict-resource-usage and"
          + " yarn.nodemanager.resource.percentage-physical-cpu-limit; then leave Hadoop's cgroup handlers off. The"
          + " root's parent must pass the cpu controller down. On cgroup v1 CPU stays with Hadoop's own handler.");
  public static final Key RESIZE_INTERVAL_MS = new Key(PREFIX + "resize.interval-ms", "1000",
      "How often MemcgContainerExecutor compares each running container's size in the NodeManager with its cgroup's"
          + " and applies a change (YARN tells executors of no resize); a pass without a change reads nothing from the"
          + " kernel. 0 turns it off.");
  public static final Key OOM_WATCH = new Key(PREFIX + "oom-watch.enabled", "true",
      "Report a kernel OOM kill in a running container as it happens (logged, counted, and in the container's"
          + " diagnostics under MemcgContainerExecutor), not only when the container ends: cgroup v2 is signalled"
          + " by the kernel, v1 is read every 250 ms. false: reported when the container ends.");

  public static final Key SWAP_PERCENT = new Key(PREFIX + "swap-percent",
      Integer.toString(LifecycleSettings.DEFAULT_SWAP_PERCENT),
      "Swap a container may use besides its memory, in percent of its memory (v2 memory.swap.max; v1"
          + " memory.memsw.limit_in_bytes, where the kernel accounts swap). 0: none, so that on a node with swap a"
          + " container stays within its YARN allocation and is OOM-killed past it instead of swapping on, as"
          + " kubelet's NoSwap; -1: as much swap as the node has (no swap limit).");
  public static final Key NODE_LIMIT_MB = new Key(PREFIX + "node-limit-mb", "auto",
      "One hard limit on all containers together, on the root (v1 memory.limit_in_bytes, v2 memory.max), so that"
          + " containers and the page cache they and the finished containers' cgroups hold never take the memory of"
          + " the node's daemons. auto: the memory YARN may give containers (yarn.nodemanager.resource.memory-mb, or"
          + " what the NodeManager detects), as kubelet limits its pods to the node's allocatable memory; a number:"
          + " that many MiB; off: no node limit. Page cache above it is reclaimed from the containers' cgroups, the"
          + " finished ones first where the kernel finds their pages colder.");
  public static final Key ELASTIC_ENABLED = new Key(PREFIX + "elastic.enabled", "false",
      "Elastic mode, as Hadoop's elastic memory control (which needs Hadoop's own memory handler: leave"
          + " yarn.nodemanager.elastic-memory-control.enabled false): containers get no hard limit of their own and"
          + " may use more than they requested while the node has room; the node limit (node-limit-mb, which must not"
          + " be off) holds them all, and when their anonymous memory and shmem come within 1/32 of it (64 MiB to"
          + " 1 GiB), or on cgroup v1 when they wait at it with the kernel's OOM killer held off, the NodeManager kills"
          + " the container YARN would choose: opportunistic first, then one over its request, then the newest; its"
          + " diagnostics say why.");
  public static final Key OOM_SCORE_ADJ_GUARANTEED = new Key(PREFIX + "oom-score-adj.guaranteed", "500",
      "oom_score_adj of a guaranteed container's processes (-1000 to 1000), so that when the whole node runs out of"
          + " memory the kernel kills a container before a daemon: 500 puts any container ahead of every daemon that"
          + " holds less than half the node's memory more than it. Never lower than the NodeManager's own; with"
          + " LinuxContainerExecutor the setuid container-executor starts the process, and it keeps the"
          + " NodeManager's.");
  public static final Key OOM_SCORE_ADJ_OPPORTUNISTIC = new Key(PREFIX + "oom-score-adj.opportunistic", "1000",
      "oom_score_adj of an opportunistic container's processes: 1000, the kernel's first choice, so that an"
          + " opportunistic container goes before any guaranteed one, as YARN would choose.");

  public static final List<Key> KEYS = Collections.unmodifiableList(Arrays.asList(ROOT, MODE, DRAIN_ENABLED,
      DRAIN_WHEN, RETIRE_MAX_CGROUPS, RETIRE_KERNEL_MEMORY_MB, RETIRE_RELEASE_BELOW_KB, RETIRE_CHECK_INTERVAL_MS,
      DRAIN_WAIT_MAX_MS, DRAIN_WAIT_MAX_CGROUPS, DRAIN_TIMEOUT_MS, DELETE_TIMEOUT_MS, KILL_TIMEOUT_MS,
      SOFT_LIMIT_PERCENT, SWAPPINESS, OPPORTUNISTIC_HIGH_PERCENT, CLEANUP_THREADS, REAPER_GIVE_UP_MS, SWEEP_INTERVAL_MS,
      CPU_ENABLED, RESIZE_INTERVAL_MS, OOM_WATCH, SWAP_PERCENT, NODE_LIMIT_MB, ELASTIC_ENABLED, OOM_SCORE_ADJ_GUARANTEED,
      OOM_SCORE_ADJ_OPPORTUNISTIC));
}
