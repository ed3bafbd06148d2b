package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.OrphanRule;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.exceptions.ConfigurationException;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.ContainerDiagnosticsUpdateEvent;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.localizer.ContainerLocalizer;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerReacquisitionContext;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerSignalContext;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerStartContext;
import org.apache.hadoop.yarn.server.nodemanager.executor.DeletionAsUserContext;
import org.apache.hadoop.yarn.server.nodemanager.recovery.NMStateStoreService;
import org.apache.hadoop.yarn.server.nodemanager.recovery.NMStateStoreService.RecoveredContainerState;
import org.apache.hadoop.yarn.server.nodemanager.recovery.NMStateStoreService.RecoveredContainerStatus;
import org.apache.hadoop.yarn.server.nodemanager.recovery.RecoveryIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DefaultContainerExecutor} with every container in its own memory cgroup, enabled with
 * {@code yarn.nodemanager.container-executor.class}. The launch command joins the container's cgroup before
 * the launch script runs, so the script and all it forks are inside; SIGKILL also reaches processes that left
 * the container's process group; a kernel OOM kill is put in the container's diagnostics as it happens (or when the
 * launch or reacquisition returns, if not seen before), and the cgroup is cleaned in the background; the deletion of
 * an application's local dirs tells the cgroups waiting for that application at once; a resize by YARN reaches the
 * cgroup through a reconcile every {@code resize.interval-ms}.
 */
public class MemcgContainerExecutor extends DefaultContainerExecutor {

  private static final Logger LOG = LoggerFactory.getLogger(MemcgContainerExecutor.class);

  private MemcgPlugin plugin;
  private Context nmContext;
  private ResizeReconciler resizes;
  private ScheduledExecutorService resizeTimer;
  private OomOrder oomOrder;

  @Override
  public void init(Context context) throws IOException {
    super.init(context);
    this.nmContext = context;
    if (plugin == null) {
      plugin = MemcgPlugin.start(getConf());
      plugin.watchOomKills(kill -> addDiagnostics(ContainerId.fromString(kill.containerId()), kill.message()));
      plugin.memcgs().elastic().ifPresent(guard -> guard.listener(
          (id, message) -> addDiagnostics(ContainerId.fromString(id), message)));
      int own = OomOrder.own();
      oomOrder = plugin.settings().oomOrder().atLeast(own);
      LOG.info("yarn-memcg: containers start with {} (the NodeManager's own is {})", oomOrder, own);
    }
    // The state store is open before the executor starts, so the containers to be reacquired are known now.
    Set<String> reacquired = runningInStateStore(context.getNMStateStore());
    plugin.sweepAtStart(OrphanRule.claimedBy(reacquired::contains));
    plugin.sweepPeriodically(
        OrphanRule.claimedBy(id -> context.getContainers().containsKey(ContainerId.fromString(id))));
    resizes = new ResizeReconciler(plugin, () -> context.getContainers().values());
    Duration every = plugin.settings().resizeInterval();
    if (!every.isZero() && resizeTimer == null) {
      resizeTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "yarn-memcg-resize");
        t.setDaemon(true);
        return t;
      });
      resizeTimer.scheduleWithFixedDelay(this::reconcileSizes, every.toNanos(), every.toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  private void reconcileSizes() {
    try {
      resizes.reconcile();
    } catch (RuntimeException e) {
      LOG.warn("yarn-memcg: a resize reconcile pass failed: {}", e.toString());
    }
  }

  /** Containers the NodeManager will reacquire after a restart: their processes may still run. */
  private static Set<String> runningInStateStore(NMStateStoreService store) throws IOException {
    Set<String> ids = new HashSet<>();
    if (store == null || !store.canRecover()) {
      return ids;
    }
    try (RecoveryIterator<RecoveredContainerState> it = store.getContainerStateIterator()) {
      while (it.hasNext()) {
        RecoveredContainerState rcs = it.next();
        if (rcs.getStatus() == RecoveredContainerStatus.LAUNCHED
            || rcs.getStatus() == RecoveredContainerStatus.PAUSED) {
          ids.add(rcs.getContainerId().toString());
        }
      }
    }
    return ids;
  }

  /** The lifecycle this executor drives. */
  public ContainerMemcgs memcgs() {
    return plugin().memcgs();
  }

  private MemcgPlugin plugin() {
    if (plugin == null) {
      throw new IllegalStateException("MemcgContainerExecutor used before init");
    }
    return plugin;
  }

  @Override
  public int launchContainer(ContainerStartContext ctx) throws IOException, ConfigurationException {
    Container container = ctx.getContainer();
    boolean guaranteed = MemcgPlugin.isGuaranteed(container.getContainerTokenIdentifier());
    plugin().startContainer(container.getContainerId().toString(), container.getResource(), guaranteed);
    if (resizes != null) {
      resizes.started(container.getContainerId().toString(), container.getResource(), guaranteed);
    }
    try {
      return super.launchContainer(ctx);
    } finally {
      finished(ctx.getContainer().getContainerId());
    }
  }

  /** Prefixes the launch with a join of the container's cgroup; the join fails the launch if the kernel refuses. */
  @Override
  protected String[] getRunCommand(String command, String groupId, String userName,
      org.apache.hadoop.fs.Path pidFile, Configuration config, Resource resource) {
    String[] run = super.getRunCommand(command, groupId, userName, pidFile, config, resource);
    ContainerMemcgs memcgs = memcgs();
    List<String> ordered = OomOrder.thenExec(oomOrder.forContainer(isGuaranteed(groupId)), Arrays.asList(run));
    return memcgs.driver().joinThenExec(memcgs.cgroupOf(groupId), ordered).toArray(new String[0]);
  }

  /** The container's execution type as its token says; guaranteed when the NodeManager does not know it. */
  private boolean isGuaranteed(String containerId) {
    Container container = null;
    if (nmContext != null) {
      try {
        container = nmContext.getContainers().get(ContainerId.fromString(containerId));
      } catch (IllegalArgumentException e) {
        // Not a container id: a launch of something else through this executor.
      }
    }
    return container == null || MemcgPlugin.isGuaranteed(container.getContainerTokenIdentifier());
  }

  @Override
  public boolean signalContainer(ContainerSignalContext ctx) throws IOException {
    if (ctx.getSignal() == Signal.KILL && ctx.getContainer() != null) {
      try {
        memcgs().kill(ctx.getContainer().getContainerId().toString());
      } catch (IOException e) {
        LOG.warn("{}: cannot kill through the memory cgroup: {}", ctx.getContainer().getContainerId(),
            e.getMessage());
      }
    }
    return super.signalContainer(ctx);
  }

  @Override
  public int reacquireContainer(ContainerReacquisitionContext ctx) throws IOException, InterruptedException {
    // The cgroup and its limits survive a NodeManager restart; it is cleaned when the container ends.
    LOG.info("{}: reacquired, memcg {}", ctx.getContainerId(), memcgs().cgroupOf(ctx.getContainerId().toString()));
    memcgs().watchOomKills(ctx.getContainerId().toString());
    Container reacquired = ctx.getContainer();
    if (reacquired != null) {
      memcgs().reacquired(ctx.getContainerId().toString(), MemcgPlugin.memoryBytes(reacquired.getResource()),
          MemcgPlugin.isGuaranteed(reacquired.getContainerTokenIdentifier()));
    }
    if (resizes != null) {
      resizes.reacquired(ctx.getContainerId().toString());
    }
    boolean stopping = false;
    try {
      return super.reacquireContainer(ctx);
    } catch (InterruptedException e) {
      // The NodeManager is stopping (its launcher interrupts reacquisitions): the container still runs and is
      // reacquired again after the restart, as Hadoop's own RecoveredContainerLaunch assumes. Nothing completed.
      stopping = true;
      throw e;
    } finally {
      if (!stopping) {
        finished(ctx.getContainerId());
      }
    }
  }

  /**
   * A launched or reacquired container's processes have exited (its launch or reacquisition has returned, or
   * failed before forking): the same moment in every Hadoop line, whereas {@code postComplete} exists only
   * from Hadoop 3.4 on (YARN-11196). The NodeManager still knows the container, so an OOM kill reaches its
   * diagnostics. Idempotent, like {@link ContainerMemcgs#complete}.
   */
  private void finished(ContainerId containerId) {
    if (resizes != null) {
      resizes.forget(containerId.toString());
    }
    Completion completion = memcgs().complete(containerId.toString());
    completion.oomKill().ifPresent(message -> reportOomKill(containerId, message));
    completed(containerId, completion);
  }

  /**
   * Called after each container completion with what the lifecycle saw: the final figures and the background
   * cleanup. Does nothing here; a tool that reports on every container (the demo) overrides it.
   */
  protected void completed(ContainerId containerId, Completion completion) {
  }

  private void reportOomKill(ContainerId containerId, String message) {
    LOG.info("{}: {}", containerId, message);
    addDiagnostics(containerId, message);
  }

  /** Adds to the container's diagnostics, which its application sees, while the NodeManager knows the container. */
  private void addDiagnostics(ContainerId containerId, String message) {
    Container container = nmContext == null ? null : nmContext.getContainers().get(containerId);
    if (container != null) {
      container.handle(new ContainerDiagnosticsUpdateEvent(containerId, message));
    }
  }

  /**
   * The NodeManager deletes an application's {@code usercache/<user>/appcache/<app>} when the application has ended
   * on this node (one call per local dir): its finished containers' cgroups, waiting for that, look again now.
   */
  @Override
  public void deleteAsUser(DeletionAsUserContext ctx) throws IOException, InterruptedException {
    try {
      super.deleteAsUser(ctx);
    } finally {
      org.apache.hadoop.fs.Path dir = ctx.getSubDir();
      if (plugin != null && dir != null && dir.getParent() != null
          && ContainerLocalizer.APPCACHE.equals(dir.getParent().getName())) {
        plugin.memcgs().applicationCleaned(dir.getName());
      }
    }
  }

  @Override
  public void stop() {
    if (resizeTimer != null) {
      resizeTimer.shutdownNow();
    }
    if (plugin != null) {
      plugin.close();
    }
    super.stop();
  }
}
