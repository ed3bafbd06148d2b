package io.github.yarnmemcg.cgroup;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A cgroup file held open by {@link CgroupFs#open}, read again and again from its start: the kernel regenerates a
 * cgroup file on every read from offset 0, and an open file keeps its inode in memory, which the kernel needs to
 * signal the file's changes to an inotify watcher. Close it before the cgroup is removed.
 */
public final class OpenCgroupFile implements Closeable {
  private final Path path;
  private final SeekableByteChannel channel;

  OpenCgroupFile(Path path, SeekableByteChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  public Path path() {
    return path;
  }

  /** The whole file as the kernel generates it now. */
  public synchronized String read() throws IOException {
    channel.position(0);
    return ControlFiles.readToEnd(channel, StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
