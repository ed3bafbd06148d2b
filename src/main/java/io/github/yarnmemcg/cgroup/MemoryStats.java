package io.github.yarnmemcg.cgroup;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
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

  /** These figures with another peak: one the plugin sampled where the kernel keeps none (see {@link KernelInterfaces.Peak}). */
  public MemoryStats withPeak(long newPeak) {
    return new MemoryStats(anon, file, shmem, mappedFile, activeFile, inactiveFile, dirty, writeback, swap, usage,
        newPeak, limit, limitHits, oom, oomKill);
  }

  /**
   * These figures once the kernel's exact charge counter reads zero: nothing at all is charged, whatever the
   * per-CPU-batched {@code memory.stat} counters still say (before Linux 5.13 they can lag by 32 pages per CPU for as
   * long as the cgroup stays idle).
   */
  public MemoryStats withNothingCharged() {
    return new MemoryStats(0, 0, 0, 0, 0, 0, 0, 0, swap, 0, peak, limit, limitHits, oom, oomKill);
  }

  /**
   * These figures with page cache of at most {@code bytes}: what the exact charge counter allows when it reads less
   * than the per-CPU-batched statistics still show (see {@link #withNothingCharged}).
   */
  public MemoryStats withPageCacheAtMost(long bytes) {
    long newFile = Math.min(file, Math.max(0, bytes) + Math.max(0, shmem));
    return new MemoryStats(anon, newFile, shmem, Math.min(mappedFile, newFile), Math.min(activeFile, newFile),
        Math.min(inactiveFile, newFile), Math.min(dirty, newFile), Math.min(writeback, newFile), swap, usage, peak,
        limit, limitHits, oom, oomKill);
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

  /** A reading of which the kernel gave nothing (every figure {@link #UNKNOWN}). */
  public static MemoryStats unknown() {
    return new MemoryStats(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
        UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN);
  }

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

  /**
   * Parses "key value" lines as found in {@code memory.stat}, {@code memory.events} or
   * {@code memory.oom_control}. Lines that are not a key and a whole number are skipped, so a kernel may add
   * or drop keys freely; "max" reads as {@link Long#MAX_VALUE}.
   */
  public static Map<String, Long> parseKeyValues(String text) {
    Map<String, Long> values = new HashMap<>();
    pairs(text, (keyStart, keyEnd, valueStart, valueEnd) -> {
      long v = parseValue(text.substring(valueStart, valueEnd));
      if (v != UNKNOWN) {
        values.put(text.substring(keyStart, keyEnd), v);
      }
    });
    return values;
  }

  /**
   * The values of the given keys in "key value" text, in the keys' order, {@link #UNKNOWN} for a key that is absent;
   * a later line wins, as in {@link #parseKeyValues}. Nothing else is kept: this reads {@code memory.stat}, ~40 to 70
   * lines of which a driver wants nine, for every container on every monitor pass.
   */
  public static long[] select(String text, String... keys) {
    long[] values = new long[keys.length];
    Arrays.fill(values, UNKNOWN);
    pairs(text, (keyStart, keyEnd, valueStart, valueEnd) -> {
      for (int k = 0; k < keys.length; k++) {
        if (keys[k].length() == keyEnd - keyStart && text.startsWith(keys[k], keyStart)) {
          long v = parseValue(text.substring(valueStart, valueEnd));
          if (v != UNKNOWN) {
            values[k] = v;
          }
          return;
        }
      }
    });
    return values;
  }

  /** Where a "key value" line's key and value are in the text. */
  private interface Pair {
    void at(int keyStart, int keyEnd, int valueStart, int valueEnd);
  }

  /** Each line of exactly two tokens, scanned by hand: this runs for every container on every monitor pass. */
  private static void pairs(String text, Pair pair) {
    int n = text.length();
    int line = 0;
    while (line < n) {
      int end = text.indexOf('\n', line);
      if (end < 0) {
        end = n;
      }
      int keyStart = skipBlanks(text, line, end);
      int keyEnd = skipToken(text, keyStart, end);
      int valueStart = skipBlanks(text, keyEnd, end);
      int valueEnd = skipToken(text, valueStart, end);
      if (keyEnd > keyStart && valueEnd > valueStart && skipBlanks(text, valueEnd, end) == end) {
        pair.at(keyStart, keyEnd, valueStart, valueEnd);
      }
      line = end + 1;
    }
  }

  private static int skipBlanks(String text, int from, int end) {
    while (from < end && Character.isWhitespace(text.charAt(from))) {
      from++;
    }
    return from;
  }

  private static int skipToken(String text, int from, int end) {
    while (from < end && !Character.isWhitespace(text.charAt(from))) {
      from++;
    }
    return from;
  }

  /** Parses one value file ("123", "max", "123\n"); {@link #UNKNOWN} when it is neither. */
  public static long parseValue(String text) {
    String t = text.trim();
    if (t.equals("max")) {
      return Long.MAX_VALUE;
    }
    if (t.isEmpty() || t.length() > 19) {
      return UNKNOWN;
    }
    long v = 0;
    for (int i = 0; i < t.length(); i++) {
      char ch = t.charAt(i);
      if (ch < '0' || ch > '9') {
        return UNKNOWN;
      }
      v = v * 10 + (ch - '0');
    }
    // Nineteen digits can pass Long.MAX_VALUE, which wraps below zero.
    return v < 0 ? UNKNOWN : v;
  }

  @Override
  public String toString() {
    return "MemoryStats[anon=" + anon + ", file=" + file + ", shmem=" + shmem + ", mapped=" + mappedFile + ", dirty="
        + dirty + ", writeback=" + writeback + ", swap=" + swap + ", usage=" + usage + ", peak=" + peak + ", limit="
        + limit + ", limitHits=" + limitHits + ", oom=" + oom + ", oomKill=" + oomKill + "]";
  }
}
