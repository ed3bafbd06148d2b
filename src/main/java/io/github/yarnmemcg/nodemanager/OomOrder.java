package io.github.yarnmemcg.nodemanager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The order in which the kernel's node-wide OOM killer takes containers, set through each container's
 * {@code oom_score_adj}: the kernel kills the process with the highest badness, its share of the node's memory in
 * thousandths plus this value, so opportunistic containers (1000 by default) go before guaranteed ones (500), and
 * both before the node's daemons (0). A container's value is never below the NodeManager's own, which the kernel
 * would refuse to an unprivileged NodeManager anyway and which would make a container outlive its NodeManager.
 */
public final class OomOrder {
  /** Where a process reads and sets its own value; children inherit it across fork and exec. */
  public static final Path SELF = Paths.get("/proc/self/oom_score_adj");

  private final int guaranteed;
  private final int opportunistic;

  private OomOrder(int guaranteed, int opportunistic) {
    this.guaranteed = check(guaranteed);
    this.opportunistic = check(opportunistic);
  }

  /** The values as configured, before the NodeManager's own is known. */
  public static OomOrder of(int guaranteed, int opportunistic) {
    return new OomOrder(guaranteed, opportunistic);
  }

  private static int check(int adj) {
    if (adj < -1000 || adj > 1000) {
      throw new IllegalArgumentException("oom_score_adj " + adj + " is outside -1000 to 1000");
    }
    return adj;
  }

  public int guaranteed() {
    return guaranteed;
  }

  public int opportunistic() {
    return opportunistic;
  }

  /** These values raised to at least the NodeManager's own. */
  public OomOrder atLeast(int nodeManagers) {
    return new OomOrder(Math.max(guaranteed, nodeManagers), Math.max(opportunistic, nodeManagers));
  }

  /** The value for one container. */
  public int forContainer(boolean isGuaranteed) {
    return isGuaranteed ? guaranteed : opportunistic;
  }

  /**
   * {@code command} run by a shell that first sets its own {@code oom_score_adj}, which the command and everything
   * it forks inherit; if the kernel refuses the write, the shell exits non-zero and the command never runs.
   */
  public static List<String> thenExec(int adj, List<String> command) {
    List<String> argv = new ArrayList<>();
    argv.add("/bin/sh");
    argv.add("-c");
    argv.add("echo " + check(adj) + " > " + SELF + " && exec \"$@\"");
    argv.add("sh");
    argv.addAll(command);
    return argv;
  }

  /** This process's own value. */
  public static int own() throws IOException {
    return Integer.parseInt(new String(Files.readAllBytes(SELF), StandardCharsets.US_ASCII).trim());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OomOrder && ((OomOrder) o).guaranteed == guaranteed
        && ((OomOrder) o).opportunistic == opportunistic;
  }

  @Override
  public int hashCode() {
    return Objects.hash(guaranteed, opportunistic);
  }

  @Override
  public String toString() {
    return "oom_score_adj guaranteed " + guaranteed + ", opportunistic " + opportunistic;
  }
}
