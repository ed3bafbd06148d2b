package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.Applications;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.nodemanager.LocalDirApplications;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The node and settings a command works on: the yarn-site.xml given with {@code --conf} (or the one on the
 * classpath, as {@code hadoop classpath} puts the node's configuration directory there), with {@code --root}
 * and {@code --mode} overriding the plugin's own keys. The settings are validated exactly as the NodeManager
 * validates them, so a command never works on a root the plugin would refuse.
 *
 * @param conf the Hadoop configuration read
 * @param yarnSite where yarn-site.xml came from, or empty when none was found (plugin defaults apply)
 */
public final class Target {
  private final Configuration conf;
  private final Optional<String> yarnSite;

  public Target(Configuration conf, Optional<String> yarnSite) {
    this.conf = conf;
    this.yarnSite = yarnSite;
  }

  public Configuration conf() {
    return conf;
  }

  /** Which applications have ended on this node, from the NodeManager's local dirs in the settings. */
  public Applications applications() {
    return new LocalDirApplications(LocalDirApplications.localDirs(conf));
  }

  public Optional<String> yarnSite() {
    return yarnSite;
  }


  /** Builds the target from the common options; an unreadable {@code --conf} file is an error naming it. */
  public static Target from(CommandLine cmd) throws IOException {
    Configuration conf;
    Optional<String> source;
    if (cmd.hasOption("conf")) {
      Path file = Paths.get(cmd.getOptionValue("conf"));
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IOException("--conf " + file + ": not a readable file");
      }
      // Hadoop's defaults under the file, as the NodeManager reads it: ${hadoop.tmp.dir} in the default local dirs,
      // and every key the file leaves out, take the values the NodeManager would. Not the classpath's site files.
      conf = new Configuration(false);
      conf.addResource("core-default.xml");
      conf.addResource("yarn-default.xml");
      conf.addResource(new org.apache.hadoop.fs.Path(file.toAbsolutePath().toString()));
      source = Optional.of(file.toString());
    } else {
      conf = new YarnConfiguration();
      URL onClasspath = conf.getResource(YarnConfiguration.YARN_SITE_CONFIGURATION_FILE);
      source = Optional.ofNullable(onClasspath).map(URL::toString);
    }
    java.util.Properties defined = cmd.getOptionProperties("D");
    for (String key : defined.stringPropertyNames()) {
      conf.set(key, defined.getProperty(key), "-D");
    }
    if (cmd.hasOption("root")) {
      conf.set(MemcgKeys.ROOT.name(), cmd.getOptionValue("root"));
    }
    if (cmd.hasOption("mode")) {
      conf.set(MemcgKeys.MODE.name(), cmd.getOptionValue("mode"));
    }
    try {
      // Forces the file to be parsed now, so a malformed XML is reported here with its name.
      conf.size();
    } catch (RuntimeException e) {
      throw new IOException("cannot read " + source.orElse("the configuration") + ": " + e.getMessage(), e);
    }
    return new Target(conf, source);
  }

  /** The plugin's settings; throws the NodeManager's own message naming the key and value when one is bad. */
  public MemcgConfiguration settings() {
    return MemcgConfiguration.from(conf);
  }

  /** The memory controller the settings select on this node. */
  public MemoryMount mount() throws IOException {
    return MemoryMount.discover(settings().mode());
  }

  /** The root, checked as the NodeManager checks it: inside the mount, no symbolic link, on cgroupfs. */
  public Path root(MemoryMount mount) throws IOException {
    return settings().resolveRoot(mount);
  }

  /**
   * The lifecycle on the configured root, for sweeping: always draining (that is what a sweep is for) with the
   * budgets of the settings, and a reaper that gives up once they are spent because a command must end.
   */
  public ContainerMemcgs lifecycle() throws IOException {
    MemoryMount mount = mount();
    return new ContainerMemcgs(CgroupDrivers.forMount(mount), root(mount), forCommand(settings().lifecycle()));
  }

  /**
   * A command's lifecycle settings from the node's: drained at once (at container exit), whatever the node's
   * drain.when says, with the node's timeouts, and a reaper that gives up once they are spent.
   */
  public static LifecycleSettings forCommand(LifecycleSettings node) {
    return LifecycleSettings.builder().drainTimeout(node.drainTimeout()).deleteTimeout(node.deleteTimeout())
        .killTimeout(node.killTimeout()).softLimitPercent(node.softLimitPercent()).swappiness(node.swappiness())
        .cleanupThreads(node.cleanupThreads())
        .reaperGiveUp(node.drainTimeout().plus(node.deleteTimeout()).plus(node.killTimeout())).build();
  }
}
