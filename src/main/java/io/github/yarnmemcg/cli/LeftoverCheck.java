package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.lifecycle.CleanupPolicy;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The container cgroups already under the root, as {@code yarn-memcg sweep} would find them: leftovers from a
 * NodeManager that ran without the plugin's cleanup, cgroups waiting for their application, and, where the node
 * retires finished containers' cgroups, the retired ones, which are kept on purpose and so are not leftovers.
 */
final class LeftoverCheck {
  private LeftoverCheck() {}

  /** @param policy the node's cleanup policy, or null when it is not known */
  static void check(Target target, Duration sweepMinAge, CleanupPolicy policy, List<Finding> out) {
    try (ContainerMemcgs memcgs = target.lifecycle()) {
      Sweep sweep = new Sweep(memcgs, sweepMinAge, target.applications());
      List<Sweep.Found> found = sweep.find();
      List<String> orphans = ids(found, OrphanRule.State.ORPHAN);
      List<String> running = ids(found, OrphanRule.State.RUNNING);
      List<String> waiting = ids(found, OrphanRule.State.WAITING);
      if (!waiting.isEmpty()) {
        out.add(Finding.info("container cgroups waiting for their application to end: " + waiting.size() + " "
            + waiting));
      }
      if (policy == CleanupPolicy.RETIRE && !orphans.isEmpty()) {
        // Empty cgroups of ended applications are what a retiring NodeManager keeps while their page cache may be
        // read again: not leftovers while it runs.
        long held = 0;
        for (Sweep.Found f : found) {
          held += f.state() == OrphanRule.State.ORPHAN ? f.chargedBytes() : 0;
        }
        out.add(Finding.info("retired container cgroups (empty, their page cache kept for whoever reads it next; the"
            + " NodeManager removes each once that is gone, or over its budget): " + orphans.size() + " holding "
            + (held >> 20) + " MiB; if the NodeManager no longer runs with yarn-memcg, 'yarn-memcg sweep --apply'"
            + " drains and removes them"));
      } else if (orphans.isEmpty()) {
        out.add(Finding.ok("leftover container cgroups: none (" + running.size() + " in use)"));
      } else {
        out.add(Finding.warn("leftover container cgroups with no process: " + orphans.size() + " " + orphans
            + "; 'yarn-memcg sweep --apply' drains and removes them"));
      }
      List<String> others = sweep.others();
      if (!others.isEmpty()) {
        out.add(Finding.info("cgroups under the root that are not containers' (never touched): " + others));
      }
    } catch (IOException e) {
      out.add(Finding.warn("cannot list container cgroups: " + e.getMessage()));
    }
  }

  private static List<String> ids(List<Sweep.Found> found, OrphanRule.State state) {
    return found.stream().filter(f -> f.state() == state).map(Sweep.Found::containerId).collect(Collectors.toList());
  }
}
