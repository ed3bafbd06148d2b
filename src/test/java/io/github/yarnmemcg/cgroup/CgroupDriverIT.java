package io.github.yarnmemcg.cgroup;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Locales;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The kernel layer against the host's real memory controller. */
@Tag("v2-stage")
@Tag("v1-guest")
class CgroupDriverIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  CgroupDriver driver;
  Path cg;

  @BeforeEach
  void createCgroup() throws Exception {
    driver = cgroups.driver();
    cgroups.createRoot();
    cg = cgroups.root().resolve("c1");
    assertTrue(driver.create(cg));
    assertFalse(driver.create(cg), "second create of the same cgroup reports it existed");
  }

  private int runIn(Path cgroup, List<String> command) throws Exception {
    Process p = new ProcessBuilder(driver.joinThenExec(cgroup, command)).inheritIO().start();
    return p.waitFor();
  }

  @Test
  void hardLimitIsEnforcedByTheKernelOomKiller() throws Exception {
    driver.setLimits(cg, 32 * ONE_MB, 0); // no swap besides it, as the plugin sets containers by default
    int exit = runIn(cg, Workloads.allocateAnon(128));
    MemoryStats s = driver.stats(cg);
    assertEquals(137, exit, "a process allocating 128 MiB under a 32 MiB limit dies of SIGKILL");
    assertTrue(s.oomKill() >= 1, "the kernel counted the OOM kill: " + s);
    assertTrue(s.limitHits() > 0, "the limit was hit: " + s);
    assertEquals(32 * ONE_MB, s.limit());
  }

  @Test
  void statsSeparateAnonFromPageCache() throws Exception {
    Path file = Workloads.freshFile(files, "data", 64);
    assertEquals(0, runIn(cg, Workloads.readNoAtime(file)));
    MemoryStats afterRead = driver.stats(cg);
    assertTrue(afterRead.file() >= 60 * ONE_MB, "reading a fresh 64 MiB file charges ~64 MiB file: " + afterRead);
    assertTrue(afterRead.anon() < 8 * ONE_MB, "and little anon: " + afterRead);

    Path cg2 = cgroups.root().resolve("c2");
    driver.create(cg2);
    Process p = new ProcessBuilder(driver.joinThenExec(cg2, Workloads.holdAnon(64))).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      MemoryStats holding = driver.stats(cg2);
      assertTrue(holding.anon() >= 60 * ONE_MB, "allocating 64 MiB shows ~64 MiB anon: " + holding);
      assertTrue(holding.anon() < 100 * ONE_MB, "not much more: " + holding);
      assertTrue(holding.pageCache() < 8 * ONE_MB, "and little page cache: " + holding);
      assertTrue(holding.containerMemory() >= 60 * ONE_MB);
      assertEquals(List.of(p.pid()), driver.pids(cg2));
      p.getOutputStream().close();
      assertEquals(0, p.waitFor());
    }
    if (driver.interfaces(cg2).peak() == KernelInterfaces.Peak.KERNEL) {
      assertTrue(driver.stats(cg2).peak() >= 60 * ONE_MB, "the peak keeps the high-water mark");
    } else {
      // v2 before 5.19: no memory.peak, the lifecycle samples it (ContainerMemcgsIT checks that figure).
      assertEquals(MemoryStats.UNKNOWN, driver.stats(cg2).peak());
    }
  }

  @Test
  void drainBringsPageCacheToZero() throws Exception {
    Path file = Workloads.freshFile(files, "data", 32);
    assertEquals(0, runIn(cg, Workloads.readNoAtime(file)));
    DrainResult r = driver.drain(cg, System.nanoTime() + 10_000_000_000L);
    assertTrue(r.pageCacheBefore() >= 30 * ONE_MB, r.toString());
    assertTrue(r.complete(), "no page cache left: " + r);
    assertTrue(driver.stats(cg).file() < ONE_MB);
    assertTrue(r.drainedBytes() >= 30 * ONE_MB);
  }

  @Test
  @Tag("locale")
  void killAllEmptiesTheCgroupIncludingEscapedProcesses() throws Exception {
    // The shell exits at once; its setsid child has left the process group but not the cgroup.
    assertEquals(0, runIn(cg, List.of("sh", "-c", "setsid sleep 600 > /dev/null 2>&1 &")));
    List<Long> pids = driver.pids(cg);
    assertEquals(1, pids.size(), "the escaped sleep is still in the cgroup");
    CgroupIoException busy = assertThrows(CgroupIoException.class,
        () -> driver.delete(cg, System.nanoTime() + 2_000_000));
    assertEquals(CgroupIoException.Kind.OTHER, busy.kind(), "EBUSY is neither EACCES nor EAGAIN: " + busy);
    assertTrue(busy.getMessage().contains(cg.toString()) && Files.isDirectory(cg), busy.getMessage());

    assertTrue(driver.killAll(cg, System.nanoTime() + 5_000_000_000L));
    assertTrue(driver.pids(cg).isEmpty());
    // A task leaves cgroup.procs in do_exit before it becomes a zombie, so for a moment it is still running there.
    assertTrue(Await.within(Duration.ofSeconds(5), () -> Workloads.isDeadOrZombie(pids.get(0))),
        "the straggler is dead (its reaper may not have collected it yet)");
    driver.delete(cg, System.nanoTime() + 5_000_000_000L);
    assertFalse(Files.exists(cg));
    assertEquals(0, driver.delete(cg, System.nanoTime()), "deleting a deleted cgroup is a no-op");
  }

  /**
   * The case the seed's clusters hit: rmdir answers EBUSY until the container's last process has gone, here
   * 400 ms after the first attempt, and must be retried in every locale (the JDK translates the kernel's text).
   */
  @Test
  @Tag("locale")
  void deleteWaitsOutEbusyUntilTheLastProcessHasGone() throws Exception {
    Process last = new ProcessBuilder(driver.joinThenExec(cg, List.of("sleep", "0.4"))).start();
    Await.until("the process to join the cgroup", Duration.ofSeconds(5), () -> !driver.pids(cg).isEmpty());
    long t0 = System.nanoTime();
    int retries = driver.delete(cg, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertFalse(Files.exists(cg), "removed once the process had gone");
    assertTrue(retries > 0, "rmdir was refused (EBUSY) and retried, not failed at once: " + retries);
    last.waitFor();
    System.out.printf("[measure] rmdir through EBUSY under %s: %d retries, %d ms%n", Locales.describe(), retries, ms);
  }

  /**
   * Guards the locale runs: where CI asks for a locale, the JDK's message for the kernel's EBUSY really is in
   * it (not English), so the tests tagged {@code locale} that pass there prove no decision reads that text.
   */
  @Test
  @Tag("locale")
  void theJdkReportsTheKernelsErrorsInTheLocaleOfThisRun() throws Exception {
    Process p = new ProcessBuilder(driver.joinThenExec(cg, List.of("sleep", "30"))).start();
    try {
      Await.until("the process to join the cgroup", Duration.ofSeconds(5), () -> !driver.pids(cg).isEmpty());
      FileSystemException busy = assertThrows(FileSystemException.class, () -> Files.delete(cg));
      System.out.printf("[measure] the JDK's text for EBUSY under %s: %s%n", Locales.describe(), busy.getReason());
      Locales.assertTranslated("Device or resource busy", busy.getReason());
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
