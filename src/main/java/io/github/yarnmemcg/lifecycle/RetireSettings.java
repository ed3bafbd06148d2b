package io.github.yarnmemcg.lifecycle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Objects;

/**
 * How many finished containers' cgroups may stay retired (empty, unprotected, still holding page cache that someone
 * may read again) and when one goes. Retired cgroups cost the kernel what a live empty memcg costs, most of it per
 * possible CPU, so the budget is a count derived from a kernel-memory allowance and the node's CPUs, capped by a plain
 * count; a retired cgroup is removed on its own once its page cache has fallen below {@link #releaseBelowBytes}
 * (its files were deleted, or the kernel reclaimed the pages), and drained only when the budget is exceeded.
 */
public final class RetireSettings {

  /**
   * Kernel memory of one empty memory cgroup, modelled as a fixed part (slab: 17-21 KiB measured on kernels 6.1 to
   * 7.3) plus a part per possible CPU (per-CPU statistics: 1.5-2.5 KiB each), rounded up to cover every measurement;
   * docs/page-cache-policy.md gives them.
   */
  static final long BASE_BYTES_PER_MEMCG = 22 << 10;
  static final long BYTES_PER_MEMCG_PER_CPU = 2 << 10;

  public static final int DEFAULT_MAX_CGROUPS = 4096;
  public static final long DEFAULT_KERNEL_MEMORY_BYTES = 64L << 20;
  public static final long DEFAULT_RELEASE_BELOW_BYTES = 1L << 20;
  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(30);

  private final int maxCgroups;
  private final long kernelMemoryBytes;
  private final long releaseBelowBytes;
  private final Duration checkInterval;

  private RetireSettings(int maxCgroups, long kernelMemoryBytes, long releaseBelowBytes, Duration checkInterval) {
    if (maxCgroups < 0 || kernelMemoryBytes < 0 || releaseBelowBytes < 0 || checkInterval.isNegative()
        || checkInterval.isZero()) {
      throw new IllegalArgumentException("invalid retire settings: max " + maxCgroups + " cgroups, "
          + kernelMemoryBytes + " bytes of kernel memory, release below " + releaseBelowBytes + " bytes, check every "
          + checkInterval);
    }
    this.maxCgroups = maxCgroups;
    this.kernelMemoryBytes = kernelMemoryBytes;
    this.releaseBelowBytes = releaseBelowBytes;
    this.checkInterval = checkInterval;
  }

  /** The defaults of {@code yarn.nodemanager.memcg.retire.*}. */
  public static RetireSettings defaults() {
    return of(DEFAULT_MAX_CGROUPS, DEFAULT_KERNEL_MEMORY_BYTES, DEFAULT_RELEASE_BELOW_BYTES, DEFAULT_CHECK_INTERVAL);
  }

  /**
   * @param maxCgroups at most this many retired cgroups, whatever the kernel memory allows (0: none, every finished
   *     container's cgroup is drained at once)
   * @param kernelMemoryBytes what the retired cgroups together may cost the kernel, estimated per memcg
   * @param releaseBelowBytes a retired cgroup holding less page cache than this is drained of the rest and removed
   * @param checkInterval how often every retired cgroup's charge is read
   */
  public static RetireSettings of(int maxCgroups, long kernelMemoryBytes, long releaseBelowBytes,
      Duration checkInterval) {
    return new RetireSettings(maxCgroups, kernelMemoryBytes, releaseBelowBytes, checkInterval);
  }

  public int maxCgroups() {
    return maxCgroups;
  }

  public long kernelMemoryBytes() {
    return kernelMemoryBytes;
  }

  public long releaseBelowBytes() {
    return releaseBelowBytes;
  }

  public Duration checkInterval() {
    return checkInterval;
  }

  /** The estimated kernel memory of one empty memcg on a node with this many possible CPUs. */
  public static long bytesPerMemcg(int possibleCpus) {
    return BASE_BYTES_PER_MEMCG + BYTES_PER_MEMCG_PER_CPU * Math.max(1, possibleCpus);
  }

  /** How many cgroups may be retired at once on a node with this many possible CPUs. */
  public int budget(int possibleCpus) {
    return (int) Math.min(maxCgroups, kernelMemoryBytes / bytesPerMemcg(possibleCpus));
  }

  /**
   * The budget on a node with this many possible CPUs and how it follows from the settings: one wording for the
   * start-up log line and the doctor.
   */
  public String describe(int possibleCpus) {
    return budget(possibleCpus) + " cgroups retired at once at most (" + maxCgroups + " by count, "
        + (kernelMemoryBytes >> 20) + " MiB of kernel memory at about " + bytesPerMemcg(possibleCpus) / 1024
        + " KiB each on " + possibleCpus + " possible CPUs); released below " + (releaseBelowBytes >> 10) + " KiB";
  }

  /**
   * The CPUs the kernel allocates every memcg's per-CPU parts for ({@code /sys/devices/system/cpu/possible}), or the
   * CPUs this JVM sees when that cannot be read.
   */
  public static int possibleCpus() {
    try {
      return cpusIn(new String(Files.readAllBytes(Paths.get("/sys/devices/system/cpu/possible")),
          StandardCharsets.US_ASCII));
    } catch (IOException | IllegalArgumentException e) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  /**
   * The number of CPUs in a kernel CPU list such as {@code /sys/devices/system/cpu/possible} ({@code 0-3,8-11}): the
   * kernel allocates every memcg's per-CPU parts for each possible CPU, online or not.
   *
   * @throws IllegalArgumentException when the text is not such a list
   */
  public static int cpusIn(String cpuList) {
    int n = 0;
    for (String range : cpuList.trim().split(",")) {
      String[] ends = range.split("-");
      if (ends.length > 2 || ends[0].isEmpty()) {
        throw new IllegalArgumentException("not a CPU list: '" + cpuList.trim() + "'");
      }
      int first = Integer.parseInt(ends[0]);
      int last = ends.length == 2 ? Integer.parseInt(ends[1]) : first;
      if (last < first) {
        throw new IllegalArgumentException("not a CPU list: '" + cpuList.trim() + "'");
      }
      n += last - first + 1;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RetireSettings)) {
      return false;
    }
    RetireSettings r = (RetireSettings) o;
    return maxCgroups == r.maxCgroups && kernelMemoryBytes == r.kernelMemoryBytes
        && releaseBelowBytes == r.releaseBelowBytes && checkInterval.equals(r.checkInterval);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxCgroups, kernelMemoryBytes, releaseBelowBytes, checkInterval);
  }

  @Override
  public String toString() {
    return "RetireSettings[max " + maxCgroups + " cgroups, " + (kernelMemoryBytes >> 20) + " MiB of kernel memory,"
        + " release below " + (releaseBelowBytes >> 10) + " KiB, check every " + checkInterval.toMillis() + " ms]";
  }
}
