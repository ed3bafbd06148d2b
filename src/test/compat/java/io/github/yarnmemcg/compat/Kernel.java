package io.github.yarnmemcg.compat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory controller read straight from the kernel's files, independently of the plugin under test (Java 8 API
 * only: this class runs on the NodeManager's own runtime). Never drops caches or syncs.
 */
final class Kernel {
  static final long MIB = 1L << 20;

  final Path mount;
  final boolean v2;

  private Kernel(Path mount, boolean v2) {
    this.mount = mount;
    this.v2 = v2;
  }

  /** The memory controller's mount: cgroup v2 when its root offers memory, else the v1 memory hierarchy. */
  static Kernel discover() throws IOException {
    Path v1 = null;
    Path v2 = null;
    for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
      String[] halves = line.split(" - ", 2);
      if (halves.length < 2) {
        continue;
      }
      String[] left = halves[0].split(" ");
      String[] right = halves[1].split(" ");
      Path point = Paths.get(left[4].replace("\\040", " "));
      if (right[0].equals("cgroup2")) {
        Path controllers = point.resolve("cgroup.controllers");
        if (Files.exists(controllers) && (" " + read(controllers).trim() + " ").contains(" memory ")) {
          v2 = point;
        }
      } else if (right[0].equals("cgroup") && right.length > 2) {
        for (String option : right[2].split(",")) {
          if (option.equals("memory")) {
            v1 = point;
          }
        }
      }
    }
    if (v2 != null) {
      return new Kernel(v2, true);
    }
    if (v1 != null) {
      return new Kernel(v1, false);
    }
    throw new IOException("no memory controller mounted (/proc/self/mountinfo)");
  }

  static String read(Path file) throws IOException {
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
  }

  static long readLong(Path file) throws IOException {
    String s = read(file).trim();
    return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
  }

  static Map<String, Long> keyValues(Path file) throws IOException {
    Map<String, Long> values = new HashMap<>();
    for (String line : read(file).split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2) {
        try {
          values.put(kv[0], Long.parseLong(kv[1]));
        } catch (NumberFormatException e) {
          // not a number: not ours
        }
      }
    }
    return values;
  }

  /** The memory cgroup of a process, from the text of its /proc/PID/cgroup, as a path under the mount. */
  Path cgroupOf(String procPidCgroup) {
    String unified = null;
    for (String line : procPidCgroup.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (!v2 && ("," + f[1] + ",").contains(",memory,")) {
        return under(f[2]);
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        unified = f[2];
      }
    }
    return v2 && unified != null ? under(unified) : null;
  }

  private Path under(String cgroupPath) {
    return Paths.get(mount.toString() + (cgroupPath.equals("/") ? "" : cgroupPath.trim()));
  }

  /** The hard limit of a cgroup: v1 memory.limit_in_bytes, v2 memory.max. */
  long limit(Path cgroup) throws IOException {
    return readLong(cgroup.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"));
  }

  /** Page cache charged to a cgroup: v1 memory.stat total_cache, v2 memory.stat file. */
  long pageCache(Path cgroup) throws IOException {
    Long value = keyValues(cgroup.resolve("memory.stat")).get(v2 ? "file" : "total_cache");
    return value == null ? 0 : value;
  }

  /**
   * User pages (page cache, shmem, anon, swap) still charged under a cgroup: what its removed children's memcgs
   * hold once it has no live child (v1 memory.stat total_* keys; v2's memory.stat is hierarchical). Only pages
   * pin a removed v1 memcg; kernel objects are reparented.
   */
  long userPagesUnder(Path cgroup) throws IOException {
    Map<String, Long> stat = keyValues(cgroup.resolve("memory.stat"));
    String prefix = v2 ? "" : "total_";
    long held = 0;
    for (String key : new String[] {"cache", "rss", "swap", "file", "anon"}) {
      Long v = stat.get(prefix + key);
      held += v == null ? 0 : Math.max(0, v);
    }
    return held;
  }

  /**
   * User pages charged under the cgroup but to none of its children still there: what removed children hold, which
   * keeps them dying (children kept by the plugin, retired, are alive).
   */
  long userPagesOfRemovedUnder(Path cgroup) throws IOException {
    long held = userPagesUnder(cgroup);
    for (String child : children(cgroup)) {
      try {
        held -= userPagesUnder(cgroup.resolve(child));
      } catch (java.nio.file.NoSuchFileException removedMeanwhile) {
        // what it held, if anything, still shows in the parent's figure
      }
    }
    return Math.max(0, held);
  }

  /**
   * A container cgroup the plugin keeps retired once its container ended (before Linux 7.1, while its page cache may
   * be read again): no process, and no protection left (v1 soft limit, v2 memory.low, 0).
   */
  boolean retired(Path cgroup) {
    try {
      String procs = new String(Files.readAllBytes(cgroup.resolve("cgroup.procs")), StandardCharsets.US_ASCII);
      String low = new String(Files.readAllBytes(cgroup.resolve(v2 ? "memory.low" : "memory.soft_limit_in_bytes")),
          StandardCharsets.US_ASCII);
      return procs.trim().isEmpty() && low.trim().equals("0");
    } catch (IOException gone) {
      return false;
    }
  }

  /** v2 only: the root's own count of dying descendants (cgroup.stat), -1 on v1. */
  long dyingUnder(Path cgroup) throws IOException {
    if (!v2) {
      return -1;
    }
    Long n = keyValues(cgroup.resolve("cgroup.stat")).get("nr_dying_descendants");
    return n == null ? -1 : n;
  }

  /**
   * Dying memcgs on the whole node: v1 /proc/cgroups memory num_cgroups minus the live memory cgroup directories;
   * v2 nr_dying_descendants of the mount's root. Moves with anything else on the node: reported, not judged.
   */
  long nodeDying() throws IOException {
    if (v2) {
      Long n = keyValues(mount.resolve("cgroup.stat")).get("nr_dying_descendants");
      return n == null ? -1 : n;
    }
    long counted = -1;
    for (String line : read(Paths.get("/proc/cgroups")).split("\n")) {
      String[] f = line.split("\\s+");
      if (f.length >= 3 && f[0].equals("memory")) {
        counted = Long.parseLong(f[2]);
      }
    }
    return counted - countDirs(mount);
  }

  private static long countDirs(Path dir) throws IOException {
    long n = 1;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
          n += countDirs(child);
        }
      }
    } catch (NoSuchFileException e) {
      return 0;
    }
    return n;
  }

  /** The child cgroups of a cgroup (sorted names), empty when it is gone. */
  static List<String> children(Path cgroup) throws IOException {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(cgroup, LinkOption.NOFOLLOW_LINKS)) {
      return names;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(cgroup)) {
      for (Path p : entries) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          names.add(p.getFileName().toString());
        }
      }
    }
    java.util.Collections.sort(names);
    return names;
  }

  /**
   * Removes a cgroup tree the run created, even after a failure: SIGKILLs what is left in it, then rmdir from the
   * leaves up, polling while the kernel lets the killed tasks go (at most 20 s). Returns what could not go.
   */
  static String removeTree(Path cgroup) throws InterruptedException {
    StringBuilder problems = new StringBuilder();
    long deadline = System.nanoTime() + 20_000_000_000L;
    for (int attempt = 0; Files.exists(cgroup, LinkOption.NOFOLLOW_LINKS); attempt++) {
      problems.setLength(0);
      try {
        removeOnce(cgroup, problems);
      } catch (IOException e) {
        problems.append(e).append(' ');
      }
      if (!Files.exists(cgroup, LinkOption.NOFOLLOW_LINKS)) {
        break;
      }
      if (System.nanoTime() > deadline) {
        return problems.length() == 0 ? cgroup + " is still there" : problems.toString();
      }
      Thread.sleep(Math.min(200, 1L << Math.min(attempt, 8)));
    }
    return "";
  }

  private static void removeOnce(Path cgroup, StringBuilder problems) throws IOException {
    for (String child : children(cgroup)) {
      removeOnce(cgroup.resolve(child), problems);
    }
    Path procs = cgroup.resolve("cgroup.procs");
    if (Files.exists(procs)) {
      for (String pid : read(procs).split("\n")) {
        if (!pid.trim().isEmpty()) {
          try {
            new ProcessBuilder("kill", "-9", pid.trim()).redirectErrorStream(true)
                .redirectOutput(new File("/dev/null")).start().waitFor();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }
    try {
      Files.deleteIfExists(cgroup);
    } catch (IOException e) {
      problems.append(cgroup).append(": ").append(e.getMessage()).append(' ');
    }
  }

  /** Writes {@code mib} MiB of decimal lines with O_DIRECT: none of it is in the page cache afterwards. */
  static void freshTextFile(Path file, int mib) throws IOException, InterruptedException {
    run("bash", "-c", "seq 1 1000000000 | head -c " + mib + "M | dd of=\"$0\" bs=1M iflag=fullblock oflag=direct"
        + " status=none", file.toString());
  }

  static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(java.util.Arrays.toString(command) + " exited " + p.exitValue());
    }
  }
}
