package io.github.yarnmemcg.cgroup;

import java.util.Locale;
import java.util.Optional;

/** The two kernel interfaces to the memory controller: the v1 "memory" hierarchy and the unified cgroup2 tree. */
public enum CgroupVersion {
  V1, V2;

  /**
   * Parses an operator's mode setting: {@code auto} (empty: use whichever the node has), {@code v1} or {@code v2}.
   *
   * @throws IllegalArgumentException naming the value when it is none of those
   */
  public static Optional<CgroupVersion> parseMode(String mode) {
    switch (mode.trim().toLowerCase(Locale.ROOT)) {
      case "auto":
        return Optional.empty();
      case "v1":
        return Optional.of(V1);
      case "v2":
        return Optional.of(V2);
      default:
        throw new IllegalArgumentException("unknown cgroup mode '" + mode + "' (expected auto, v1 or v2)");
    }
  }
}
