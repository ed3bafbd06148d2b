package io.github.yarnmemcg.nodemanager;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Which of LinuxContainerExecutor's container runtimes keep a container in the cgroup the plugin made for it. The
 * default and javasandbox runtimes have the setuid container-executor write the container's pid into the file the
 * resources handler named, so they do. Docker and runc start the container's processes from their own daemon or
 * runtime and take its cgroup from Hadoop's cgroup handler ({@code --cgroup-parent}); with Hadoop's handler off, as
 * it is with the plugin, they would put the container under the container engine's default cgroup, with no limit of
 * the plugin's and without a word. Pluggable runtimes are unknown code. So all but the two are refused at start.
 */
public final class ContainerRuntimes {
  private ContainerRuntimes() {}

  /** The runtimes that join the cgroup the resources handler names (lower case, as operators write them). */
  public static final Set<String> KEEP_THE_CGROUP =
      Collections.unmodifiableSet(new TreeSet<>(Arrays.asList("default", "javasandbox")));

  /** The allowed runtimes of {@code yarn.nodemanager.runtime.linux.allowed-runtimes} that would escape. */
  public static List<String> escaping(Configuration conf) {
    List<String> out = new ArrayList<>();
    for (String runtime : conf.getTrimmedStrings(YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES,
        YarnConfiguration.DEFAULT_LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES)) {
      // Hadoop compares them upper-cased, so "Docker" is docker.
      if (!KEEP_THE_CGROUP.contains(runtime.toLowerCase(Locale.ROOT))) {
        out.add(runtime);
      }
    }
    return out;
  }

  /** Why a NodeManager with these runtimes allowed is refused, and what to change. */
  public static String refusal(Configuration conf, List<String> escaping) {
    return YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES + "='"
        + String.join(",", conf.getTrimmedStrings(YarnConfiguration.LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES,
            YarnConfiguration.DEFAULT_LINUX_CONTAINER_RUNTIME_ALLOWED_RUNTIMES))
        + "' allows " + String.join(", ", escaping) + ": such a runtime starts the container's processes itself and"
        + " places them with Hadoop's own cgroup handler, which is off with yarn-memcg, so they would run outside their"
        + " memory cgroup with no limit. Allow only " + String.join(" and ", KEEP_THE_CGROUP)
        + ", or run those containers on nodes with Hadoop's own cgroup handlers instead of yarn-memcg";
  }
}
