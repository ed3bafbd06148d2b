package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.cgroup.PrivilegedKill;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperationException;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperationExecutor;

/**
 * SIGKILL for another user's process through the setuid container-executor, the way Hadoop's LinuxContainerExecutor
 * signals a container (its default runtime's signal operation): the executor switches to the process's user and
 * signals the process group the pid leads, or the process alone. A NodeManager that is not root needs it on cgroup
 * v1, where no kernel interface kills a cgroup's processes on behalf of whoever may write to it, for a container's
 * leftover processes and for the victims of the node's OOM guard. The executor refuses root and, by its
 * configuration, users below {@code min.user.id} or banned: such a process stays, and the cleanup says so.
 */
final class ContainerExecutorKill implements PrivilegedKill {

  private final PrivilegedOperationExecutor executor;

  ContainerExecutorKill(Configuration conf) {
    this.executor = PrivilegedOperationExecutor.getInstance(conf);
  }

  @Override
  public void kill(long pid, String user) throws IOException {
    PrivilegedOperation signal = new PrivilegedOperation(PrivilegedOperation.OperationType.SIGNAL_CONTAINER);
    // The run-as user (whom the executor becomes) and the user: the process's owner for both.
    signal.appendArgs(user, user,
        Integer.toString(PrivilegedOperation.RunAsUserCommand.SIGNAL_CONTAINER.getValue()),
        Long.toString(pid), Integer.toString(ContainerExecutor.Signal.KILL.getValue()));
    // A process gone meanwhile is an expected outcome, not worth the executor's warning with its whole argv.
    signal.disableFailureLogging();
    try {
      executor.executePrivilegedOperation(signal, false);
    } catch (PrivilegedOperationException e) {
      if (e.getExitCode() == PrivilegedOperation.ResultCode.INVALID_CONTAINER_PID.getValue()) {
        return;
      }
      throw new IOException("container-executor could not SIGKILL process " + pid + " of user " + user
          + " (exit code " + e.getExitCode() + "): " + e.getErrorOutput(), e);
    }
  }
}
