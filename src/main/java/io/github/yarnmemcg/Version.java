package io.github.yarnmemcg;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The plugin's version, one value for the jar's manifest, {@code yarn-memcg version} and the NodeManager's start log
 * line: written into the jar at build time from the project's version.
 */
public final class Version {
  private static final String VERSION = read();

  private Version() {}

  /** The version, or "unknown" when the build left no version file (a class path without the resources). */
  public static String get() {
    return VERSION;
  }

  private static String read() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown").trim();
      return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
