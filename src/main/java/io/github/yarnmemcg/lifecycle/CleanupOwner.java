package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;

/**
 * What a {@link Cleanup} needs of the cleanups under way on its root ({@link Cleanups}), and no more, so that
 * the state machine depends on an interface rather than on the class that holds it: the shared parts, and
 * the calls that keep the root's sets of waiting and retired cgroups and its counters.
 */
interface CleanupOwner {
  CgroupDriver driver();

  LifecycleSettings settings();

  LifecycleCounters counters();

  StepScheduler scheduler();

  Applications applications();

  /** How this node cleans, as measured or configured. */
  CleanupPolicy policy();

  /** The cleanup now waits for its application's end. */
  void waiting(Cleanup c);

  /** The cleanup is retired holding {@code held} bytes; the budget may drain another. */
  void retired(Cleanup c, long held);

  /** What a retired cgroup holds now. */
  void held(Cleanup c, long bytes);

  /** The cleanup no longer waits nor is retired. */
  void stoppedWaiting(Cleanup c);

  /** The cgroup was removed. */
  void removed();

  /** The cleanup is over. */
  void finished(Cleanup c);
}
