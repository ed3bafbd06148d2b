package io.github.yarnmemcg.lifecycle;

import java.io.IOException;

/**
 * What this node does with a finished container's cgroup, decided once at start from the settings and, for
 * {@link DrainWhen#AUTO}, from what {@link ReparentProbe} measured of the kernel.
 */
public enum CleanupPolicy {
  /** {@code drain.enabled=false}: kill and remove; whatever page cache is left keeps the memcg dying. */
  NO_DRAIN("drain off: cgroups are removed without reclaiming their page cache"),
  /** The kernel moves a removed memcg's pages to its parent: kill and remove, nothing evicted. */
  KERNEL_REPARENTS("no drain needed: this kernel moves a removed cgroup's page cache to its parent"),
  /**
   * Kill, drop the cgroup's protection and keep it retired until its page cache is gone without eviction (deleted by
   * its application, or reclaimed by the kernel), then remove it; drain only the retired cgroup least likely to be
   * read again when more are retired than the budget allows.
   */
  RETIRE("retire: a finished container's cgroup is kept, empty and unprotected, until its page cache is gone"
      + " (files deleted, or reclaimed by the kernel), and drained only over the retire budget"),
  /** Kill, drop the cgroup's protection, wait for the application to end, then drain what is left and remove. */
  AFTER_APPLICATION("drain after the application ends: a finished container's cgroup waits, unprotected, until"
      + " the NodeManager has deleted its application's local directories"),
  /** Kill, drain and remove at once (the eager drain). */
  AT_EXIT("drain at container exit: page cache is evicted as each container ends");

  private final String description;

  CleanupPolicy(String description) {
    this.description = description;
  }

  /** One line for the start-up log and the doctor. */
  public String description() {
    return description;
  }

  /** Whether a cleanup reclaims page cache before removing a cgroup. */
  boolean drains() {
    return this == RETIRE || this == AFTER_APPLICATION || this == AT_EXIT;
  }

  /** A node's policy and why: what the probe measured, or the setting that decided it. */
  public static final class Decision {
    private final CleanupPolicy policy;
    private final String why;

    Decision(CleanupPolicy policy, String why) {
      this.policy = policy;
      this.why = why;
    }

    public CleanupPolicy policy() {
      return policy;
    }

    public String why() {
      return why;
    }
  }

  /**
   * Decides the policy of a node with these settings: with the drain on and {@code drain.when=auto}, by running the
   * probe; otherwise the settings decide and nothing is measured. The one decision of the NodeManager and the doctor.
   */
  public static Decision decide(LifecycleSettings settings, ReparentProbe probe) throws IOException {
    if (!settings.drainEnabled() || settings.drainWhen() != DrainWhen.AUTO) {
      return new Decision(of(settings, false), "set by " + (settings.drainEnabled()
          ? "drain.when=" + settings.drainWhen().value() : "drain.enabled=false"));
    }
    ReparentProbe.Finding f = probe.run();
    return new Decision(of(settings, f.reparents()), "measured in " + probe.scratch() + ": " + f.evidence());
  }

  /** The policy of a node with these settings, once the probe has said whether its kernel reparents (AUTO only). */
  public static CleanupPolicy of(LifecycleSettings settings, boolean kernelReparents) {
    if (!settings.drainEnabled()) {
      return NO_DRAIN;
    }
    switch (settings.drainWhen()) {
      case CONTAINER_EXIT:
        return AT_EXIT;
      case APPLICATION_END:
        return AFTER_APPLICATION;
      case OVER_BUDGET:
        return RETIRE;
      default:
        return kernelReparents ? KERNEL_REPARENTS : RETIRE;
    }
  }
}
