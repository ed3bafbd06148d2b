package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.KeyValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Bytes that this JVM and its descendants made the storage layer read, from {@code /proc/<pid>/io}'s
 * {@code read_bytes}: counted when a read is submitted to a block device (a read, a readahead, a page fault on a
 * mapped file) in the context of the process, and, once a process is reaped, added to its parent's figure (as its
 * CPU times are). With a MiniYARNCluster in this JVM that is everything a test's workload read from disk: the
 * NodeManager's shuffle serving, and every container process (they are its descendants), but nothing another
 * process of the machine read, unlike {@link Disk}'s counters of the whole device. What the kernel reads on its own
 * behalf (none of a test's workload) is not in it either.
 *
 * <p>Live descendants are read after their parents (the JDK lists them breadth-first): one reaped in between is
 * missed, not counted twice.
 */
public record TreeIo(long readBytes, long processes) {

  /** This JVM's figure (with its reaped descendants') plus each live descendant's. */
  public static TreeIo now() throws IOException {
    ProcessHandle self = ProcessHandle.current();
    long read = readBytes(self.pid());
    long n = 1;
    List<ProcessHandle> all = self.descendants().toList();
    for (ProcessHandle p : all) {
      long r = readBytes(p.pid());
      if (r >= 0) {
        read += r;
        n++;
      }
    }
    return new TreeIo(read, n);
  }

  public TreeIo minus(TreeIo before) {
    return new TreeIo(readBytes - before.readBytes, processes);
  }

  /** The process's read_bytes, or -1 once it is gone. */
  private static long readBytes(long pid) throws IOException {
    String text;
    try {
      text = Files.readString(Path.of("/proc", Long.toString(pid), "io"));
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      // ESRCH while the process exits: /proc returns an error for a task being torn down.
      if (Files.exists(Path.of("/proc", Long.toString(pid)))) {
        throw e;
      }
      return -1;
    }
    Map<String, Long> v = KeyValues.parse(text.replace(":", ""));
    return v.getOrDefault("read_bytes", 0L);
  }

  @Override
  public String toString() {
    return String.format("this JVM's process tree read %.1f MiB", readBytes / (double) (1 << 20));
  }
}
