package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.cgroup.MemoryStats;
import java.nio.file.Path;

/**
 * The one wording of "the kernel OOM-killed this container in its memory cgroup", shared by the executor
 * (which puts it in the container's diagnostics) and the LinuxContainerExecutor handler (which can only log
 * it), so that operators grep for one message whichever executor runs the node.
 */
final class OomKills {
  private static final long MIB = 1L << 20;

  private OomKills() {}

  static String message(Path cgroup, MemoryStats s) {
    return String.format("Container killed by the kernel OOM killer in its memory cgroup %s:"
        + " limit %d MiB, peak %d MiB, %d process(es) OOM-killed, limit hit %d times.",
        cgroup, s.limit() / MIB, s.peak() / MIB, s.oomKill(), s.limitHits());
  }
}
