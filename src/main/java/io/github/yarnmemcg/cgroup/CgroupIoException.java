package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A cgroup file operation the kernel refused, with the path, the value written (if any) and the kernel's own
 * reason ({@code strerror} text), so that the errno is visible in every log line that carries it.
 */
public final class CgroupIoException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The strerror text of EAGAIN. */
  static final String TRY_AGAIN = "Resource temporarily unavailable";

  private final Path path;
  private final String reason;

  public CgroupIoException(String operation, Path path, String reason, Throwable cause) {
    super(operation + " " + path + ": " + reason, cause);
    this.path = path;
    this.reason = reason;
  }

  public Path path() {
    return path;
  }

  /** The kernel's reason, for example "Device or resource busy". */
  public String reason() {
    return reason;
  }

  public boolean isBusy() {
    return "Device or resource busy".equals(reason);
  }

  public boolean isTryAgain() {
    return TRY_AGAIN.equals(reason);
  }
}
