package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerState;
import org.junit.jupiter.api.Test;

/**
 * The reconcile's decisions, with the NodeManager's containers and the plugin as Mockito stand-ins (MiniYarnClusterIT
 * resizes a real container through YARN).
 */
class ResizeReconcilerTest {
  static final ContainerId ID = ContainerId.newContainerId(
      ApplicationAttemptId.newInstance(ApplicationId.newInstance(1700000000000L, 1), 1), 2);

  final MemcgPlugin plugin = mock(MemcgPlugin.class);
  final List<Container> containers = new ArrayList<>();
  final ResizeReconciler reconciler = new ResizeReconciler(plugin, () -> containers);

  Container container(int mb, ContainerState state) {
    Container c = mock(Container.class);
    when(c.getContainerId()).thenReturn(ID);
    when(c.getResource()).thenReturn(Resource.newInstance(mb, 1));
    when(c.getContainerState()).thenReturn(state);
    containers.clear();
    containers.add(c);
    return c;
  }

  @Test
  void onlyAChangedSizeOfARunningContainerItStartedIsApplied() throws Exception {
    container(128, ContainerState.RUNNING);
    assertEquals(0, reconciler.reconcile(), "a container it did not start is not its business");
    reconciler.started(ID.toString(), Resource.newInstance(128, 1), true);
    assertEquals(0, reconciler.reconcile(), "no change, no write");
    container(256, ContainerState.LOCALIZING);
    assertEquals(0, reconciler.reconcile(), "not running yet");
    container(256, ContainerState.RUNNING);
    assertEquals(1, reconciler.reconcile());
    verify(plugin).updateContainer(ID.toString(), Resource.newInstance(256, 1), true);
    assertEquals(0, reconciler.reconcile(), "applied once");
    reconciler.forget(ID.toString());
    container(512, ContainerState.RUNNING);
    assertEquals(0, reconciler.reconcile(), "a finished container is forgotten");
    verify(plugin, times(1)).updateContainer(anyString(), any(), anyBoolean());
  }

  @Test
  void aRefusedLoweringIsTriedAgainUntilItIsApplied() throws Exception {
    reconciler.started(ID.toString(), Resource.newInstance(256, 1), true);
    container(128, ContainerState.RUNNING);
    doThrow(new IOException("refusing to lower")).when(plugin).updateContainer(anyString(), any(), anyBoolean());
    assertEquals(0, reconciler.reconcile());
    assertEquals(0, reconciler.reconcile());
    verify(plugin, times(2)).updateContainer(ID.toString(), Resource.newInstance(128, 1), true);
    reset(plugin);
    assertEquals(1, reconciler.reconcile(), "applied once the container holds less");
    assertEquals(0, reconciler.reconcile());
  }

  @Test
  void aReacquiredContainerGetsTheNodeManagersSizeOnTheFirstPass() throws Exception {
    reconciler.reacquired(ID.toString());
    container(128, ContainerState.RUNNING);
    assertEquals(1, reconciler.reconcile());
    verify(plugin).updateContainer(ID.toString(), Resource.newInstance(128, 1), true);
    verify(plugin, never()).startContainer(anyString(), any(), anyBoolean());
  }
}
