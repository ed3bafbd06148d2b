package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A cgroup file operation the kernel refused, with the path, the value written (if any) and the kernel's own
 * reason for people to read. The JDK gives that reason in the NodeManager's locale (a busy rmdir reads
 * {@code 设备或资源忙} under zh_CN), so no decision is ever taken on it: {@link #kind()} says what the refusal
 * means, from the JDK's exception class or the call's result, and everything else is decided by re-reading
 * the kernel's state.
 */
public final class CgroupIoException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What a refusal means to the caller, decided without reading its text. */
  public enum Kind {
    /** EACCES: the JDK's {@link AccessDeniedException}, or access(2) says this process may not. */
    PERMISSION_DENIED,
    /** EAGAIN: the JDK reports a write that failed with it as 0 bytes written (v2 memory.reclaim: partial). */
    TRY_AGAIN,
    /** Any other errno; only the message, in the JDK's words, says which. */
    OTHER
  }

  private final Path path;
  private final String reason;
  private final Kind kind;

  public CgroupIoException(String operation, Path path, String reason, Kind kind, Throwable cause) {
    super(operation + " " + path + ": " + reason, cause);
    this.path = path;
    this.reason = reason;
    this.kind = kind;
  }

  /** The kernel's refusal of {@code operation} as the JDK reported it, classified by the exception's class. */
  static CgroupIoException of(String operation, Path path, IOException e) {
    Kind kind = e instanceof AccessDeniedException ? Kind.PERMISSION_DENIED : Kind.OTHER;
    return new CgroupIoException(operation, path, reasonOf(e), kind, e);
  }

  public Path path() {
    return path;
  }

  /** The kernel's reason as the JDK worded it, in the process's locale: for people, never for decisions. */
  public String reason() {
    return reason;
  }

  public Kind kind() {
    return kind;
  }

  /** True when this, or an exception it was caused by, is the kernel refusing permission (EACCES). */
  public static boolean isPermissionDenied(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AccessDeniedException
          || t instanceof CgroupIoException && ((CgroupIoException) t).kind == Kind.PERMISSION_DENIED) {
        return true;
      }
    }
    return false;
  }

  /** The kernel's reason as the JDK worded it (translated into the process's locale): for messages only. */
  static String reasonOf(IOException e) {
    if (!(e instanceof java.nio.file.FileSystemException)) {
      return String.valueOf(e.getMessage());
    }
    if (((java.nio.file.FileSystemException) e).getReason() != null) {
      return ((java.nio.file.FileSystemException) e).getReason();
    }
    // The JDK drops the kernel's text for the errnos that have an exception class of their own.
    if (e instanceof AccessDeniedException) {
      return "Permission denied (EACCES)";
    }
    if (e instanceof NoSuchFileException) {
      return "No such file or directory (ENOENT)";
    }
    return e instanceof java.nio.file.FileAlreadyExistsException ? "File exists (EEXIST)"
        : e.getClass().getSimpleName();
  }
}
