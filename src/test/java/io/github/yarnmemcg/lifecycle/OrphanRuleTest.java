package io.github.yarnmemcg.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.yarnmemcg.lifecycle.OrphanRule.State;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one rule of the sweeps, on figures the caller has read: who decides, and in which order. */
class OrphanRuleTest {
  static final String RUNNING_APP = "container_1700000000000_0001_01_000001";
  static final String ENDED_APP = "container_1700000000000_0002_01_000001";

  @Test
  void theNodeManagersWordDecidesWhateverTheProcessesAndTheAge() {
    OrphanRule rule = OrphanRule.claimedBy(Set.of(RUNNING_APP)::contains);
    assertEquals(State.CLAIMED, rule.stateOf(RUNNING_APP, 0, Duration.ZERO));
    assertEquals(State.ORPHAN, rule.stateOf(ENDED_APP, 3, Duration.ZERO), "processes of a container not reacquired");
  }

  @Test
  void withoutTheNodeManagerAProcessOrYouthKeepsACgroup() {
    OrphanRule rule = OrphanRule.emptyAndOlderThan(Duration.ofSeconds(60));
    assertEquals(State.RUNNING, rule.stateOf(ENDED_APP, 1, Duration.ofHours(5)));
    assertEquals(State.RECENT, rule.stateOf(ENDED_APP, 0, Duration.ofSeconds(59)));
    assertEquals(State.ORPHAN, rule.stateOf(ENDED_APP, 0, Duration.ofSeconds(60)));
  }

  @Test
  void toolsApartFromTheNodeManagerLeaveAnApplicationThatStillRunsToIt() {
    Applications ended = applicationId -> applicationId.endsWith("_0002");
    OrphanRule rule = OrphanRule.emptyOlderThanAndEnded(Duration.ZERO, ended);
    assertEquals(State.WAITING, rule.stateOf(RUNNING_APP, 0, Duration.ofHours(1)));
    assertEquals(State.ORPHAN, rule.stateOf(ENDED_APP, 0, Duration.ofHours(1)));
    assertEquals(State.RUNNING, rule.stateOf(RUNNING_APP, 2, Duration.ofHours(1)), "processes first");
  }
}
