package io.github.yarnmemcg.bench;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * One way of giving each container a memory cgroup, driven the way a NodeManager drives it: set up before the
 * container's first process joins, completed after the container exits. Each contender owns one root, which
 * the benchmark removes at the end.
 */
interface Contender extends AutoCloseable {

  /** The name in the results table. */
  String name();

  /** The cgroup directory under which this contender creates container cgroups. */
  Path root();

  /** Untimed preparation of what the NodeManager already holds when it starts a container (its records). */
  default void prepare(String containerId, long limitBytes) {}

  /** Creates the container's cgroup with its limit; returns the cgroup whose cgroup.procs the container joins. */
  Path setUp(String containerId, long limitBytes) throws Exception;

  /**
   * The completion call the NodeManager makes once the container exited. Returns when that call returns,
   * with the background work it started (already done for a contender that works synchronously).
   */
  CompletableFuture<?> complete(String containerId) throws Exception;

  @Override
  default void close() {}
}
