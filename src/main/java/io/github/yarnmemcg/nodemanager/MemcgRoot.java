package io.github.yarnmemcg.nodemanager;

import static io.github.yarnmemcg.nodemanager.KeyParser.bad;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.MODE;
import static io.github.yarnmemcg.nodemanager.MemcgKeys.ROOT;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.CgroupIoException;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.Delegation;
import io.github.yarnmemcg.cgroup.MemoryMount;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the plugin's root is: the configured name checked on its own, then placed in the memory controller's mount
 * and looked at through {@link CgroupFs} as every other cgroup path is, so that a root that leaves the mount, passes
 * through a symbolic link or sits off cgroupfs is refused by name before anything is created; and what to tell the
 * operator when the root cannot be prepared.
 */
final class MemcgRoot {
  private MemcgRoot() {}

  /** The configured name alone, before any mount is known: empty, '.' or '..' parts and control characters. */
  static void checkSyntax(String root) {
    if (root.isEmpty()) {
      throw bad(ROOT, root, "must not be empty");
    }
    for (String part : root.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw bad(ROOT, root, "must not contain '.' or '..' components");
      }
    }
    if (root.chars().anyMatch(Character::isISOControl)) {
      throw bad(ROOT, root, "contains a control character");
    }
  }

  /**
   * The memory controller this node has for the configured mode.
   *
   * @throws IllegalArgumentException naming the mode key and value when the node lacks that controller
   */
  static MemoryMount discoverMount(Optional<CgroupVersion> mode) throws IOException {
    try {
      return MemoryMount.discover(mode);
    } catch (IOException e) {
      throw bad(MODE, mode.map(v -> v.name().toLowerCase(Locale.ROOT)).orElse("auto"), e.getMessage());
    }
  }

  /**
   * The root as a path inside the memory controller's mount, refusing anything that leaves it, is the mount
   * itself, passes through a symbolic link, or sits on a filesystem that is not cgroupfs.
   */
  static Path resolve(String root, MemoryMount mount) throws IOException {
    Path base = mount.path();
    Path p = Paths.get(root);
    Path resolved = p.isAbsolute() ? p.normalize() : base.resolve(p).normalize();
    if (!resolved.startsWith(base) || resolved.equals(base)) {
      throw bad(ROOT, root, "must be a cgroup inside the memory controller's mount " + base
          + " (and not the mount itself)");
    }
    // The mount's own filesystem is not checked on opening: a root that does not exist yet needs no check, and an
    // existing directory off cgroupfs is refused below by its own name.
    CgroupFs fs = CgroupFs.unchecked(base);
    // From the mount down, each entry looked at without following a link, below directories already seen to be
    // real ones: what a link points at is never looked at. The walk stops where the path does not exist yet.
    Deque<Path> existing = new ArrayDeque<>();
    Path dir = base;
    for (Path name : base.relativize(resolved)) {
      dir = dir.resolve(name);
      BasicFileAttributes a;
      try {
        a = fs.attributes(dir);
      } catch (IOException absentOrUnreadable) {
        break;
      }
      if (a.isSymbolicLink()) {
        throw bad(ROOT, root, dir + " is a symbolic link; symbolic links are never followed");
      }
      if (!a.isDirectory()) {
        throw bad(ROOT, root, dir + " exists and is not a directory");
      }
      existing.push(dir);
    }
    // The deepest directory first, so that the one named is the nearest to the root.
    for (Path d : existing) {
      String type = fs.fileSystemType(d);
      if (!type.startsWith("cgroup")) {
        throw bad(ROOT, root, d + " is on a " + type + " filesystem, not on cgroupfs");
      }
    }
    return resolved;
  }

  /**
   * Why the root could not be prepared, and when the kernel refused permission (decided by the exception's class,
   * never its translated text), what to change ({@link Delegation#advice}).
   */
  static String bootstrapFailure(Path root, CgroupDriver driver, IOException e) {
    String msg = "cannot use " + ROOT.name() + "=" + root + ": " + e.getMessage();
    if (!CgroupIoException.isPermissionDenied(e)) {
      return msg;
    }
    String user = System.getProperty("user.name");
    return msg + ". The NodeManager runs as user '" + user + "', which may not create cgroups there"
        + (driver.mount().version() == CgroupVersion.V1 ? "" : " or move processes into them") + ". "
        + new Delegation(driver).advice(root, user, ROOT.name());
  }
}
