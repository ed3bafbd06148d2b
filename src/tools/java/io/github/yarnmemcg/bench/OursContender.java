package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import io.github.yarnmemcg.nodemanager.MemcgConfiguration;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.conf.Configuration;

/**
 * Our lifecycle through the public API of {@link ContainerMemcgs}, with the settings a NodeManager gets from
 * an empty yarn-site (only the root and the drain switch set): start before the container's first process,
 * complete after it exits, drain and rmdir in the background.
 */
final class OursContender implements Contender {

  private final ContainerMemcgs memcgs;

  OursContender(CgroupDriver driver, Path root, boolean drain) throws IOException {
    Configuration conf = new Configuration(false);
    conf.set(MemcgConfiguration.ROOT.name(), root.toString());
    conf.setBoolean(MemcgConfiguration.DRAIN_ENABLED.name(), drain);
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
