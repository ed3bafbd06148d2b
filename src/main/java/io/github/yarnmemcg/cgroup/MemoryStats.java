package io.github.yarnmemcg.cgroup;

import java.util.Locale;

/**
 * One reading of a cgroup's memory accounting, in bytes and counts, the same shape for v1 and v2. A figure
 * the kernel does not report is {@link #UNKNOWN}. {@code file} includes shmem on both versions, as the
 * kernel reports it; {@link #pageCache()} is the reclaimable part that a drain can free.
 */
public final class MemoryStats {

  private final long anon;
  private final long file;
  private final long shmem;
  private final long mappedFile;
  private final long activeFile;
  private final long inactiveFile;
  private final long dirty;
  private final long writeback;
  private final long swap;
  private final long usage;
  private final long peak;
  private final long limit;
  private final long limitHits;
  private final long oom;
  private final long oomKill;

  private MemoryStats(Builder b) {
    this.anon = b.anon;
    this.file = b.file;
    this.shmem = b.shmem;
    this.mappedFile = b.mappedFile;
    this.activeFile = b.activeFile;
    this.inactiveFile = b.inactiveFile;
    this.dirty = b.dirty;
    this.writeback = b.writeback;
    this.swap = b.swap;
    this.usage = b.usage;
    this.peak = b.peak;
    this.limit = b.limit;
    this.limitHits = b.limitHits;
    this.oom = b.oom;
    this.oomKill = b.oomKill;
  }

  /** A reading filled by name; every figure not set is {@link #UNKNOWN}, as the kernel not reporting it. */
  public static Builder builder() {
    return new Builder();
  }

  /** A reading of which the kernel gave nothing (every figure {@link #UNKNOWN}). */
  public static MemoryStats unknown() {
    return builder().build();
  }

  /** A builder holding these figures, to change some of them. */
  public Builder toBuilder() {
    return builder().anon(anon).file(file).shmem(shmem).mappedFile(mappedFile).activeFile(activeFile)
        .inactiveFile(inactiveFile).dirty(dirty).writeback(writeback).swap(swap).usage(usage).peak(peak).limit(limit)
        .limitHits(limitHits).oom(oom).oomKill(oomKill);
  }

  /**
   * The figures of one reading, set by name: a driver sets what its kernel reports, and the rest stays
   * {@link #UNKNOWN}, the one default, so that a figure left out can never read as zero.
   */
  public static final class Builder {
    private long anon = UNKNOWN;
    private long file = UNKNOWN;
    private long shmem = UNKNOWN;
    private long mappedFile = UNKNOWN;
    private long activeFile = UNKNOWN;
    private long inactiveFile = UNKNOWN;
    private long dirty = UNKNOWN;
    private long writeback = UNKNOWN;
    private long swap = UNKNOWN;
    private long usage = UNKNOWN;
    private long peak = UNKNOWN;
    private long limit = UNKNOWN;
    private long limitHits = UNKNOWN;
    private long oom = UNKNOWN;
    private long oomKill = UNKNOWN;

    private Builder() {}

    public Builder anon(long v) {
      anon = v;
      return this;
    }

    /** File pages, shmem included, as the kernel reports them. */
    public Builder file(long v) {
      file = v;
      return this;
    }

    public Builder shmem(long v) {
      shmem = v;
      return this;
    }

    public Builder mappedFile(long v) {
      mappedFile = v;
      return this;
    }

    public Builder activeFile(long v) {
      activeFile = v;
      return this;
    }

    public Builder inactiveFile(long v) {
      inactiveFile = v;
      return this;
    }

    public Builder dirty(long v) {
      dirty = v;
      return this;
    }

    public Builder writeback(long v) {
      writeback = v;
      return this;
    }

    public Builder swap(long v) {
      swap = v;
      return this;
    }

    public Builder usage(long v) {
      usage = v;
      return this;
    }

    public Builder peak(long v) {
      peak = v;
      return this;
    }

    public Builder limit(long v) {
      limit = v;
      return this;
    }

    /** Times the cgroup hit a limit (v1 failcnt, v2 {@code max} of {@code memory.events}). */
    public Builder limitHits(long v) {
      limitHits = v;
      return this;
    }

    public Builder oom(long v) {
      oom = v;
      return this;
    }

    public Builder oomKill(long v) {
      oomKill = v;
      return this;
    }

    public MemoryStats build() {
      return new MemoryStats(this);
    }
  }

  /** These figures with a peak the plugin sampled where the kernel keeps none ({@link KernelInterfaces.Peak}). */
  public MemoryStats withPeak(long newPeak) {
    return toBuilder().peak(newPeak).build();
  }

  /**
   * These figures once the kernel's exact charge counter reads zero: nothing at all is charged, whatever the
   * per-CPU-batched {@code memory.stat} counters still say (before Linux 5.13 they can lag by 32 pages per CPU for as
   * long as the cgroup stays idle).
   */
  public MemoryStats withNothingCharged() {
    return toBuilder().anon(0).file(0).shmem(0).mappedFile(0).activeFile(0).inactiveFile(0).dirty(0).writeback(0)
        .usage(0).build();
  }

  /**
   * These figures with page cache of at most {@code bytes}: what the exact charge counter allows when it reads less
   * than the per-CPU-batched statistics still show (see {@link #withNothingCharged}).
   */
  public MemoryStats withPageCacheAtMost(long bytes) {
    long newFile = Math.min(file, Math.max(0, bytes) + Math.max(0, shmem));
    return toBuilder().file(newFile).mappedFile(Math.min(mappedFile, newFile))
        .activeFile(Math.min(activeFile, newFile)).inactiveFile(Math.min(inactiveFile, newFile))
        .dirty(Math.min(dirty, newFile)).writeback(Math.min(writeback, newFile)).build();
  }

  public long anon() {
    return anon;
  }

  public long file() {
    return file;
  }

  public long shmem() {
    return shmem;
  }

  public long mappedFile() {
    return mappedFile;
  }

  public long activeFile() {
    return activeFile;
  }

  public long inactiveFile() {
    return inactiveFile;
  }

  public long dirty() {
    return dirty;
  }

  public long writeback() {
    return writeback;
  }

  public long swap() {
    return swap;
  }

  public long usage() {
    return usage;
  }

  public long peak() {
    return peak;
  }

  public long limit() {
    return limit;
  }

  public long limitHits() {
    return limitHits;
  }

  public long oom() {
    return oom;
  }

  public long oomKill() {
    return oomKill;
  }

  public static final long UNKNOWN = -1;

  /**
   * Bytes in MiB with one decimal, the same in every locale; "max" for no limit and "?" for a figure the kernel does
   * not report. The one format of sizes in the log, the diagnostics and the CLI.
   */
  public static String mib(long bytes) {
    if (bytes == UNKNOWN) {
      return "?";
    }
    // A v1 "no limit" is LONG_MAX rounded down to a page; anything at or beyond 2^62 is no limit in practice.
    if (bytes >= 1L << 62) {
      return "max";
    }
    return String.format(Locale.ROOT, "%.1f", bytes / (double) (1L << 20));
  }

  /** A count, or "?" when the kernel does not report it. */
  public static String count(long n) {
    return n == UNKNOWN ? "?" : Long.toString(n);
  }

  /** File pages that reclaim can drop: page cache other than shmem/tmpfs, which is not reclaimable without swap. */
  public long pageCache() {
    return Math.max(0, known(file) - known(shmem));
  }

  /** What the container itself holds: anonymous memory plus shmem, never page cache. */
  public long containerMemory() {
    return known(anon) + known(shmem);
  }

  private static long known(long v) {
    return v == UNKNOWN ? 0 : v;
  }

  @Override
  public String toString() {
    return "MemoryStats[anon=" + anon + ", file=" + file + ", shmem=" + shmem + ", mapped=" + mappedFile + ", dirty="
        + dirty + ", writeback=" + writeback + ", swap=" + swap + ", usage=" + usage + ", peak=" + peak + ", limit="
        + limit + ", limitHits=" + limitHits + ", oom=" + oom + ", oomKill=" + oomKill + "]";
  }
}
