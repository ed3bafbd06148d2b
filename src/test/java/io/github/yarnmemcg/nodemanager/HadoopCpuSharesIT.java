package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.github.yarnmemcg.lifecycle.CpuShare;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ExecutionType;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.ContainerTokenIdentifier;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.CGroupsHandler;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources.CpuResourceHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our CPU shares against Hadoop 3.5.0's own cgroup v2 CPU handler, run on the same yarn-site settings: Hadoop's
 * {@code CGroupsV2CpuResourceHandlerImpl} (reached by name, as older Hadoop lines have none) writes through a recording
 * stand-in for its cgroup handler, and what it wrote for the root and each container is compared with ours. An IT, so
 * that it runs against Hadoop 3.5.0 only.
 */
class HadoopCpuSharesIT {

  @TempDir
  Path cgroupDir;

  /** What Hadoop's handler wrote, by cgroup ("" is YARN's root) and parameter. */
  final Map<String, String> written = new HashMap<>();

  CpuResourceHandler hadoops(Configuration conf) throws Exception {
    CGroupsHandler cgroups = mock(CGroupsHandler.class);
    when(cgroups.getPathForCGroup(any(), anyString())).thenReturn(cgroupDir.toString());
    when(cgroups.getCGroupParam(any(), anyString(), anyString())).thenAnswer(a -> written.getOrDefault(
        a.getArgument(1) + "/" + a.getArgument(2), "max 100000"));
    doAnswer(a -> written.put(a.getArgument(1) + "/" + a.getArgument(2), a.getArgument(3)))
        .when(cgroups).updateCGroupParam(any(), anyString(), anyString(), anyString());
    Class<?> impl = Class.forName("org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.resources."
        + "CGroupsV2CpuResourceHandlerImpl");
    Constructor<?> c = impl.getDeclaredConstructor(CGroupsHandler.class);
    c.setAccessible(true);
    CpuResourceHandler handler = (CpuResourceHandler) c.newInstance(cgroups);
    handler.bootstrap(conf);
    return handler;
  }

  static Container container(ContainerId id, int vcores, boolean guaranteed) {
    Container c = mock(Container.class);
    when(c.getContainerId()).thenReturn(id);
    when(c.getResource()).thenReturn(Resource.newInstance(1024, vcores));
    ContainerTokenIdentifier token = mock(ContainerTokenIdentifier.class);
    when(token.getExecutionType()).thenReturn(guaranteed ? ExecutionType.GUARANTEED : ExecutionType.OPPORTUNISTIC);
    when(c.getContainerTokenIdentifier()).thenReturn(token);
    return c;
  }

  static String cpuMax(CpuShare s) {
    return (s.capped() ? Long.toString(s.quotaMicros()) : "max") + " " + s.periodMicros();
  }

  @Test
  void weightsAndCapsAreWhatHadoopsV2HandlerWritesForTheSameSettings() throws Exception {
    ApplicationAttemptId attempt = ApplicationAttemptId.newInstance(ApplicationId.newInstance(1700000000000L, 1), 1);
    int compared = 0;
    for (int percent : List.of(100, 75, 50, 10)) {
      for (boolean strict : List.of(false, true)) {
        Configuration conf = new YarnConfiguration();
        conf.setInt(YarnConfiguration.NM_VCORES, 8);
        conf.setInt(YarnConfiguration.NM_RESOURCE_PERCENTAGE_PHYSICAL_CPU_LIMIT, percent);
        conf.setBoolean(YarnConfiguration.NM_LINUX_CONTAINER_CGROUPS_STRICT_RESOURCE_USAGE, strict);
        written.clear();
        CpuResourceHandler hadoop = hadoops(conf);
        HadoopCpuShares ours = HadoopCpuShares.from(conf);
        String setting = percent + "% of the CPUs, strict " + strict;
        assertEquals(written.getOrDefault("/max", "max 100000"),
            ours.forAllContainers().map(HadoopCpuSharesIT::cpuMax).orElse("max 100000"), "root cap, " + setting);
        for (int vcores : List.of(1, 2, 3, 8, 99, 100, 101, 200)) {
          for (boolean guaranteed : List.of(true, false)) {
            ContainerId id = ContainerId.newContainerId(attempt, ++compared);
            hadoop.updateContainer(container(id, vcores, guaranteed));
            CpuShare share = ours.forContainer(vcores, guaranteed);
            String what = setting + ", " + vcores + " vcores, " + (guaranteed ? "guaranteed" : "opportunistic");
            assertEquals(written.get(id + "/weight"), Integer.toString(share.weight()), "cpu.weight, " + what);
            assertEquals(written.getOrDefault(id + "/max", "max 100000"), cpuMax(share), "cpu.max, " + what);
          }
        }
      }
    }
    System.out.println("[measure] CPU shares equal to Hadoop 3.5.0's CGroupsV2CpuResourceHandlerImpl for " + compared
        + " containers (4 CPU percentages x strict or not x 8 vcore counts x guaranteed or opportunistic)");
  }

  @Test
  void theOneDepartureIsAContainerWithoutVcores() throws Exception {
    Configuration conf = new YarnConfiguration();
    conf.setInt(YarnConfiguration.NM_VCORES, 8);
    CpuResourceHandler hadoop = hadoops(conf);
    ContainerId id = ContainerId.newContainerId(
        ApplicationAttemptId.newInstance(ApplicationId.newInstance(1700000000000L, 1), 1), 1);
    hadoop.updateContainer(container(id, 0, true));
    assertEquals("0", written.get(id + "/weight"), "Hadoop writes 0, which the kernel refuses (1 to 10000)");
    CpuShare ours = HadoopCpuShares.from(conf).forContainer(0, true);
    assertEquals(1, ours.weight(), "the lowest weight the kernel takes");
    assertFalse(ours.capped());
    assertTrue(HadoopCpuShares.from(conf).toString().contains("8 vcores"));
  }
}
