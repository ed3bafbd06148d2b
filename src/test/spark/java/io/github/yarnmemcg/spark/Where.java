package io.github.yarnmemcg.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where a piece of a Spark application ran, as seen from inside: its role (driver or executor id), the YARN
 * container the NodeManager started it in, its /proc/self/cgroup and the memory limit of the memory cgroup named
 * there (cgroup v1 or v2). The test compares these with the cgroups the plugin made; it is one tab-separated line.
 */
public final class Where implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String line;

  private Where(String line) {
    this.line = line;
  }

  public static Where here(String role) {
    String cgroup = read(Paths.get("/proc/self/cgroup")).trim();
    return new Where(String.join("\t", role, String.valueOf(System.getenv("CONTAINER_ID")),
        cgroup.replace('\n', ';'), limit(cgroup)));
  }

  /** The memory limit of this process's memory cgroup, or "?" when none is readable. */
  private static String limit(String procSelfCgroup) {
    for (String entry : procSelfCgroup.split("\n")) {
      String[] f = entry.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      Path file = null;
      if (("," + f[1] + ",").contains(",memory,")) {
        file = Paths.get("/sys/fs/cgroup/memory" + f[2], "memory.limit_in_bytes");
      } else if (f[0].equals("0") && f[1].isEmpty()) {
        file = Paths.get("/sys/fs/cgroup" + f[2], "memory.max");
      }
      if (file != null && Files.isReadable(file)) {
        return read(file).trim();
      }
    }
    return "?";
  }

  private static String read(Path p) {
    try {
      return new String(Files.readAllBytes(p), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "? " + e;
    }
  }

  @Override
  public String toString() {
    return line;
  }
}
