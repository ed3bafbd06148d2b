package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** How a drain step's statistics are bounded by the charge counter (statistics that lag before Linux 5.13). */
class DrainBoundTest {
  private static final long U = MemoryStats.UNKNOWN;

  static MemoryStats file(long bytes) {
    return MemoryStats.builder().anon(0).file(bytes).shmem(0).mappedFile(0).activeFile(0).inactiveFile(bytes).dirty(0)
        .writeback(0).swap(0).build();
  }

  @Test
  void exactStatisticsOrNoCounterAreLeftAsTheyAre() {
    MemoryStats s = file(8192);
    assertSame(s, AbstractCgroupDriver.boundedByCharge(s, U, U));
    assertSame(s, AbstractCgroupDriver.boundedByCharge(s, 12288, 4096), "the counter also counts kernel objects");
    MemoryStats none = file(0);
    assertSame(none, AbstractCgroupDriver.boundedByCharge(none, 4096, 4096));
  }

  @Test
  void aCounterAtZeroMeansNothingIsCharged() {
    assertEquals(0, AbstractCgroupDriver.boundedByCharge(file(135168), 0, U).pageCache());
  }

  @Test
  void aCounterBelowTheStatisticsBoundsThemAndEndsTheDrainWhenItStopsMoving() {
    assertEquals(4096, AbstractCgroupDriver.boundedByCharge(file(135168), 4096, U).pageCache(), "first step");
    assertEquals(4096, AbstractCgroupDriver.boundedByCharge(file(135168), 4096, 8192).pageCache(), "still moving");
    assertEquals(0, AbstractCgroupDriver.boundedByCharge(file(135168), 4096, 4096).pageCache(), "no longer moving");
  }
}
