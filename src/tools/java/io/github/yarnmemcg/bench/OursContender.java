package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import io.github.yarnmemcg.nodemanager.MemcgKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.conf.Configuration;

/**
 * Our lifecycle through the public API of {@link ContainerMemcgs}, with the settings a NodeManager gets from
 * an empty yarn-site (only the root, the drain switch and drain.when=container-exit set): start before the
 * container's first process,
 * complete after it exits, drain and rmdir in the background.
 */
final class OursContender implements Contender {

  private final ContainerMemcgs memcgs;

  OursContender(CgroupDriver driver, Path root, boolean drain) throws IOException {
    Configuration conf = new Configuration(false);
    conf.set(MemcgKeys.ROOT.name(), root.toString());
    conf.setBoolean(MemcgKeys.DRAIN_ENABLED.name(), drain);
    // The bench times the drain path itself: drained at exit, as no application signal exists here (the retire
    // policy, the default before Linux 7.1, is measured by RetireWatchCost and RetireIT).
    conf.set(MemcgKeys.DRAIN_WHEN.name(), "container-exit");
    memcgs = new ContainerMemcgs(driver, root, MemcgConfiguration.from(conf).lifecycle());
    memcgs.bootstrap();
  }

  ContainerMemcgs memcgs() {
    return memcgs;
  }

  @Override
  public String name() {
    return Bench.OURS;
  }

  @Override
  public Path root() {
    return memcgs.root();
  }

  @Override
  public Path setUp(String containerId, long limitBytes) throws IOException {
    return memcgs.start(containerId, limitBytes, true);
  }

  @Override
  public CompletableFuture<?> complete(String containerId) {
    return memcgs.complete(containerId).cleanup();
  }

  @Override
  public void close() {
    memcgs.close();
  }
}
