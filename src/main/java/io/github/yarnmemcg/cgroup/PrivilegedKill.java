package io.github.yarnmemcg.cgroup;

import java.io.IOException;

/**
 * SIGKILL for a process that runs as another user than the NodeManager, which a NodeManager that is not root may not
 * signal itself: under Hadoop's LinuxContainerExecutor the containers run as the application's user, and the setuid
 * container-executor, which signals them for Hadoop, does it for the driver too. Installed with
 * {@link CgroupDriver#killOtherUsersThrough}; without one such processes are signalled like the others, and the
 * kernel refuses.
 */
public interface PrivilegedKill {

  /**
   * Sends SIGKILL, as {@code user}, to the process (to its process group when it leads one, as the executor signals
   * a container); a process already gone is not an error.
   */
  void kill(long pid, String user) throws IOException;
}
