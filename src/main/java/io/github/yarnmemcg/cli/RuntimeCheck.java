package io.github.yarnmemcg.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.util.VersionInfo;

/**
 * The doctor's first lines: the kernel and the user it runs as, and the Hadoop and Java this command found, which
 * are the NodeManager's (bin/yarn-memcg runs on the node's {@code hadoop classpath} and its JAVA_HOME) unless that
 * sets its own.
 */
final class RuntimeCheck {
  private static final Path OSRELEASE = Paths.get("/proc/sys/kernel/osrelease");

  private RuntimeCheck() {}

  static List<Finding> check() {
    List<Finding> out = new ArrayList<>();
    String kernel;
    try {
      kernel = new String(Files.readAllBytes(OSRELEASE), StandardCharsets.UTF_8);
    } catch (IOException e) {
      kernel = "unknown";
    }
    out.add(Finding.info("kernel " + kernel.trim() + ", running as user " + System.getProperty("user.name")));
    out.add(runtime(VersionInfo.getVersion(), System.getProperty("java.version")));
    return out;
  }

  /**
   * The Hadoop and Java versions against those yarn-memcg is proven on. The plugin jar is Java 8 bytecode and uses
   * only what Hadoop 3.3.6 to 3.5.0 have in common; those lines were run with it (README, compatibility).
   */
  static Finding runtime(String hadoop, String java) {
    String text = "Hadoop " + hadoop + " on Java " + java;
    String[] v = hadoop.split("[.-]");
    int major;
    int minor;
    try {
      major = Integer.parseInt(v[0]);
      minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
    } catch (NumberFormatException e) {
      return Finding.warn(text + ": cannot read the Hadoop version; yarn-memcg is proven on Hadoop 3.3 to 3.5");
    }
    if (major < 3 || major == 3 && minor < 3) {
      return Finding.warn(text + ": yarn-memcg is proven on Hadoop 3.3 to 3.5 only");
    }
    if (major == 3 && minor >= 5 && java.startsWith("1.")) {
      return Finding.warn(text + ": Hadoop 3.5 needs Java 17 on the NodeManager");
    }
    return Finding.ok(text + (major == 3 && minor <= 5 ? "" : " (newer than the Hadoop 3.5 yarn-memcg is proven on)"));
  }
}
