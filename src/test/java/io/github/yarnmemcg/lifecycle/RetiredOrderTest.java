package io.github.yarnmemcg.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class RetiredOrderTest {

  record R(String name, long retiredSince, boolean reused, long lastReuse) implements RetiredOrder.Retiree {}

  static R cold(String name, long retiredSince) {
    return new R(name, retiredSince, false, 0);
  }

  static R reused(String name, long retiredSince, long lastReuse) {
    return new R(name, retiredSince, true, lastReuse);
  }

  @Test
  void amongCgroupsNeverReadAgainTheOldestRetirementGoesFirst() {
    assertEquals("a", RetiredOrder.first(List.of(cold("b", 20), cold("a", 10), cold("c", 30))).name());
  }

  @Test
  void aCgroupNeverReadAgainGoesBeforeAnOlderOneThatWas() {
    assertEquals("young", RetiredOrder.first(List.of(reused("old", 10, 15), cold("young", 90))).name());
  }

  @Test
  void amongCgroupsReadAgainTheOneReadLongestAgoGoesFirst() {
    assertEquals("stale", RetiredOrder.first(List.of(reused("fresh", 10, 80), reused("stale", 50, 60))).name());
  }

  @Test
  void timesAreComparedAsNanoTimeDifferencesSoTheyMayWrap() {
    assertEquals("before", RetiredOrder.first(List.of(cold("after", Long.MIN_VALUE + 5),
        cold("before", Long.MAX_VALUE - 5))).name());
  }

  @Test
  void nothingRetiredNothingFirst() {
    assertNull(RetiredOrder.first(List.<R>of()));
  }
}
