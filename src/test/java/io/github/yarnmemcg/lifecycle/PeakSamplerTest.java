package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.yarnmemcg.cgroup.MemoryStats;
import org.junit.jupiter.api.Test;

/** The final peak where the kernel keeps none; the sampling itself runs on real cgroups (ContainerMemcgsIT). */
class PeakSamplerTest {
  private static final long U = MemoryStats.UNKNOWN;

  static MemoryStats stats(long usage, long peak, long limit, long limitHits) {
    return MemoryStats.builder().anon(0).file(0).shmem(0).mappedFile(0).activeFile(0).inactiveFile(0).dirty(0)
        .writeback(0).swap(0).usage(usage).peak(peak).limit(limit).limitHits(limitHits).oom(0).oomKill(0).build();
  }

  final PeakSampler sampler = new PeakSampler(null);

  @Test
  void aPeakTheKernelKeptIsLeftAsItIs() {
    MemoryStats kept = stats(4 * ONE_MB, 90 * ONE_MB, 128 * ONE_MB, 3);
    assertSame(kept, sampler.finalPeak("container_1700000000000_0001_01_000001", kept));
  }

  @Test
  void withoutSamplesTheUseAtTheEndIsTheLeastThePeakWas() {
    assertEquals(4 * ONE_MB, sampler.finalPeak("c", stats(4 * ONE_MB, U, 128 * ONE_MB, 0)).peak());
  }

  @Test
  void aLimitTheKernelCountedTheUseReachingIsThePeak() {
    assertEquals(128 * ONE_MB, sampler.finalPeak("c", stats(4 * ONE_MB, U, 128 * ONE_MB, 1)).peak());
    // No limit ("max" reads as a huge value) says nothing about the peak.
    assertEquals(4 * ONE_MB, sampler.finalPeak("c", stats(4 * ONE_MB, U, Long.MAX_VALUE, 1)).peak());
  }

  @Test
  void nothingKnownStaysUnknown() {
    assertEquals(U, sampler.finalPeak("c", stats(U, U, U, U)).peak());
  }
}
