package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import java.time.Duration;

/** The lifecycle as the real-kernel tests use it, and container ids to name its cgroups. */
public final class Lifecycles {
  private Lifecycles() {}

  /** The lifecycle bootstrapped under the test's root: 60 s drain budget, 2 cleanup threads. */
  public static ContainerMemcgs open(RealCgroups cgroups, boolean drain) throws Exception {
    ContainerMemcgs m = new ContainerMemcgs(cgroups.driver(), cgroups.root(), settings(drain));
    m.bootstrap();
    return m;
  }

  /** The tests' settings: 60 s drain budget, 2 cleanup threads, the drain at container exit. */
  public static LifecycleSettings settings(boolean drain) {
    return LifecycleSettings.builder().drainEnabled(drain).reaperGiveUp(Duration.ofMinutes(5)).build();
  }

  /** The i-th container id of one application, as YARN writes it. */
  public static String containerId(int i) {
    return String.format("container_1700000000000_0001_01_%06d", i);
  }
}
