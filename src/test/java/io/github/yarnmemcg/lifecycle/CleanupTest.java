package io.github.yarnmemcg.lifecycle;

import static io.github.yarnmemcg.lifecycle.Bench.APP;
import static io.github.yarnmemcg.lifecycle.Bench.KIB;
import static org.apache.commons.io.FileUtils.ONE_MB;
import static io.github.yarnmemcg.lifecycle.Bench.result;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupIoException;
import io.github.yarnmemcg.lifecycle.Cleanup.State;
import io.github.yarnmemcg.lifecycle.CleanupResult.Outcome;
import io.github.yarnmemcg.testing.StandInDriver.Call;
import io.github.yarnmemcg.testing.StandInDriver.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cleanup of one finished container, state by state, on the stand-in driver and the hand-driven clock: what each
 * policy does, every reason a kept cgroup goes, and how failed steps are retried and given up.
 */
class CleanupTest {

  @TempDir
  Path tmp;

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static Duration s(long seconds) {
    return Duration.ofSeconds(seconds);
  }

  private static List<Op> ops(Bench b, Op... only) {
    List<Op> wanted = List.of(only);
    return b.driver.calls().stream().map(Call::op).filter(wanted::contains).toList();
  }

  /** When each call of this kind was made, relative to the first cleanup's start. */
  private static List<Duration> times(Bench b, Op op, long start) {
    return b.driver.calls(op).stream().map(c -> Duration.ofNanos(c.at() - start)).toList();
  }

  // --- the policies -------------------------------------------------------------------------------------------------

  @Test
  void atContainerExitTheCgroupIsKilledThenDrainedThenRemovedAtOnce() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    b.container(1).processes(41, 42).pageCache(8 * ONE_MB);
    Cleanup c = b.complete(1);
    CleanupResult r = result(c);
    assertAll(
        () -> assertEquals(State.DONE, c.state()),
        () -> assertEquals(List.of(Op.KILL, Op.DRAIN, Op.DELETE), ops(b, Op.KILL, Op.DRAIN, Op.DELETE,
            Op.SET_SOFT_LIMIT)),
        () -> assertEquals(2, b.driver.calls(Op.KILL).get(0).processes(), "killed with its processes in"),
        () -> assertEquals(0, b.driver.calls(Op.DRAIN).get(0).processes(), "drained empty"),
        () -> assertEquals(Outcome.CLEANED, r.outcome()),
        () -> assertTrue(r.removed()),
        () -> assertEquals(8 * ONE_MB, r.cachedAtExit()),
        () -> assertEquals(8 * ONE_MB, r.evictedBytes()),
        () -> assertEquals(0, r.freedWithoutEviction()),
        () -> assertEquals(0, r.leftCharged()),
        () -> assertEquals(1, r.attempts()),
        () -> assertEquals(0, r.waitedNanos()),
        () -> assertFalse(Files.exists(b.cgroupOf(1))),
        () -> assertEquals(1, b.counters.snapshot().cleaned()),
        () -> assertEquals(0, b.counters.snapshot().pendingCleanups()));
  }

  @Test
  void withTheDrainOffTheCgroupIsRemovedWithWhatItStillHolds() throws Exception {
    Bench b = new Bench(tmp, Bench.drainOff());
    assertSame(CleanupPolicy.NO_DRAIN, b.cleanups.policy());
    b.container(1).pageCache(8 * ONE_MB).shmem(ONE_MB);
    CleanupResult r = result(b.complete(1));
    assertAll(
        () -> assertEquals(List.of(Op.KILL, Op.DELETE), ops(b, Op.KILL, Op.DRAIN, Op.DELETE, Op.SET_SOFT_LIMIT)),
        () -> assertEquals(Outcome.CLEANED, r.outcome()),
        () -> assertEquals(0, r.evictedBytes()),
        () -> assertEquals(9 * ONE_MB, r.leftCharged(), "page cache and shmem"),
        () -> assertEquals(9 * ONE_MB, b.counters.snapshot().chargedAtRemoval()),
        () -> assertEquals(0, b.counters.snapshot().leftCharged(), "not a failed drain: there was none"));
  }

  @Test
  void onAKernelThatReparentsTheCgroupIsRemovedAtOnceWithoutADrain() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.AUTO));
    b.cleanups.policy(CleanupPolicy.KERNEL_REPARENTS);
    b.container(1).pageCache(8 * ONE_MB);
    CleanupResult r = result(b.complete(1));
    assertAll(
        () -> assertEquals(List.of(Op.KILL, Op.DELETE), ops(b, Op.KILL, Op.DRAIN, Op.DELETE, Op.SET_SOFT_LIMIT)),
        () -> assertEquals(0, r.evictedBytes()),
        () -> assertEquals(8 * ONE_MB, r.leftCharged(), "moved to the parent by the kernel"),
        () -> assertEquals(0, b.counters.snapshot().leftCharged()));
  }

  @Test
  void afterApplicationTheCgroupWaitsUnprotectedUntilItsApplicationHasEnded() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(8 * ONE_MB);
    Cleanup c = b.complete(1);
    assertEquals(State.WAIT, c.state());
    assertEquals(0, b.driver.cgroup(b.cgroupOf(1)).softLimit(), "unprotected while it waits");
    assertEquals(1, b.counters.snapshot().waiting());
    b.time.advance(s(10));
    assertEquals(State.WAIT, c.state());
    assertTrue(b.driver.calls(Op.DRAIN).isEmpty());
    b.ended.add(APP);
    // Asked at 1, 3, 7 and 15 s (1 s doubling): the end is seen at the next question.
    b.time.advance(ms(4_999));
    assertEquals(State.WAIT, c.state());
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    assertAll(
        () -> assertEquals(State.DONE, c.state()),
        () -> assertEquals(s(15).toNanos(), r.waitedNanos()),
        () -> assertEquals(8 * ONE_MB, r.evictedBytes()),
        () -> assertEquals(0, b.counters.snapshot().waiting()));
  }

  @Test
  void theNodeManagerDeletingApplicationFilesMakesAWaitingCgroupAskAtOnce() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(8 * ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(ms(2_500));
    b.ended.add(APP);
    b.cleanups.applicationCleaned(APP);
    b.time.runDue();
    assertEquals(ms(2_500).toNanos(), result(c).waitedNanos(), "not at the next poll, 3 s");
  }

  @Test
  void aWaitingCgroupIsDrainedOnceItHasWaitedTheAgeCap() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(8 * ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(ms(59_999));
    assertEquals(State.WAIT, c.state());
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    assertEquals(s(60).toNanos(), r.waitedNanos());
    assertEquals(8 * ONE_MB, r.evictedBytes());
  }

  @Test
  void overTheCountCapTheLongestWaitingCgroupIsDrained() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    for (int i = 1; i <= 3; i++) {
      b.container(i).pageCache(ONE_MB);
    }
    Cleanup first = b.complete(1);
    b.time.advance(s(1));
    Cleanup second = b.complete(2);
    b.time.advance(s(1));
    Cleanup third = b.complete(3);
    assertAll(
        () -> assertEquals(State.DONE, first.state()),
        () -> assertEquals(s(2).toNanos(), result(first).waitedNanos()),
        () -> assertEquals(State.WAIT, second.state()),
        () -> assertEquals(State.WAIT, third.state()),
        () -> assertEquals(2, b.counters.snapshot().waiting()));
  }

  // --- retired cgroups ----------------------------------------------------------------------------------------------

  @Test
  void retireKeepsTheCgroupEmptyAndUnprotectedAndNeverDrainsItWhileItHoldsPages() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    assertSame(CleanupPolicy.RETIRE, b.cleanups.policy());
    b.container(1).pageCache(64 * ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(Duration.ofHours(1));
    assertAll(
        () -> assertEquals(State.RETIRED, c.state()),
        () -> assertFalse(c.future.isDone()),
        () -> assertEquals(0, b.driver.cgroup(b.cgroupOf(1)).softLimit()),
        () -> assertTrue(b.driver.calls(Op.DRAIN).isEmpty()),
        () -> assertTrue(b.driver.calls(Op.MEMORY_STAT).size() > 100, "looked at every 30 s"),
        () -> assertEquals(1, b.counters.snapshot().retired()),
        () -> assertEquals(64 * ONE_MB, b.counters.snapshot().retiredBytes()));
  }

  @Test
  void aRetiredCgroupIsReleasedAfterTwoReadingsBelowTheThresholdAStatisticsFlushApart() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    b.container(1).pageCache(64 * ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(s(10));
    b.container(1).pageCache(100 * KIB);
    // The pass at 30 s reads it low; the second reading comes 2.5 s later.
    b.time.advance(ms(22_499));
    assertEquals(State.RETIRED, c.state());
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    assertAll(
        () -> assertEquals(Outcome.CLEANED, r.outcome()),
        () -> assertEquals(100 * KIB, r.evictedBytes()),
        () -> assertEquals(64 * ONE_MB - 100 * KIB, r.freedWithoutEviction()),
        () -> assertEquals(ms(32_500).toNanos(), r.waitedNanos()),
        () -> assertEquals(1, b.counters.snapshot().released()),
        () -> assertEquals(0, b.counters.snapshot().retired()),
        () -> assertEquals(0, b.counters.snapshot().retiredBytes()));
  }

  @Test
  void aReadingAboveTheThresholdBetweenTheTwoStartsTheConfirmationOver() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    b.container(1).pageCache(64 * ONE_MB);
    Cleanup c = b.complete(1);
    b.container(1).pageCache(100 * KIB);
    b.time.advance(s(31));
    b.container(1).pageCache(8 * ONE_MB);
    b.time.advance(s(2));
    b.container(1).pageCache(100 * KIB);
    // Low again at the 60 s pass: released 2.5 s after that reading, not at it.
    b.time.advance(ms(29_499));
    assertEquals(State.RETIRED, c.state());
    b.time.advance(ms(1));
    assertEquals(State.DONE, c.state());
  }

  @Test
  void aCgroupHoldingAlmostNothingAtExitIsReleasedOneStatisticsFlushLater() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    b.container(1).pageCache(10 * KIB);
    Cleanup c = b.complete(1);
    b.time.advance(ms(2_499));
    assertEquals(State.RETIRED, c.state());
    b.time.advance(ms(1));
    assertEquals(ms(2_500).toNanos(), result(c).waitedNanos());
  }

  @Test
  void overTheBudgetTheRetiredCgroupLeastLikelyToBeReadAgainIsDrained() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    for (int i = 1; i <= 3; i++) {
      b.container(i).pageCache(8 * ONE_MB);
    }
    Cleanup oldestButRead = b.complete(1);
    b.time.advance(s(10));
    Cleanup cold = b.complete(2);
    b.time.advance(s(10));
    // Someone reads the oldest one's pages again: seen at the pass at 30 s.
    b.container(1).activeFile(4 * ONE_MB);
    b.time.advance(s(10));
    Cleanup youngest = b.complete(3);
    CleanupResult r = result(cold);
    assertAll(
        () -> assertEquals(State.RETIRED, oldestButRead.state()),
        () -> assertEquals(State.RETIRED, youngest.state()),
        () -> assertEquals(8 * ONE_MB, r.evictedBytes()),
        () -> assertEquals(s(20).toNanos(), r.waitedNanos()),
        () -> assertEquals(1, b.counters.snapshot().drainedOverBudget()),
        () -> assertEquals(8 * ONE_MB, b.counters.snapshot().evictedOverBudget()),
        () -> assertEquals(2, b.counters.snapshot().retired()),
        () -> assertEquals(16 * ONE_MB, b.counters.snapshot().retiredBytes()));
  }

  @Test
  void withABudgetOfNoneEveryRetiringCgroupIsDrainedAtOnce() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET)
        .withRetire(RetireSettings.of(0, 64 * ONE_MB, ONE_MB, Duration.ofSeconds(30))));
    b.container(1).pageCache(8 * ONE_MB);
    CleanupResult r = result(b.complete(1));
    assertEquals(8 * ONE_MB, r.evictedBytes());
    assertEquals(1, b.counters.snapshot().drainedOverBudget());
    assertEquals(0, b.counters.snapshot().retired());
  }

  @Test
  void aReleasedCgroupWhoseRemainderWillNotGoIsRetiredAgainUntilItDoes() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.OVER_BUDGET));
    b.container(1).pageCache(64 * ONE_MB);
    Cleanup c = b.complete(1);
    long start = b.time.nanoTime();
    b.container(1).pageCache(0).pinned(200 * KIB);
    // Released at 32.5 s; its drain tries for 2 s in slices, then gives the cgroup back to the retired.
    b.time.advance(s(35));
    assertAll(
        () -> assertEquals(State.RETIRED, c.state()),
        () -> assertTrue(b.driver.calls(Op.DELETE).isEmpty(), "never removed still charged"),
        () -> assertEquals(ms(32_500), times(b, Op.DRAIN, start).get(0)),
        () -> assertEquals(ms(34_500), times(b, Op.DRAIN, start).get(b.driver.calls(Op.DRAIN).size() - 1)),
        () -> assertEquals(1, b.counters.snapshot().retired()),
        () -> assertEquals(200 * KIB, b.counters.snapshot().retiredBytes()),
        () -> assertEquals(0, b.counters.snapshot().released()));
    b.container(1).pinned(0);
    b.time.advance(ms(27_499));
    assertEquals(State.RETIRED, c.state());
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    assertEquals(0, r.leftCharged());
    assertEquals(1, b.counters.snapshot().released());
  }

  // --- the drain ----------------------------------------------------------------------------------------------------

  @Test
  void dirtyPagesAreDrainedOnceTheFlusherHasWrittenThemWithBackoffMeanwhile() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    long start = b.time.nanoTime();
    b.container(1).pageCache(4 * ONE_MB).dirty(4 * ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(s(1));
    assertEquals(State.DRAIN, c.state());
    b.container(1).flush();
    b.time.advance(s(1));
    CleanupResult r = result(c);
    assertAll(
        // Again at once after progress, then 250 ms doubling while nothing goes.
        () -> assertEquals(List.of(ms(0), ms(0), ms(250), ms(750), ms(1_750)), times(b, Op.DRAIN, start)),
        () -> assertEquals(8 * ONE_MB, r.evictedBytes()),
        () -> assertEquals(0, r.leftCharged()));
  }

  @Test
  void aDrainStopsAtItsBudgetInHalfSecondSlicesAndRemovesWhatIsLeftCharged() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    b.container(1).pageCache(ONE_MB).pinned(4 * ONE_MB);
    long start = b.time.nanoTime();
    Cleanup c = b.complete(1);
    b.time.advance(ms(9_999));
    assertEquals(State.DRAIN, c.state());
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    List<Call> drains = b.driver.calls(Op.DRAIN);
    assertAll(
        () -> assertTrue(drains.stream().allMatch(d -> d.value() - d.at() <= ms(500).toNanos()), "slices"),
        () -> assertTrue(drains.stream().allMatch(d -> d.value() <= start + s(10).toNanos()), "within budget"),
        () -> assertEquals(ONE_MB, r.evictedBytes()),
        () -> assertEquals(4 * ONE_MB, r.leftCharged()),
        () -> assertEquals(1, b.counters.snapshot().leftCharged()),
        () -> assertFalse(Files.exists(b.cgroupOf(1))));
  }

  // --- failures -----------------------------------------------------------------------------------------------------

  @Test
  void aFailedStepIsRetriedWithBackoffDoublingFromOneSecondAndResumesWhereItFailed() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    b.container(1).pageCache(ONE_MB);
    b.driver.fail(Op.DELETE, b.cgroupOf(1), CgroupIoException.Kind.OTHER, 3);
    long start = b.time.nanoTime();
    Cleanup c = b.complete(1);
    assertEquals(1, b.counters.snapshot().awaitingRetry());
    b.time.advance(s(10));
    CleanupResult r = result(c);
    assertAll(
        () -> assertEquals(List.of(s(0), s(1), s(3), s(7)), times(b, Op.DELETE, start)),
        () -> assertEquals(1, b.driver.calls(Op.KILL).size()),
        () -> assertEquals(1, b.driver.calls(Op.DRAIN).size()),
        () -> assertEquals(Outcome.CLEANED, r.outcome()),
        () -> assertEquals(4, r.attempts()),
        () -> assertEquals(0, b.counters.snapshot().awaitingRetry()),
        () -> assertEquals(0, b.counters.snapshot().givenUp()));
  }

  @Test
  void aStepStillFailingAfterTheGiveUpTimeIsGivenUpAndTheCgroupLeft() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    b.container(1).pageCache(ONE_MB);
    b.driver.fail(Op.DELETE, b.cgroupOf(1), CgroupIoException.Kind.PERMISSION_DENIED, Integer.MAX_VALUE);
    long start = b.time.nanoTime();
    Cleanup c = b.complete(1);
    b.time.advance(ms(14_999));
    assertEquals(State.REMOVE, c.state(), "10 s of failing reached only at the retry after it");
    b.time.advance(ms(1));
    CleanupResult r = result(c);
    b.time.advance(Duration.ofHours(1));
    assertAll(
        () -> assertEquals(List.of(s(0), s(1), s(3), s(7), s(15)), times(b, Op.DELETE, start), "and no more"),
        () -> assertEquals(Outcome.GIVEN_UP, r.outcome()),
        () -> assertEquals(5, r.attempts(), "five attempts, all failed"),
        () -> assertFalse(r.removed()),
        () -> assertTrue(Files.isDirectory(b.cgroupOf(1))),
        () -> assertEquals(1, b.counters.snapshot().givenUp()),
        () -> assertEquals(0, b.counters.snapshot().awaitingRetry()),
        () -> assertEquals(0, b.counters.snapshot().pendingCleanups()));
  }

  @Test
  void theGiveUpTimeCountsFromTheFirstOfTheFailuresInARowOnly() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).processes(7).survivesKill(true).pageCache(ONE_MB);
    Cleanup c = b.complete(1);
    b.time.advance(s(2));
    assertEquals(State.KILL, c.state(), "processes left after SIGKILL: retried");
    assertTrue(b.driver.calls(Op.DRAIN).isEmpty(), "never drained with processes in it");
    b.container(1).survivesKill(false);
    b.time.advance(s(1));
    assertEquals(State.WAIT, c.state());
    // Waiting since 3 s, it reaches the 1-minute age cap at 63 s, and its drain fails from then on.
    b.time.advance(s(59));
    b.driver.fail(Op.DRAIN, b.cgroupOf(1), CgroupIoException.Kind.OTHER, Integer.MAX_VALUE);
    b.time.advance(s(1));
    long firstDrain = b.driver.calls(Op.DRAIN).get(0).at();
    assertEquals(State.DRAIN, c.state(), "the failures before the wait do not count");
    b.time.advance(s(60));
    List<Call> drains = b.driver.calls(Op.DRAIN);
    assertAll(
        () -> assertEquals(Outcome.GIVEN_UP, result(c).outcome()),
        () -> assertEquals(s(1).toNanos(), drains.get(1).at() - firstDrain,
            "the backoff starts again from 1 s after the kill that worked"),
        () -> assertTrue(drains.get(drains.size() - 1).at() - firstDrain >= s(10).toNanos()),
        () -> assertTrue(drains.stream().allMatch(d -> d.processes() == 0)));
  }

  @Test
  void rmdirRetriesOnEbusyAreCounted() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.CONTAINER_EXIT));
    b.container(1).pageCache(ONE_MB).busyRmdirs(3);
    CleanupResult r = result(b.complete(1));
    assertEquals(3, r.deleteRetries());
    assertEquals(3, b.counters.snapshot().deleteRetries());
    assertEquals(1, r.attempts());
  }

  @Test
  void aCgroupRemovedByOthersWhileItWaitedEndsAbsent() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(ONE_MB);
    Cleanup c = b.complete(1);
    Files.delete(b.cgroupOf(1));
    b.ended.add(APP);
    b.cleanups.applicationCleaned(APP);
    b.time.runDue();
    CleanupResult r = result(c);
    assertEquals(Outcome.ABSENT, r.outcome());
    assertTrue(r.removed());
    assertEquals(0, b.counters.snapshot().givenUp());
    assertEquals(0, b.counters.snapshot().waiting());
  }

  // --- relaunch and repeated completion -----------------------------------------------------------------------------

  @Test
  void aRelaunchSupersedesTheWaitingCleanupAndTheCgroupStays() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(ONE_MB);
    Cleanup c = b.complete(1);
    b.cleanups.supersede(Bench.id(1));
    b.ended.add(APP);
    b.time.advance(Duration.ofMinutes(5));
    assertAll(
        () -> assertEquals(Outcome.SUPERSEDED, result(c).outcome()),
        () -> assertFalse(result(c).removed()),
        () -> assertTrue(Files.isDirectory(b.cgroupOf(1))),
        () -> assertTrue(b.driver.calls(Op.DRAIN).isEmpty()),
        () -> assertTrue(b.driver.calls(Op.DELETE).isEmpty()),
        () -> assertEquals(0, b.counters.snapshot().waiting()),
        () -> assertFalse(b.cleanups.isUnderWay(Bench.id(1))));
  }

  @Test
  void aSecondCompletionOfTheSameContainerJoinsTheCleanupUnderWay() throws Exception {
    Bench b = new Bench(tmp, Bench.settings(DrainWhen.APPLICATION_END));
    b.container(1).pageCache(ONE_MB);
    Cleanup first = b.complete(1);
    assertSame(first, b.complete(1));
    assertEquals(1, b.driver.calls(Op.KILL).size());
    assertEquals(1, b.counters.snapshot().completed());
  }
}
