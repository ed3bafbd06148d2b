package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A container's swap limit, on the real kernel: the values written as the kernel reads them back (in the order v1
 * requires when a container grows and shrinks), and on a node with swap, what the limit does: with the default a
 * container past its memory is OOM-killed instead of swapping beyond its YARN allocation; the control, without a swap
 * limit, swaps and runs on.
 */
@Tag("v2-stage")
@Tag("v1-guest")
class SwapIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  ContainerMemcgs memcgs;


  ContainerMemcgs open(int swapPercent) throws Exception {
    if (memcgs != null) {
      memcgs.close();
      RealCgroups.removeTree(cgroups.driver(), cgroups.root());
    }
    memcgs = cgroups.closing(new ContainerMemcgs(cgroups.driver(), cgroups.root(),
        Lifecycles.settings(true).toBuilder().swapPercent(swapPercent).build()));
    memcgs.bootstrap();
    return memcgs;
  }

  /** The swap the kernel allows the cgroup besides its memory, read back; {@code Long.MAX_VALUE}: no limit. */
  long swapAllowed(Path cgroup) throws Exception {
    CgroupDriver d = cgroups.driver();
    if (d.mount().version() == CgroupVersion.V2) {
      String v = d.fs().read(cgroup.resolve("memory.swap.max")).trim();
      return v.equals("max") ? Long.MAX_VALUE : Long.parseLong(v);
    }
    long both = Long.parseLong(d.fs().read(cgroup.resolve("memory.memsw.limit_in_bytes")).trim());
    // memsw is one page above memory plus swap, so that the memory limit is met first (V1Driver).
    return both > 1L << 60 ? Long.MAX_VALUE : both - d.stats(cgroup).limit() - 4096;
  }

  @Test
  void theSwapLimitFollowsTheContainersMemoryThroughResizes() throws Exception {
    open(50);
    String id = Lifecycles.containerId(1);
    Path cg = memcgs.start(id, 64 * ONE_MB, true);
    assertTrue(cgroups.driver().swapLimited(cg), "this kernel accounts swap per cgroup (" + cg + ")");
    assertEquals(32 * ONE_MB, swapAllowed(cg));
    // Growing needs v1's memsw raised before the memory limit, shrinking the other way round.
    memcgs.update(id, 256 * ONE_MB, true);
    assertEquals(256 * ONE_MB, cgroups.driver().stats(cg).limit());
    assertEquals(128 * ONE_MB, swapAllowed(cg));
    memcgs.update(id, 128 * ONE_MB, true);
    assertEquals(128 * ONE_MB, cgroups.driver().stats(cg).limit());
    assertEquals(64 * ONE_MB, swapAllowed(cg));
    memcgs.complete(id);

    open(LifecycleSettings.DEFAULT_SWAP_PERCENT);
    Path none = memcgs.start(Lifecycles.containerId(2), 64 * ONE_MB, true);
    assertEquals(0, swapAllowed(none), "the default: no swap besides the container's memory");
    memcgs.complete(Lifecycles.containerId(2));

    open(LifecycleSettings.UNLIMITED_SWAP);
    Path unlimited = memcgs.start(Lifecycles.containerId(3), 64 * ONE_MB, true);
    assertEquals(Long.MAX_VALUE, swapAllowed(unlimited), "-1: no swap limit");
    memcgs.complete(Lifecycles.containerId(3));
  }

  /**
   * What one opportunistic container (swappiness 100 on v1) that allocates twice its memory came to: the most swap it
   * used, and the most its memory and swap together went beyond its allocation (v1 keeps that peak itself, in
   * {@code memory.memsw.max_usage_in_bytes}; on v2 it is sampled).
   */
  record Run(String setting, int exit, Optional<String> oomKill, long swapPeak, long beyondAllocation) {}

  Run allocateTwiceItsMemory(String setting, int swapPercent) throws Exception {
    open(swapPercent);
    String id = Lifecycles.containerId(10);
    Path cg = memcgs.start(id, 64 * ONE_MB, false);
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cg, Workloads.allocateAnon(128)))
        .redirectErrorStream(true).start();
    long swapPeak = 0;
    long beyond = 0;
    CgroupDriver d = cgroups.driver();
    while (p.isAlive()) {
      long swap = swapUsed(cg);
      swapPeak = Math.max(swapPeak, swap);
      if (d.mount().version() == CgroupVersion.V2) {
        beyond = Math.max(beyond, d.stats(cg).usage() + swap - 64 * ONE_MB);
      }
      Thread.sleep(20);
    }
    int exit = p.waitFor();
    if (d.mount().version() == CgroupVersion.V1) {
      beyond = Long.parseLong(d.fs().read(cg.resolve("memory.memsw.max_usage_in_bytes")).trim()) - 64 * ONE_MB;
    }
    Run r = new Run(setting, exit, memcgs.complete(id).oomKill(), swapPeak, Math.max(0, beyond));
    System.out.println("[measure] swap, " + r);
    return r;
  }

  long swapUsed(Path cgroup) {
    try {
      CgroupDriver d = cgroups.driver();
      if (d.mount().version() == CgroupVersion.V2) {
        return Long.parseLong(d.fs().read(cgroup.resolve("memory.swap.current")).trim());
      }
      return Math.max(0, Long.parseLong(d.fs().read(cgroup.resolve("memory.memsw.usage_in_bytes")).trim())
          - Long.parseLong(d.fs().read(cgroup.resolve("memory.usage_in_bytes")).trim()));
    } catch (Exception gone) {
      return 0;
    }
  }

  @Test
  @Tag("swap")
  void onANodeWithSwapAContainerPastItsMemoryIsKilledNotSwappedWithTheDefault() throws Exception {
    List<String> swaps = Files.readAllLines(Path.of("/proc/swaps"));
    assertTrue(swaps.size() > 1, "this test needs a node with swap on (vm-run --swap): " + swaps);
    Run limited = allocateTwiceItsMemory("swap-percent=0", LifecycleSettings.DEFAULT_SWAP_PERCENT);
    assertTrue(limited.exit() != 0 && limited.oomKill().isPresent(), limited.toString());
    // v1 may swap a few pages out while memory and swap together stay within the allocation (and the one page above
    // it that keeps the memory limit the one met first); v2 swaps none.
    assertTrue(limited.beyondAllocation() <= 4096, limited.toString());
    if (cgroups.driver().mount().version() == CgroupVersion.V2) {
      assertEquals(0, limited.swapPeak(), limited.toString());
    }

    Run control = allocateTwiceItsMemory("swap-percent=-1 (control)", LifecycleSettings.UNLIMITED_SWAP);
    assertEquals(0, control.exit(), "the control swaps and runs to its end: " + control);
    assertTrue(control.swapPeak() >= 32 * ONE_MB && control.beyondAllocation() >= 32 * ONE_MB, control.toString());
  }
}
