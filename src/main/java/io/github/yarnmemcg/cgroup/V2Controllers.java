package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A cgroup v2 directory's lists of controllers ({@code cgroup.controllers}, what it may use, and
 * {@code cgroup.subtree_control}, what it passes on to its children), which the memory and the cpu driver both read
 * and write, each for its own controller.
 */
final class V2Controllers {
  private V2Controllers() {}

  /** Passes a controller to the cgroup's children, unless it already does (the memory and the cpu controller). */
  static void enableForChildren(CgroupFs fs, Path cgroup, String controller) throws IOException {
    if (!lists(fs, cgroup, "cgroup.subtree_control", controller)) {
      fs.write(cgroup.resolve("cgroup.subtree_control"), "+" + controller);
    }
  }

  /** Whether a list of controllers ({@code cgroup.controllers} or {@code cgroup.subtree_control}) names it. */
  static boolean lists(CgroupFs fs, Path cgroup, String file, String controller) throws IOException {
    return (" " + fs.read(cgroup.resolve(file)).trim() + " ").contains(" " + controller + " ");
  }
}
