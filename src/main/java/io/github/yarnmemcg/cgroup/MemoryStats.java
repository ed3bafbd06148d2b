package io.github.yarnmemcg.cgroup;

import java.util.HashMap;
import java.util.Map;

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

  public MemoryStats(long anon, long file, long shmem, long mappedFile, long activeFile, long inactiveFile,
      long dirty, long writeback, long swap, long usage, long peak, long limit, long limitHits, long oom,
      long oomKill) {
    this.anon = anon;
    this.file = file;
    this.shmem = shmem;
    this.mappedFile = mappedFile;
    this.activeFile = activeFile;
    this.inactiveFile = inactiveFile;
    this.dirty = dirty;
    this.writeback = writeback;
    this.swap = swap;
    this.usage = usage;
    this.peak = peak;
    this.limit = limit;
    this.limitHits = limitHits;
    this.oom = oom;
    this.oomKill = oomKill;
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

  /**
   * Parses "key value" lines as found in {@code memory.stat}, {@code memory.events} or
   * {@code memory.oom_control}. Lines that are not a key and a whole number are skipped, so a kernel may add
   * or drop keys freely; "max" reads as {@link Long#MAX_VALUE}.
   */
  public static Map<String, Long> parseKeyValues(String text) {
    Map<String, Long> values = new HashMap<>();
    for (String line : text.split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2) {
        long v = parseValue(kv[1]);
        if (v != UNKNOWN) {
          values.put(kv[0], v);
        }
      }
    }
    return values;
  }

  /** Parses one value file ("123", "max", "123\n"); {@link #UNKNOWN} when it is neither. */
  public static long parseValue(String text) {
    String t = text.trim();
    if (t.equals("max")) {
      return Long.MAX_VALUE;
    }
    if (t.isEmpty() || t.length() > 19 || !t.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      return UNKNOWN;
    }
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      return UNKNOWN;
    }
  }

  @Override
  public String toString() {
    return "MemoryStats[anon=" + anon + ", file=" + file + ", shmem=" + shmem + ", mapped=" + mappedFile + ", dirty="
        + dirty + ", writeback=" + writeback + ", swap=" + swap + ", usage=" + usage + ", peak=" + peak + ", limit="
        + limit + ", limitHits=" + limitHits + ", oom=" + oom + ", oomKill=" + oomKill + "]";
  }
}
