package io.github.yarnmemcg.bench;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * The floor: what any per-container memcg costs with no policy at all. mkdir and one hard-limit write before
 * the container, rmdir after it, each one system call through the JDK. With {@code syncDrain} the completion
 * also writes {@code memory.force_empty} (v1) or {@code memory.reclaim} (v2) first and waits for it, which
 * shows what a drain on the completion path would cost.
 */
final class RawFloor implements Contender {

  private final CgroupVersion version;
  private final Path root;
  private final boolean syncDrain;

  RawFloor(CgroupVersion version, Path root, boolean syncDrain) throws IOException {
    this.version = version;
    this.root = root;
    this.syncDrain = syncDrain;
    Files.createDirectory(root);
    if (version == CgroupVersion.V2) {
      write(root.resolve("cgroup.subtree_control"), "+memory");
    }
  }

  @Override
  public String name() {
    return syncDrain ? Bench.RAW_SYNC_DRAIN : Bench.RAW;
  }

  @Override
  public Path root() {
    return root;
  }

  @Override
  public Path setUp(String containerId, long limitBytes) throws IOException {
    Path cgroup = root.resolve(containerId);
    Files.createDirectory(cgroup);
    write(cgroup.resolve(version == CgroupVersion.V1 ? "memory.limit_in_bytes" : "memory.max"),
        Long.toString(limitBytes));
    return cgroup;
  }

  @Override
  public CompletableFuture<?> complete(String containerId) throws IOException {
    Path cgroup = root.resolve(containerId);
    if (syncDrain) {
      if (version == CgroupVersion.V1) {
        write(cgroup.resolve("memory.force_empty"), "0");
      } else {
        // memory.reclaim reports EAGAIN when it reclaimed less than asked; the rmdir below happens anyway.
        try {
          write(cgroup.resolve("memory.reclaim"), Files.readString(cgroup.resolve("memory.current")).trim());
        } catch (IOException partial) {
          // counted in the figure like a successful call: the floor does not retry
        }
      }
    }
    Files.delete(cgroup);
    return CompletableFuture.completedFuture(null);
  }

  private static void write(Path file, String value) throws IOException {
    Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
  }
}
