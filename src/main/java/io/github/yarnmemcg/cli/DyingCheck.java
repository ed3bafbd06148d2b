package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import java.io.IOException;

/**
 * The node's dying-memcg count: the cost the plugin exists to keep down, so a high count before it is enabled says
 * what the node already carries.
 */
final class DyingCheck {
  /** Above this many dying memcgs a node reclaims slowly; near 65535 the kernel refuses new cgroups. */
  static final long DYING_WARN = 1000;

  private DyingCheck() {}

  static Finding check(CgroupDriver driver) {
    try {
      long dying = driver.dyingMemcgs();
      String text = "dying memcgs on this node: " + dying;
      return dying < DYING_WARN ? Finding.ok(text) : Finding.warn(text + " (many: reclaim slows down, and near"
          + " 65535 the kernel refuses new cgroups; they go when their page cache is reclaimed)");
    } catch (IOException e) {
      return Finding.warn("cannot count dying memcgs: " + e.getMessage());
    }
  }
}
