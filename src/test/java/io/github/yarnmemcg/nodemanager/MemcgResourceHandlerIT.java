package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.github.yarnmemcg.lifecycle.CleanupResult;
import io.github.yarnmemcg.testing.RealCgroups;
import io.github.yarnmemcg.testing.Workloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.ResourceHandlerException;
import org.apache.hadoop.yarn.util.ResourceCalculatorProcessTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ResourceHandler contract and the process tree on the real kernel. The NodeManager's Container is a
 * Mockito stand-in here (only its id, resource and token are read); MiniYarnClusterIT covers the real one.
 */
class MemcgResourceHandlerIT {
  private static final long MIB = 1 << 20;

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path files;

  MemcgResourceHandler handler = new MemcgResourceHandler();

  @BeforeEach
  void bootstrap() throws Exception {
    Configuration conf = new Configuration(false);
    conf.set(MemcgConfiguration.ROOT.name(), cgroups.root().toString());
    assertEquals(null, handler.bootstrap(conf));
  }

  @AfterEach
  void teardown() {
    handler.teardown();
  }

  static Container standInContainer(String id, int memoryMb) {
    Container c = mock(Container.class);
    when(c.getContainerId()).thenReturn(ContainerId.fromString(id));
    when(c.getResource()).thenReturn(Resource.newInstance(memoryMb, 1));
    return c;
  }

  @Test
  void preStartAsksToAddThePidToTheContainersCgroupAndPostCompleteRemovesIt() throws Exception {
    String id = "container_1700000000000_0007_01_000002";
    List<PrivilegedOperation> ops = handler.preStart(standInContainer(id, 256));
    Path cgroup = cgroups.root().resolve(id);
    assertEquals(1, ops.size());
    assertEquals(PrivilegedOperation.OperationType.ADD_PID_TO_CGROUP, ops.get(0).getOperationType());
    assertEquals(List.of("cgroups=" + cgroup.resolve("cgroup.procs")), ops.get(0).getArguments());
    assertEquals(256 * MIB, cgroups.driver().stats(cgroup).limit());

    handler.postComplete(ContainerId.fromString(id));
    CleanupResult r = handler.memcgs().complete(id).cleanup().get(30, TimeUnit.SECONDS);
    assertTrue(r.removed(), r.toString());
    assertFalse(Files.exists(cgroup));
  }

  @Test
  void bootstrapTwiceKeepsTheFirstAndAStartWithoutMemoryIsAClearError() throws Exception {
    assertEquals(null, handler.bootstrap(new Configuration(false)));
    assertEquals(cgroups.root(), handler.memcgs().root(), "the second bootstrap changed nothing");
    Path cgroup = cgroups.root().resolve("container_1700000000000_0007_01_000003");
    ResourceHandlerException e = assertThrows(ResourceHandlerException.class,
        () -> handler.preStart(standInContainer("container_1700000000000_0007_01_000003", 0)));
    assertTrue(e.getMessage().contains("container_1700000000000_0007_01_000003"), e.getMessage());
    assertFalse(Files.exists(cgroup), "a refused start leaves nothing behind");
  }

  @Test
  void processTreeReportsAnonNotPageCacheAndNothingForNonContainers() throws Exception {
    String id = "container_1700000000000_0007_01_000004";
    handler.preStart(standInContainer(id, 512));
    Path cgroup = cgroups.root().resolve(id);
    Path input = Workloads.freshFile(files, "input", 64);
    assertEquals(0, new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, Workloads.readNoAtime(input)))
        .inheritIO().start().waitFor());
    Process p = new ProcessBuilder(cgroups.driver().joinThenExec(cgroup, Workloads.holdAnon(32))).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine());
      MemcgProcessTree tree = new MemcgProcessTree(Long.toString(p.pid()));
      tree.updateProcessTree();
      assertEquals(java.util.Optional.of(cgroup), tree.cgroup());
      long rss = tree.getRssMemorySize();
      assertTrue(rss >= 30 * MIB && rss < 60 * MIB, "rss is the 32 MiB anon, not the 64 MiB of page cache: " + rss);
      assertTrue(cgroups.driver().stats(cgroup).file() >= 60 * MIB, "the page cache is there all the same");
      assertTrue(tree.getProcessTreeDump().contains(Long.toString(p.pid())), tree.getProcessTreeDump());
      assertTrue(tree.getProcessTreeDump().contains("limit=" + 512 * MIB), "the dump shows the container's limit: "
          + tree.getProcessTreeDump());
      p.getOutputStream().close();
      assertEquals(0, p.waitFor());
    }
    MemcgProcessTree outside = new MemcgProcessTree(Long.toString(ProcessHandle.current().pid()));
    outside.updateProcessTree();
    assertEquals(ResourceCalculatorProcessTree.UNAVAILABLE, outside.getRssMemorySize(),
        "a process outside any container cgroup is never charged a shared cgroup's memory");
    assertNotEquals(null, new MemcgProcessTree("1").getProcessTreeDump(), "cheap to build, even for pid 1");
  }
}
