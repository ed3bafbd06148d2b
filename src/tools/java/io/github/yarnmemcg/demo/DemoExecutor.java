package io.github.yarnmemcg.demo;

import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.nodemanager.MemcgContainerExecutor;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.exceptions.ConfigurationException;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerStartContext;

/**
 * The plugin's executor, unchanged, telling the demo about each container: its role when it starts, its exit
 * code, and the lifecycle's completion (final figures and background cleanup). The NodeManager creates it by
 * reflection; the demo attaches its listener once the cluster is up, before any container starts.
 */
public class DemoExecutor extends MemcgContainerExecutor {

  /** The environment variable that names a demo container's role. */
  static final String ROLE_ENV = "YARN_MEMCG_DEMO_ROLE";

  private static final Pattern TASK_ATTEMPT = Pattern.compile("attempt_\\d+_\\d+_([mr])_\\d+_\\d+");

  /** What the demo hears, on the NodeManager's threads. */
  interface Listener {
    void starting(String containerId, String role, long limitBytes);

    void exited(String containerId, int exitCode);

    void completed(String containerId, Completion completion);
  }

  private volatile Listener listener;

  void listen(Listener l) {
    this.listener = l;
  }

  @Override
  public int launchContainer(ContainerStartContext ctx) throws IOException, ConfigurationException {
    String id = ctx.getContainer().getContainerId().toString();
    Listener l = listener;
    if (l != null) {
      l.starting(id, role(ctx.getContainer().getLaunchContext()),
          ctx.getContainer().getResource().getMemorySize() << 20);
    }
    int exitCode = super.launchContainer(ctx);
    if (l != null) {
      l.exited(id, exitCode);
    }
    return exitCode;
  }

  @Override
  protected void completed(ContainerId containerId, Completion completion) {
    Listener l = listener;
    if (l != null) {
      l.completed(containerId.toString(), completion);
    }
  }

  /** The demo's own containers say their role in the environment; MapReduce's are told by their command. */
  static String role(ContainerLaunchContext launch) {
    String role = launch.getEnvironment().get(ROLE_ENV);
    if (role != null) {
      return role;
    }
    String command = String.join(" ", launch.getCommands() == null ? List.of() : launch.getCommands());
    if (command.contains("MRAppMaster")) {
      return "MR AppMaster";
    }
    Matcher m = TASK_ATTEMPT.matcher(command);
    if (m.find()) {
      return m.group(1).equals("m") ? "MR map" : "MR reduce";
    }
    return "container";
  }
}
