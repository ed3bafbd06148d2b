package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One line of {@code /proc/self/mountinfo}: where a filesystem is mounted, which part of it, its type and its
 * superblock options (for a v1 cgroup mount these name the controllers). Parsing skips lines it cannot read,
 * because a kernel may add fields and a mount point may hold any byte; it never throws on content.
 */
public final class MountInfo {

  public static final Path PROC_SELF_MOUNTINFO = Paths.get("/proc/self/mountinfo");

  private final Path mountPoint;
  private final String root;
  private final String fsType;
  private final Set<String> superOptions;

  public MountInfo(Path mountPoint, String root, String fsType, Set<String> superOptions) {
    this.mountPoint = mountPoint;
    this.root = root;
    this.fsType = fsType;
    this.superOptions = Collections.unmodifiableSet(new HashSet<>(superOptions));
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /** The part of the filesystem mounted there ("/" for a whole cgroup hierarchy). */
  public String root() {
    return root;
  }

  public String fsType() {
    return fsType;
  }

  public Set<String> superOptions() {
    return superOptions;
  }

  /** Reads and parses a mountinfo file. */
  public static List<MountInfo> read(Path file) throws IOException {
    return parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
  }

  /** Parses mountinfo text; malformed lines are skipped. */
  public static List<MountInfo> parse(String text) {
    List<MountInfo> mounts = new ArrayList<>();
    for (String line : text.split("\n")) {
      MountInfo m = parseLine(line);
      if (m != null) {
        mounts.add(m);
      }
    }
    return mounts;
  }

  // Format (proc(5)): id parent major:minor root mount-point options [optional...] - fstype source super-options
  private static MountInfo parseLine(String line) {
    String[] f = line.trim().split(" +");
    int dash = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        dash = i;
        break;
      }
    }
    if (dash < 0 || f.length < dash + 3) {
      return null;
    }
    String root = unescape(f[3]);
    String mountPoint = unescape(f[4]);
    if (root == null || mountPoint == null || !mountPoint.startsWith("/") || mountPoint.indexOf('\0') >= 0) {
      return null;
    }
    List<String> superOptions = f.length > dash + 3 ? Arrays.asList(f[dash + 3].split(",")) : Collections.emptyList();
    try {
      return new MountInfo(Paths.get(mountPoint), root, f[dash + 1], new HashSet<>(superOptions));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The kernel escapes space, tab, newline and backslash as three octal digits. */
  private static String unescape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        if (i + 3 >= s.length()) {
          return null;
        }
        String oct = s.substring(i + 1, i + 4);
        if (!oct.matches("[0-7]{3}")) {
          return null;
        }
        out.append((char) Integer.parseInt(oct, 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MountInfo)) {
      return false;
    }
    MountInfo m = (MountInfo) o;
    return m.mountPoint.equals(mountPoint) && m.root.equals(root) && m.fsType.equals(fsType)
        && m.superOptions.equals(superOptions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mountPoint, root, fsType, superOptions);
  }

  @Override
  public String toString() {
    return "MountInfo[" + fsType + " " + root + " at " + mountPoint + " " + superOptions + "]";
  }
}
