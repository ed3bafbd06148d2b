package io.github.yarnmemcg.nodemanager;

import static io.github.yarnmemcg.nodemanager.MemcgKeys.DRAIN_WHEN;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.ELASTIC_ENABLED;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.MODE;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.NODE_LIMIT_MB;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.lifecycle.DrainWhen;
import io.github.yarnmemcg.nodemanager.MemcgKeys.Key;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.util.NodeManagerHardwareUtils;

/**
 * Reads one key's value as the type it holds, and refuses a bad one with the message every setting shares: the key,
 * the value as written, and why. Kept apart from the list of keys and from what the values are assembled into, so
 * that every message naming a key is made in one place ({@link #bad}).
 */
final class KeyParser {
  private KeyParser() {}

  /** The value as written (trimmed, as Hadoop trims), or the key's default. */
  static String value(Configuration conf, Key key) {
    return conf.getTrimmed(key.name(), key.defaultValue());
  }

  static Optional<CgroupVersion> mode(Configuration conf) {
    try {
      return CgroupVersion.parseMode(value(conf, MODE));
    } catch (IllegalArgumentException e) {
      throw bad(MODE, value(conf, MODE), "expected auto, v1 or v2");
    }
  }

  static DrainWhen drainWhen(Configuration conf) {
    try {
      return DrainWhen.parse(value(conf, DRAIN_WHEN));
    } catch (IllegalArgumentException e) {
      throw bad(DRAIN_WHEN, value(conf, DRAIN_WHEN), e.getMessage());
    }
  }

  static boolean bool(Configuration conf, Key key) {
    String v = value(conf, key).toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw bad(key, value(conf, key), "expected true or false");
    }
    return v.equals("true");
  }

  /**
   * A duration in milliseconds, with Hadoop's suffixes as {@link Configuration#getTimeDuration} reads them
   * ({@code 500}, {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d}); a plain number is milliseconds.
   */
  static long millis(Configuration conf, Key key, long min, long max) {
    String v = value(conf, key);
    long n;
    try {
      n = conf.getTimeDuration(key.name(), Long.parseLong(key.defaultValue()), TimeUnit.MILLISECONDS);
    } catch (NumberFormatException e) {
      throw bad(key, v, "not a duration: a whole number of milliseconds, or one with a unit (ms, s, m, h, d)");
    }
    if (n < min || n > max) {
      throw bad(key, v, "out of range, expected " + min + " to " + max + " ms");
    }
    return n;
  }

  static long number(Configuration conf, Key key, long min, long max) {
    String v = value(conf, key);
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "not a whole number" + (key == NODE_LIMIT_MB ? ", auto or off" : ""));
    }
    if (n < min || n > max) {
      throw bad(key, v, "out of range, expected " + min + " to " + max);
    }
    return n;
  }

  /** The node limit in bytes: {@code auto} is what YARN may give containers, {@code off} is Long.MAX_VALUE. */
  static long nodeLimitBytes(Configuration conf) {
    String v = value(conf, NODE_LIMIT_MB).toLowerCase(Locale.ROOT);
    if (v.equals("off")) {
      return Long.MAX_VALUE;
    }
    long mb = v.equals("auto") ? NodeManagerHardwareUtils.getContainerMemoryMB(conf)
        : number(conf, NODE_LIMIT_MB, 64, 1L << 30);
    if (mb <= 0) {
      throw bad(NODE_LIMIT_MB, value(conf, NODE_LIMIT_MB), "the NodeManager gives containers " + mb + " MiB ("
          + YarnConfiguration.NM_PMEM_MB + "); set a number of MiB or off");
    }
    return mb << 20;
  }

  /** Elastic mode, refused without the node limit that is then all that holds the containers. */
  static boolean elastic(Configuration conf) {
    boolean on = bool(conf, ELASTIC_ENABLED);
    if (on && value(conf, NODE_LIMIT_MB).equalsIgnoreCase("off")) {
      throw bad(ELASTIC_ENABLED, "true", "elastic mode needs the node limit, and " + NODE_LIMIT_MB.name()
          + " is off");
    }
    return on;
  }

  /** The one shape of a refused setting, which the NodeManager's start failure and the doctor print as they are. */
  static IllegalArgumentException bad(Key key, String value, String why) {
    return new IllegalArgumentException("invalid yarn-memcg setting " + key.name() + "='" + value + "': " + why);
  }
}
