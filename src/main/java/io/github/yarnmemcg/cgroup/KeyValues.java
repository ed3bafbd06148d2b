package io.github.yarnmemcg.cgroup;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The text of cgroup and proc files: "key value" lines ({@code memory.stat}, {@code memory.events},
 * {@code cgroup.stat}) and one-value files ({@code memory.current}, "max"), read without a regular expression or a
 * split, because the container monitor parses every container's {@code memory.stat} on every pass. What is not a
 * whole number reads as {@link MemoryStats#UNKNOWN}, so that a kernel may add or change keys without breaking a
 * reading.
 */
public final class KeyValues {
  private KeyValues() {}

  /**
   * Parses "key value" lines as found in {@code memory.stat}, {@code memory.events} or
   * {@code memory.oom_control}. Lines that are not a key and a whole number are skipped, so a kernel may add
   * or drop keys freely; "max" reads as {@link Long#MAX_VALUE}.
   */
  public static Map<String, Long> parse(String text) {
    Map<String, Long> values = new HashMap<>();
    pairs(text, (keyStart, keyEnd, valueStart, valueEnd) -> {
      long v = parseValue(text.substring(valueStart, valueEnd));
      if (v != MemoryStats.UNKNOWN) {
        values.put(text.substring(keyStart, keyEnd), v);
      }
    });
    return values;
  }

  /**
   * The values of the given keys in "key value" text, in the keys' order, {@link MemoryStats#UNKNOWN} for a key that
   * is absent; a later line wins, as in {@link #parse}. Nothing else is kept: this reads {@code memory.stat}, ~40 to 70
   * lines of which a driver wants nine, for every container on every monitor pass.
   */
  public static long[] select(String text, String... keys) {
    long[] values = new long[keys.length];
    Arrays.fill(values, MemoryStats.UNKNOWN);
    pairs(text, (keyStart, keyEnd, valueStart, valueEnd) -> {
      for (int k = 0; k < keys.length; k++) {
        if (keys[k].length() == keyEnd - keyStart && text.startsWith(keys[k], keyStart)) {
          long v = parseValue(text.substring(valueStart, valueEnd));
          if (v != MemoryStats.UNKNOWN) {
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

  /** Parses one value file ("123", "max", "123\n"); {@link MemoryStats#UNKNOWN} when it is neither. */
  public static long parseValue(String text) {
    String t = text.trim();
    if (t.equals("max")) {
      return Long.MAX_VALUE;
    }
    if (t.isEmpty() || t.length() > 19) {
      return MemoryStats.UNKNOWN;
    }
    long v = 0;
    for (int i = 0; i < t.length(); i++) {
      char ch = t.charAt(i);
      if (ch < '0' || ch > '9') {
        return MemoryStats.UNKNOWN;
      }
      v = v * 10 + (ch - '0');
    }
    // Nineteen digits can pass Long.MAX_VALUE, which wraps below zero.
    return v < 0 ? MemoryStats.UNKNOWN : v;
  }
}
