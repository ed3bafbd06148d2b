package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.Await;
import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Elastic mode on the real kernel: containers with no limit of their own share a node limit, and when together they
 * reach it the one YARN would choose dies (opportunistic before guaranteed, over its request before within, newer
 * before older), the others live, and the victim's message says why. The control runs the same containers with the
 * node limit alone: the kernel's OOM killer then takes the largest, which is not YARN's choice.
 */
@Tag("v2-stage")
@Tag("v1-guest")
// CI time: on v2 the guard's paths differ by the kill interface, cgroup.kill (6.12) or freeze then SIGKILL (5.10);
// 6.1 and 7.3 add nothing the guard reads differently.
@Tag("not-v2-6.1")
@Tag("not-v2-7.3")
class ElasticIT {
  private static final long NODE_LIMIT = 512 * ONE_MB;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  ContainerMemcgs memcgs;
  NodeOomGuard guard;
  final List<Process> processes = new ArrayList<>();
  final Map<String, String> killed = new ConcurrentHashMap<>();

  @AfterEach
  void close() {
    processes.forEach(Process::destroyForcibly);
    if (memcgs != null) {
      memcgs.close();
    }
  }

  /** One container of the scenario: its request and type, and the anonymous memory it holds. */
  record Spec(String name, long requestMib, boolean guaranteed, int holdMib) {}

  /** What became of each container: alive (holding its memory) or dead, and the guard's message if it chose one. */
  record Outcome(Map<String, Boolean> alive, String message) {
    String dead() {
      return alive.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).findFirst().orElse("none");
    }
  }

  /**
   * Starts the containers in order, each holding its memory once the previous ones hold theirs; the last one pushes
   * the node past the guard's threshold. With {@code guarded} false the guard is never started: the containers still
   * have no limit of their own, and the kernel alone acts at the node limit.
   */
  Outcome run(String scenario, boolean guarded, Spec... specs) throws Exception {
    memcgs = Lifecycles.open(cgroups, true);
    memcgs.limitNode(NODE_LIMIT);
    guard = new NodeOomGuard(cgroups.driver(), cgroups.root(), NODE_LIMIT, "node-limit-mb", memcgs::cgroupOf,
        Duration.ofSeconds(5));
    memcgs.elastic(guard);
    if (guarded) {
      guard.listener(killed::put);
      guard.start();
      // What watching costs: one look at the root when nothing is to be done, as the guard takes it 10 times a second.
      long t = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        guard.check();
      }
      System.out.printf("[measure] elastic %s: one look of the guard with nothing to do %.0f us%n", scenario,
          (System.nanoTime() - t) / 200 / 1e3);
    }
    Map<String, String> ids = new LinkedHashMap<>();
    Map<String, Process> byName = new LinkedHashMap<>();
    // When the containers' anonymous memory first passed the guard's threshold, read every 10 ms, for the latency.
    long threshold = NodeOomGuard.threshold(NODE_LIMIT);
    java.util.concurrent.atomic.AtomicLong crossed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      try {
        if (crossed.get() == 0 && cgroups.driver().unreclaimable(cgroups.root()) >= threshold) {
          crossed.set(System.nanoTime());
        }
      } catch (Exception ignored) {
        // the root is read again in 10 ms
      }
    }, 0, 10, TimeUnit.MILLISECONDS);
    java.util.concurrent.atomic.AtomicLong died = new java.util.concurrent.atomic.AtomicLong();
    int n = 0;
    for (Spec s : specs) {
      String id = Lifecycles.containerId(++n);
      ids.put(s.name(), id);
      Path cg = memcgs.start(id, s.requestMib() * ONE_MB, s.guaranteed());
      Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cg, Workloads.holdAnon(s.holdMib())))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      processes.add(p);
      byName.put(s.name(), p);
      p.onExit().thenRun(() -> died.compareAndSet(0, System.nanoTime()));
      long t0 = System.nanoTime();
      CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
        try {
          return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (Exception e) {
          return null;
        }
      });
      // Ready, or killed on the way (the kernel's choice or the guard's may be this one).
      String line = ready.get(60, TimeUnit.SECONDS);
      if (n == specs.length) {
        Await.until(scenario + ": one container killed", Duration.ofSeconds(30),
            () -> byName.values().stream().anyMatch(q -> !q.isAlive()));
        System.out.printf("[measure] elastic %s: the last container %s after %.0f ms%n", scenario,
            "ready".equals(line) ? "got its memory" : "died", (System.nanoTime() - t0) / 1e6);
      } else {
        assertEquals("ready", line, scenario + ": " + s);
      }
    }
    Thread.sleep(500); // Nothing more dies: one victim is enough.
    sampler.shutdownNow();
    long rootPeak = cgroups.driver().stats(cgroups.root()).peak();
    // In the control the kernel may kill between two readings, before one saw the threshold passed.
    System.out.printf("[measure] elastic %s%s: the victim's processes were gone %s after the containers passed"
        + " %d MiB of anonymous memory and shmem; the root's peak %s of its %d MiB limit%n", scenario,
        guarded ? "" : " (control)", crossed.get() == 0 ? "(not seen passed)"
            : String.format("%.0f ms", (died.get() - crossed.get()) / 1e6), threshold / ONE_MB,
        rootPeak < 0 ? "(not kept by this kernel)" : rootPeak / ONE_MB + " MiB",
        NODE_LIMIT / ONE_MB);
    Map<String, Boolean> alive = new LinkedHashMap<>();
    String message = null;
    for (Map.Entry<String, Process> e : byName.entrySet()) {
      alive.put(e.getKey(), e.getValue().isAlive());
      message = killed.getOrDefault(ids.get(e.getKey()), message);
    }
    Outcome o = new Outcome(alive, message);
    System.out.println("[measure] elastic " + scenario + (guarded ? "" : " (control: the kernel alone)") + ": killed "
        + o.dead() + "; " + alive + (message == null ? "" : "; " + message));
    for (Map.Entry<String, String> e : ids.entrySet()) {
      memcgs.complete(e.getValue());
    }
    return o;
  }

  static void assertOnlyDead(Outcome o, String victim) {
    assertEquals(1, o.alive().values().stream().filter(a -> !a).count(), "exactly one container killed: " + o);
    assertEquals(victim, o.dead(), o.toString());
  }

  @Test
  void opportunisticGoesBeforeGuaranteedEvenWhenSmaller() throws Exception {
    Outcome o = run("opportunistic vs guaranteed", true,
        new Spec("guaranteed-old", 256, true, 200),
        new Spec("opportunistic", 256, false, 100),
        new Spec("guaranteed-new", 256, true, 200));
    assertOnlyDead(o, "opportunistic");
    assertTrue(o.message().contains("opportunistic (opportunistic containers go first)")
        && o.message().contains("node limit 512 MiB (node-limit-mb)"), o.message());
  }

  @Test
  void overItsRequestGoesBeforeALargerContainerWithinItsRequest() throws Exception {
    Outcome o = run("over vs within", true,
        new Spec("over", 64, true, 130),
        new Spec("within-largest", 512, true, 250),
        new Spec("within-new", 512, true, 150));
    assertOnlyDead(o, "over");
    assertTrue(o.message().contains("over its request"), o.message());
  }

  @Test
  void withinTheirRequestsTheNewestGoes() throws Exception {
    Outcome o = run("newest", true,
        new Spec("oldest-largest", 512, true, 250),
        new Spec("middle", 512, true, 100),
        new Spec("newest", 512, true, 150));
    assertOnlyDead(o, "newest");
    assertTrue(o.message().contains("the most recently started of 3 such"), o.message());
  }

  /** The control: the same containers as the over-vs-within case with no guard; the kernel kills the largest. */
  @Test
  void controlWithoutTheGuardTheKernelKillsTheLargest() throws Exception {
    Outcome o = run("over vs within", false,
        new Spec("over", 64, true, 130),
        new Spec("within-largest", 512, true, 250),
        new Spec("within-new", 512, true, 150));
    assertEquals("within-largest", o.dead(), "the kernel's choice differs from YARN's: " + o);
  }
}
