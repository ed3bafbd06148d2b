package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of {@code /proc/self/mountinfo}: where a filesystem is mounted, which part of it, its type and its
 * superblock options (for a v1 cgroup mount these name the controllers). Parsing skips lines it cannot read,
 * because a kernel may add fields and a mount point may hold any byte; it never throws on content.
 */
public record MountInfo(Path mountPoint, String root, String fsType, Set<String> superOptions) {

  public static final Path PROC_SELF_MOUNTINFO = Paths.get("/proc/self/mountinfo");

  /** Reads and parses a mountinfo file. */
  public static List<MountInfo> read(Path file) throws IOException {
    return parse(Files.readString(file));
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
    List<String> superOptions = f.length > dash + 3 ? List.of(f[dash + 3].split(",")) : List.of();
    try {
      return new MountInfo(Paths.get(mountPoint), root, f[dash + 1], Set.copyOf(superOptions));
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
}
