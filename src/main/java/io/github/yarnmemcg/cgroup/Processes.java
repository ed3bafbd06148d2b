package io.github.yarnmemcg.cgroup;

import java.io.File;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Process ids as the kernel lists them in {@code cgroup.procs}, and SIGKILL for them. The plugin jar runs on
 * Java 8 as well as 11 and 17: where the runtime has {@code ProcessHandle} (Java 9+) it is used, because it
 * checks a process's start time so that a recycled pid is never signalled; on Java 8 {@code kill(1)} signals
 * them all in one process.
 */
public final class Processes {

  /** {@code ProcessHandle.of(long)} and {@code destroyForcibly()}, or null on a Java 8 runtime. */
  private static final MethodHandle OF = find("of", MethodType.methodType(Optional.class, long.class), true);
  private static final MethodHandle DESTROY = find("destroyForcibly", MethodType.methodType(boolean.class), false);

  /** This JVM's effective user id: {@code /proc/self} belongs to it. */
  private static final int SELF_UID = selfUid();

  private Processes() {}

  private static int selfUid() {
    try {
      return (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new IllegalStateException("cannot read this process's user from /proc/self: " + e, e);
    }
  }

  /** This JVM's process id, from the kernel's {@code /proc/self} (without procfs no cgroup can be used). */
  public static long self() {
    try {
      return Long.parseLong(Files.readSymbolicLink(Paths.get("/proc/self")).toString());
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("cannot read this process's id from /proc/self: " + e, e);
    }
  }

  /**
   * The name of the user a process runs as when it is not this JVM's own user and this JVM is not root, that is when
   * the kernel would refuse this JVM's signal to it (EPERM); empty for a process this JVM may signal, or one gone.
   * The owner of {@code /proc/<pid>} is the process's effective user, the one the kernel compares.
   */
  public static Optional<String> foreignOwner(long pid) throws IOException {
    if (SELF_UID == 0) {
      return Optional.empty();
    }
    Path proc = Paths.get("/proc", Long.toString(pid));
    try {
      int uid = (Integer) Files.getAttribute(proc, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      return uid == SELF_UID ? Optional.empty()
          : Optional.of(Files.getOwner(proc, LinkOption.NOFOLLOW_LINKS).getName());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Sends SIGKILL to each process and returns at once; processes already gone are skipped. */
  public static void kill(Collection<Long> pids) throws IOException {
    if (pids.isEmpty()) {
      return;
    }
    if (OF == null || DESTROY == null) {
      killWithCommand(pids);
      return;
    }
    for (long pid : pids) {
      try {
        Optional<?> handle = (Optional<?>) OF.invoke(pid);
        if (handle.isPresent()) {
          DESTROY.invoke(handle.get());
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IOException("cannot signal process " + pid + ": " + e, e);
      }
    }
  }

  /** The Java 8 way: one kill(1) for all of them; a process that exited meanwhile is not an error. */
  static void killWithCommand(Collection<Long> pids) throws IOException {
    List<String> argv = new ArrayList<>();
    argv.add("kill");
    argv.add("-KILL");
    for (long pid : pids) {
      argv.add(Long.toString(pid));
    }
    Process kill = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
    try {
      kill.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling " + pids, e);
    }
  }

  private static MethodHandle find(String name, MethodType type, boolean isStatic) {
    try {
      Class<?> handle = Class.forName("java.lang.ProcessHandle");
      return isStatic ? MethodHandles.publicLookup().findStatic(handle, name, type)
          : MethodHandles.publicLookup().findVirtual(handle, name, type);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}
