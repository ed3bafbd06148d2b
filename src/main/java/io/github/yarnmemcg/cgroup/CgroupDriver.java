package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The kernel interface to one memory cgroup, the same for cgroup v1 and v2; CPU, which only v2 has in the same
 * cgroups, is a {@link CpuDriver} of its own ({@link #cpu()}). Paths are cgroup directories under {@link #mount()};
 * the caller decides which ones it owns. Deadlines are {@link System#nanoTime()} values. No method follows a
 * symbolic link.
 */
public interface CgroupDriver {

  MemoryMount mount();

  /** The door every file operation of this driver goes through. */
  CgroupFs fs();

  /** Creates the cgroup (its parent must exist). @return false when it already existed */
  boolean create(Path cgroup) throws IOException;

  /**
   * Makes the memory controller available to the children of this cgroup: v2 writes {@code +memory} to
   * {@code cgroup.subtree_control}; v1 has nothing to do.
   */
  void enableMemoryForChildren(Path cgroup) throws IOException;

  /** Whether the children of this cgroup have the memory controller (v2 {@code cgroup.subtree_control}; v1 always). */
  boolean memoryEnabledForChildren(Path cgroup) throws IOException;

  /**
   * The cpu controller in these same cgroups, through the same door: v2 only. Empty on v1, where CPU is a hierarchy of
   * its own (Hadoop's CPU handler), and for a driver without one.
   */
  default Optional<CpuDriver> cpu() {
    return Optional.empty();
  }

  /** The hard limit: {@code memory.limit_in_bytes} or {@code memory.max}; {@code Long.MAX_VALUE}: none. */
  void setHardLimit(Path cgroup, long bytes) throws IOException;

  /**
   * The hard limit and the swap the cgroup may use besides it, written in an order the kernel accepts: v2
   * {@code memory.max} and {@code memory.swap.max}; v1 {@code memory.limit_in_bytes} and
   * {@code memory.memsw.limit_in_bytes} (memory plus swap, never below the memory limit, so it goes first when the
   * limit rises). Where the kernel does not account swap per cgroup ({@link #swapLimited} false), only the hard
   * limit. {@code Long.MAX_VALUE}: no limit.
   */
  void setLimits(Path cgroup, long hardBytes, long swapBytes) throws IOException;

  /**
   * Whether the kernel limits swap per cgroup in this cgroup: v2 {@code memory.swap.max}, v1
   * {@code memory.memsw.limit_in_bytes} (both absent when swap accounting is off: {@code swapaccount=0}, or
   * {@code cgroup.memory=noswap}).
   */
  boolean swapLimited(Path cgroup);

  /** The soft limit: {@code memory.soft_limit_in_bytes} or the protection {@code memory.low}. */
  void setSoftLimit(Path cgroup, long bytes) throws IOException;

  /**
   * The throttle limit: above it the kernel reclaims from the cgroup and slows its allocations down rather than
   * OOM-killing (v2 {@code memory.high}; {@code Long.MAX_VALUE} writes "max"). v1 has none, so this does nothing there.
   */
  void setThrottleLimit(Path cgroup, long bytes) throws IOException;

  /** {@code memory.swappiness}; v2 has no per-cgroup swappiness, so this does nothing there. */
  void setSwappiness(Path cgroup, int swappiness) throws IOException;

  /**
   * Makes an OOM kill in this cgroup take every process in it, not only the largest, so that a container
   * never runs on with part of its processes gone: v2 writes 1 to {@code memory.oom.group}; v1 has no group
   * OOM kill, so this does nothing there. Only for container cgroups: on a parent, a node-wide OOM would take
   * every container under it.
   */
  void setOomKillsAll(Path cgroup) throws IOException;

  /** The file a process id is written to so that the process joins the cgroup. */
  Path procsFile(Path cgroup);

  void addProcess(Path cgroup, long pid) throws IOException;

  /**
   * A command line that puts its own process into the cgroup and then execs {@code command}, so that the
   * command and everything it forks start inside the cgroup. If the join fails, the shell exits non-zero with
   * the kernel's reason on stderr and the command never runs.
   */
  default List<String> joinThenExec(Path cgroup, List<String> command) {
    List<String> argv = new java.util.ArrayList<>(java.util.Arrays.asList("/bin/sh", "-c",
        "echo $$ > \"$0\" && exec \"$@\"",
        procsFile(cgroup).toString()));
    argv.addAll(command);
    return argv;
  }

  /** The processes in the cgroup; empty when it does not exist. */
  List<Long> pids(Path cgroup) throws IOException;

  /**
   * The interface this driver uses for each function in a container-level cgroup such as {@code cgroup} (an existing
   * cgroup below the top of the hierarchy, where every interface file the kernel has shows): the best the kernel
   * offers, found by the files it shows.
   */
  KernelInterfaces interfaces(Path cgroup) throws IOException;

  /**
   * Sends SIGKILL to everything in the cgroup and returns within moments, as {@link #interfaces} says: v2
   * {@code cgroup.kill}, else v2 freeze, signal and thaw, else a signal to each process listed.
   */
  void signalKill(Path cgroup) throws IOException;

  /**
   * From now on, processes of another user that this JVM may not signal (a NodeManager that is not root, under
   * LinuxContainerExecutor) are killed through {@code kill}; where the kernel kills a whole cgroup by itself
   * ({@code cgroup.kill}) it is not needed.
   */
  void killOtherUsersThrough(PrivilegedKill kill);

  /** Kills everything in the cgroup until it is empty or the deadline passes. @return true when empty */
  boolean killAll(Path cgroup, long deadlineNanos) throws IOException;

  /**
   * Reclaims the cgroup's page cache (v1 {@code memory.force_empty}, v2 {@code memory.reclaim} in steps, or on v2
   * without it {@code memory.high} set to 0, only in a cgroup without processes: see {@link KernelInterfaces.Drain})
   * until none is left or the deadline passes. Dirty and writeback pages need the flusher first, so this
   * keeps trying with {@link Backoff#STANDARD} while they remain.
   */
  DrainResult drain(Path cgroup, long deadlineNanos) throws IOException;

  /**
   * Removes the cgroup directory, retrying {@code EBUSY} with {@link Backoff#STANDARD} until the deadline.
   * A cgroup that is already gone counts as removed.
   *
   * @return how many times rmdir was retried
   * @throws IOException with the kernel's reason when it still fails at the deadline
   */
  int delete(Path cgroup, long deadlineNanos) throws IOException;

  MemoryStats stats(Path cgroup) throws IOException;

  /**
   * Only the {@code memory.stat} counters (and v2's swap): anon, file, shmem, mapped, dirty, writeback, swap;
   * usage, peak, limit and event counts are {@link MemoryStats#UNKNOWN}. One file instead of six, for the
   * container monitor, which reads every container every few seconds.
   */
  MemoryStats memoryStat(Path cgroup) throws IOException;

  /** {@link #memoryStat(Path)} of a cgroup found once with {@link CgroupFs#locate}: reopened in one open(2). */
  MemoryStats memoryStat(CgroupFs.Located cgroup) throws IOException;

  /**
   * The cgroup's memory use now ({@code memory.current} or {@code memory.usage_in_bytes}), of a cgroup found once with
   * {@link CgroupFs#locate}: what a peak is sampled from on kernels that keep none.
   */
  long usage(CgroupFs.Located cgroup) throws IOException;

  /**
   * {@link #memoryStat} and the CPU time in one visit to a cgroup found once with {@link CgroupFs#locate}: the
   * container monitor's reading. v2 reads {@code cpu.stat}; v1 lists the processes instead.
   */
  MemorySample sample(CgroupFs.Located cgroup) throws IOException;

  /**
   * The cgroup's memory pressure (v2 {@code memory.pressure}); empty on v1 and on kernels without PSI for cgroups
   * (CONFIG_PSI off, or booted with {@code psi=0}).
   */
  Optional<Pressure> memoryPressure(Path cgroup) throws IOException;

  /**
   * The file whose {@code oom_kill} line counts the processes the kernel OOM killer has killed in a cgroup: v2
   * {@code memory.events}, v1 {@code memory.oom_control} (kernel 4.13+).
   */
  String oomKillsFile();

  /**
   * Whether the kernel signals changes of {@link #oomKillsFile} to an inotify watcher of the cgroup's directory: v2
   * does (at most every 10 ms per cgroup); v1's only OOM notification is an eventfd registered through
   * {@code cgroup.event_control}, which Java cannot create and which Linux 6.12 deprecates.
   */
  boolean oomKillsNotified();

  /**
   * Page cache charged to this cgroup itself, not to its children, which is where a removed child's pages land on a
   * kernel that moves them to the parent: v1 {@code cache} of {@code memory.stat}; {@link MemoryStats#UNKNOWN} on
   * v2, whose {@code memory.stat} counts the whole subtree (there {@link #dyingMemcgsUnder} tells instead).
   */
  long ownPageCache(Path cgroup) throws IOException;

  /**
   * Anonymous memory and shmem of the cgroup and everything below it: what reclaim cannot free without swap, and so
   * what decides whether all containers together still fit under the node limit (v1 {@code total_rss} and
   * {@code total_shmem}, v2 {@code anon} and {@code shmem} of {@code memory.stat}).
   */
  long unreclaimable(Path cgroup) throws IOException;

  /**
   * Whether tasks in this cgroup wait because it hit its limit with the kernel's OOM killer held off (v1
   * {@code under_oom} of {@code memory.oom_control}); always false on v2, which cannot hold the OOM killer off.
   */
  boolean underOom(Path cgroup) throws IOException;

  /**
   * Holds the kernel's OOM killer off in this cgroup (and in the children created after), so that tasks wait at its
   * limit for the NodeManager to choose whom to kill (v1 {@code memory.oom_control}); false lets it act again.
   *
   * @return false on v2, which has no such switch: the caller must act before the limit instead
   */
  boolean holdOffOomKiller(Path cgroup, boolean holdOff) throws IOException;

  /** Memory cgroups on the whole node that were removed but are still held by the kernel (dying). */
  long dyingMemcgs() throws IOException;

  /**
   * Memory cgroups below {@code cgroup} that were removed but are still held by the kernel, from its
   * {@code cgroup.stat} (v2); {@link MemoryStats#UNKNOWN} on v1, which counts dying cgroups only node-wide.
   */
  long dyingMemcgsUnder(Path cgroup) throws IOException;
}
