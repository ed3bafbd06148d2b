package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where this node's memory controller is mounted and through which interface: a v1 hierarchy whose
 * superblock options name {@code memory}, or a cgroup2 mount whose {@code cgroup.controllers} lists it.
 */
public final class MemoryMount {

  private final Path path;
  private final CgroupVersion version;

  public MemoryMount(Path path, CgroupVersion version) {
    this.path = path;
    this.version = version;
  }

  public Path path() {
    return path;
  }

  public CgroupVersion version() {
    return version;
  }

  /**
   * Finds the memory controller among the given mounts.
   *
   * @param wanted the version the operator asked for, or empty for whichever the node has (v2 first)
   * @throws IOException saying what was found when the wanted controller is not mounted
   */
  public static MemoryMount discover(List<MountInfo> mounts, Optional<CgroupVersion> wanted) throws IOException {
    Optional<MemoryMount> v2 = mounts.stream()
        .filter(m -> m.fsType().equals("cgroup2") && m.root().equals("/"))
        .filter(m -> controllers(m.mountPoint()).contains(" memory "))
        .map(m -> new MemoryMount(m.mountPoint(), CgroupVersion.V2))
        .findFirst();
    Optional<MemoryMount> v1 = mounts.stream()
        .filter(m -> m.fsType().equals("cgroup") && m.root().equals("/") && m.superOptions().contains("memory"))
        .map(m -> new MemoryMount(m.mountPoint(), CgroupVersion.V1))
        .findFirst();
    if (!wanted.isPresent()) {
      return (v2.isPresent() ? v2 : v1).orElseThrow(() -> new IOException(
          "no memory cgroup controller is mounted on this node (no cgroup v1 'memory' hierarchy and no cgroup2"
              + " mount whose cgroup.controllers lists memory)"));
    }
    Optional<MemoryMount> found = wanted.get() == CgroupVersion.V2 ? v2 : v1;
    Optional<MemoryMount> other = wanted.get() == CgroupVersion.V2 ? v1 : v2;
    return found.orElseThrow(() -> new IOException("cgroup " + wanted.get().name().toLowerCase()
        + " memory controller requested, but this node has "
        + other.map(m -> "it on cgroup " + m.version().name().toLowerCase() + " at " + m.path()).orElse("none")));
  }

  /** Discovers from this process's own mount table. */
  public static MemoryMount discover(Optional<CgroupVersion> wanted) throws IOException {
    return discover(MountInfo.read(MountInfo.PROC_SELF_MOUNTINFO), wanted);
  }

  /**
   * The memory cgroup directory of a process, from the text of its {@code /proc/<pid>/cgroup}; empty when the
   * text names none for this mount's version.
   */
  public Optional<Path> cgroupOfProcess(String procPidCgroup) {
    for (String line : procPidCgroup.split("\n")) {
      String[] f = line.split(":", 3);
      // A NUL cannot be in a path (InvalidPathException); the kernel never writes one, so such a line is junk.
      if (f.length != 3 || !f[2].startsWith("/") || f[2].indexOf('\0') >= 0) {
        continue;
      }
      boolean memory = version == CgroupVersion.V2 ? f[0].equals("0") && f[1].isEmpty()
          : Arrays.asList(f[1].split(",")).contains("memory");
      if (memory) {
        Path p = path.resolve(f[2].substring(1)).normalize();
        return p.startsWith(path) ? Optional.of(p) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static String controllers(Path cgroup2Mount) {
    try {
      return " " + new String(Files.readAllBytes(cgroup2Mount.resolve("cgroup.controllers")), StandardCharsets.US_ASCII)
          .trim() + " ";
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemoryMount && ((MemoryMount) o).path.equals(path) && ((MemoryMount) o).version == version;
  }

  @Override
  public int hashCode() {
    return 31 * path.hashCode() + version.hashCode();
  }

  @Override
  public String toString() {
    return "MemoryMount[" + version + " at " + path + "]";
  }
}
