package io.github.yarnmemcg.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The node's one decision of what becomes of finished containers' cgroups, from the settings and the probe. */
class CleanupPolicyTest {

  private static LifecycleSettings drain(boolean enabled, DrainWhen when) {
    return LifecycleSettings.builder().drainEnabled(enabled).drainTimeout(Duration.ofSeconds(10)).cleanupThreads(1)
        .reaperGiveUp(Duration.ofMinutes(5)).build().withDrainWhen(when, Duration.ofHours(1), 512);
  }

  @Test
  void eachDrainWhenOtherThanAutoDecidesThePolicyWhateverTheKernel() {
    for (boolean reparents : new boolean[] {false, true}) {
      assertEquals(CleanupPolicy.AT_EXIT, CleanupPolicy.of(drain(true, DrainWhen.CONTAINER_EXIT), reparents));
      assertEquals(CleanupPolicy.AFTER_APPLICATION, CleanupPolicy.of(drain(true, DrainWhen.APPLICATION_END),
          reparents));
      assertEquals(CleanupPolicy.RETIRE, CleanupPolicy.of(drain(true, DrainWhen.OVER_BUDGET), reparents));
    }
  }

  @Test
  void autoRemovesAtOnceOnAKernelThatReparentsAndRetiresElsewhere() {
    assertEquals(CleanupPolicy.KERNEL_REPARENTS, CleanupPolicy.of(drain(true, DrainWhen.AUTO), true));
    assertEquals(CleanupPolicy.RETIRE, CleanupPolicy.of(drain(true, DrainWhen.AUTO), false));
  }

  @Test
  void withTheDrainOffNothingElseCounts() {
    for (DrainWhen when : DrainWhen.values()) {
      assertEquals(CleanupPolicy.NO_DRAIN, CleanupPolicy.of(drain(false, when), true), when.value());
      assertEquals(CleanupPolicy.NO_DRAIN, CleanupPolicy.of(drain(false, when), false), when.value());
    }
  }

  @Test
  void theProbeRunsOnlyForAutoWithTheDrainOn() throws Exception {
    // A null probe: any attempt to run it fails the test.
    CleanupPolicy.Decision set = CleanupPolicy.decide(drain(true, DrainWhen.APPLICATION_END), null);
    assertEquals(CleanupPolicy.AFTER_APPLICATION, set.policy());
    assertEquals("set by drain.when=application-end", set.why());
    CleanupPolicy.Decision off = CleanupPolicy.decide(drain(false, DrainWhen.AUTO), null);
    assertEquals(CleanupPolicy.NO_DRAIN, off.policy());
    assertEquals("set by drain.enabled=false", off.why());
  }

  @Test
  void onlyThePoliciesThatEvictCountAsDraining() {
    assertTrue(CleanupPolicy.RETIRE.drains());
    assertTrue(CleanupPolicy.AFTER_APPLICATION.drains());
    assertTrue(CleanupPolicy.AT_EXIT.drains());
    assertFalse(CleanupPolicy.NO_DRAIN.drains());
    assertFalse(CleanupPolicy.KERNEL_REPARENTS.drains());
  }
}
