package io.github.yarnmemcg.lifecycle;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a YARN application has ended on this node, which is when the page cache its finished containers left
 * stops mattering: the NodeManager has deleted the application's local directories (map outputs, spills,
 * localized job files), freeing their pages without any eviction. The NodeManager adapters answer from those
 * directories; the lifecycle itself knows no Hadoop type.
 */
public interface Applications {

  /** For tools that run apart from any NodeManager (the CLI's sweep): every application has ended. */
  Applications ALL_ENDED = applicationId -> true;

  /** Whether the application's local directories are gone from this node. */
  boolean hasEnded(String applicationId);

  /**
   * The application a container id belongs to, as {@code ApplicationId.toString()} writes it: a container id
   * {@code container_[e<epoch>_]<clusterTimestamp>_<appNumber>_<attempt>_<container>} carries the cluster timestamp
   * and the application number already zero-padded as the application id prints them.
   */
  static String applicationOf(String containerId) {
    Matcher m = CONTAINER.matcher(containerId);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a YARN container id: '" + containerId + "'");
    }
    return "application_" + m.group(1) + "_" + m.group(2);
  }

  /** The shape of {@code ContainerId.toString()}, with the cluster timestamp and application number captured. */
  Pattern CONTAINER = Pattern.compile("container_(?:e\\d+_)?(\\d+)_(\\d+)_\\d+_\\d+");
}
