package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.commons.io.IOUtils;

/** What both cgroup versions do the same way: file I/O without following links, pids, kill, rmdir, drain loop. */
abstract class AbstractCgroupDriver implements CgroupDriver {

  private final MemoryMount mount;

  AbstractCgroupDriver(MemoryMount mount) {
    this.mount = mount;
  }

  @Override
  public MemoryMount mount() {
    return mount;
  }

  /** One reclaim call; EAGAIN/EBUSY-style partial results must not throw. */
  abstract void drainStep(Path cgroup, MemoryStats current) throws IOException;

  @Override
  public boolean create(Path cgroup) throws IOException {
    try {
      Files.createDirectory(cgroup);
      return true;
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(cgroup, LinkOption.NOFOLLOW_LINKS)) {
        throw new CgroupIoException("mkdir", cgroup, "exists and is not a directory (symbolic links are not followed)",
            CgroupIoException.Kind.OTHER, e);
      }
      return false;
    } catch (FileSystemException e) {
      throw CgroupIoException.of("mkdir", cgroup, e);
    }
  }

  @Override
  public Path procsFile(Path cgroup) {
    return cgroup.resolve("cgroup.procs");
  }

  @Override
  public void addProcess(Path cgroup, long pid) throws IOException {
    write(procsFile(cgroup), Long.toString(pid));
  }

  @Override
  public List<Long> pids(Path cgroup) throws IOException {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : read(procsFile(cgroup)).split("\n")) {
        if (!line.trim().isEmpty()) {
          pids.add(Long.parseLong(line.trim()));
        }
      }
    } catch (NoSuchFileException e) {
      return Collections.emptyList();
    } catch (NumberFormatException e) {
      throw new IOException("unexpected content in " + procsFile(cgroup) + ": " + e.getMessage(), e);
    }
    return pids;
  }

  @Override
  public void signalKill(Path cgroup) throws IOException {
    List<Long> pids = pids(cgroup);
    pids.remove(Processes.self());
    Processes.kill(pids);
  }

  @Override
  public boolean killAll(Path cgroup, long deadlineNanos) throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (pids(cgroup).isEmpty()) {
        return true;
      }
      signalKill(cgroup);
      if (!Backoff.STANDARD.pause(attempt, deadlineNanos)) {
        return pids(cgroup).isEmpty();
      }
    }
  }

  @Override
  public DrainResult drain(Path cgroup, long deadlineNanos) throws IOException {
    long start = System.nanoTime();
    MemoryStats s = memoryStat(cgroup);
    long before = s.pageCache();
    int steps = 0;
    int stalls = 0;
    while (s.pageCache() > 0) {
      long previous = s.pageCache();
      drainStep(cgroup, s);
      steps++;
      s = memoryStat(cgroup);
      // Pages the flusher has not cleaned yet cannot go: wait for it rather than spin on the kernel.
      if (s.pageCache() > 0 && s.pageCache() >= previous && !Backoff.STANDARD.pause(stalls++, deadlineNanos)) {
        break;
      }
      if (System.nanoTime() - deadlineNanos > 0) {
        break;
      }
    }
    return new DrainResult(before, s.pageCache(), steps, System.nanoTime() - start, s);
  }

  @Override
  public int delete(Path cgroup, long deadlineNanos) throws IOException {
    for (int retries = 0; ; retries++) {
      try {
        if (!Files.isDirectory(cgroup, LinkOption.NOFOLLOW_LINKS)) {
          if (Files.exists(cgroup, LinkOption.NOFOLLOW_LINKS)) {
            throw new CgroupIoException("rmdir", cgroup, "not a directory (symbolic links are not followed)",
                CgroupIoException.Kind.OTHER, null);
          }
          return retries;
        }
        Files.delete(cgroup);
        return retries;
      } catch (NoSuchFileException e) {
        return retries;
      } catch (FileSystemException e) {
        CgroupIoException err = CgroupIoException.of("rmdir (after " + retries + " retries)", cgroup, e);
        // Permission is ruled out by the exception's class and absence by the re-read below; cgroupfs then refuses
        // rmdir only with EBUSY (processes, exiting tasks or child cgroups still inside), which clears: retried
        // while the directory is still there. The JDK's message is translated, so it is never compared.
        if (err.kind() == CgroupIoException.Kind.PERMISSION_DENIED
            || !Backoff.STANDARD.pause(retries, deadlineNanos)) {
          throw err;
        }
      }
    }
  }

  /** Writes a value in one write(2) call, as cgroupfs requires. */
  void write(Path file, String value) throws IOException {
    refuseLinkedCgroup(file);
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    int written;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      written = ch.write(ByteBuffer.wrap(bytes));
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      // The open fails with a FileSystemException whose class tells EACCES apart; write(2) errors arrive as a
      // plain IOException with only the (translated) text.
      throw CgroupIoException.of("write '" + value + "' to", file, e);
    }
    if (written < bytes.length) {
      // The JDK returns 0 bytes written where write(2) failed with EAGAIN (v2 memory.reclaim reclaiming less
      // than asked), in every locale: the one errno the caller learns from the result itself.
      throw new CgroupIoException("write '" + value + "' to", file, "Resource temporarily unavailable (EAGAIN)",
          CgroupIoException.Kind.TRY_AGAIN, null);
    }
  }

  String read(Path file) throws IOException {
    refuseLinkedCgroup(file);
    try (InputStream in = Channels.newInputStream(
        Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      return IOUtils.toString(in, StandardCharsets.US_ASCII);
    }
  }

  /** A single-value file, or {@link MemoryStats#UNKNOWN} when this kernel does not have it. */
  long readValue(Path file) throws IOException {
    try {
      return MemoryStats.parseValue(read(file));
    } catch (NoSuchFileException e) {
      return MemoryStats.UNKNOWN;
    }
  }

  /**
   * O_NOFOLLOW guards only a control file's own name: a cgroup directory that is a symbolic link would still be
   * followed to whatever it points at, so such a file is refused before it is opened.
   */
  private static void refuseLinkedCgroup(Path file) throws CgroupIoException {
    Path cgroup = file.getParent();
    if (cgroup != null && Files.isSymbolicLink(cgroup)) {
      throw new CgroupIoException("open", file, cgroup + " is a symbolic link (symbolic links are not followed)",
          CgroupIoException.Kind.OTHER, null);
    }
  }

  /** The kernel's reason as the JDK worded it (translated into the process's locale): for messages only. */
  static String reason(IOException e) {
    if (!(e instanceof FileSystemException)) {
      return String.valueOf(e.getMessage());
    }
    if (((FileSystemException) e).getReason() != null) {
      return ((FileSystemException) e).getReason();
    }
    // The JDK drops the kernel's text for the errnos that have an exception class of their own.
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "Permission denied (EACCES)";
    }
    if (e instanceof NoSuchFileException) {
      return "No such file or directory (ENOENT)";
    }
    return e instanceof FileAlreadyExistsException ? "File exists (EEXIST)" : e.getClass().getSimpleName();
  }

  static long get(java.util.Map<String, Long> values, String key) {
    return values.getOrDefault(key, MemoryStats.UNKNOWN);
  }
}
