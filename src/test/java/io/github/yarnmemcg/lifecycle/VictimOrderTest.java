package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.lifecycle.VictimOrder.Candidate;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Hadoop's choice of victim: opportunistic first, then over its request, then the newest. */
class VictimOrderTest {

  static Candidate c(String id, boolean guaranteed, long requestMib, long usedMib, long startedSecond) {
    return Candidate.of(id, guaranteed, requestMib * ONE_MB, usedMib * ONE_MB, startedSecond * 1_000_000_000L);
  }

  static List<String> ids(List<Candidate> cs) {
    return cs.stream().map(Candidate::containerId).collect(Collectors.toList());
  }

  @Test
  void opportunisticGoesBeforeGuaranteedWhateverTheirSizesAndAges() {
    Candidate bigNewGuaranteed = c("g", true, 256, 900, 10);
    Candidate smallOldOpportunistic = c("o", false, 256, 10, 1);
    assertEquals("o", VictimOrder.choose(List.of(bigNewGuaranteed, smallOldOpportunistic)).get().containerId());
  }

  @Test
  void overItsRequestGoesBeforeWithinItsRequestThenTheNewestFirst() {
    List<Candidate> all = List.of(
        c("old-within", true, 512, 300, 1),
        c("new-within", true, 512, 300, 5),
        c("old-over", true, 128, 200, 2),
        c("new-over", true, 128, 129, 4),
        c("opp-within", false, 512, 1, 0),
        c("opp-over", false, 64, 100, 0));
    assertEquals(List.of("opp-over", "opp-within", "new-over", "old-over", "new-within", "old-within"),
        ids(VictimOrder.order(all)));
  }

  @Test
  void exactlyAtItsRequestIsWithinIt() {
    assertTrue(!c("x", true, 128, 128, 0).overRequest());
    assertEquals(Optional.empty(), VictimOrder.choose(List.of()));
  }

  @Test
  void theReasonNamesTheRuleThatDecided() {
    List<Candidate> all = List.of(c("a", true, 128, 200, 1), c("b", true, 128, 150, 3), c("c", true, 512, 100, 4));
    Candidate victim = VictimOrder.choose(all).get();
    assertEquals("b", victim.containerId());
    String why = VictimOrder.why(victim, all, 5_000_000_000L);
    assertEquals("guaranteed (all running containers were), over its request (anonymous memory and shmem 150 MiB of"
        + " 128 MiB), the most recently started of 2 such (2.0 s ago)", why);
    Candidate opp = c("o", false, 64, 10, 0);
    assertTrue(VictimOrder.why(opp, List.of(opp, all.get(0)), 0).startsWith("opportunistic (opportunistic containers"
        + " go first), within its request"), VictimOrder.why(opp, List.of(opp, all.get(0)), 0));
  }
}
