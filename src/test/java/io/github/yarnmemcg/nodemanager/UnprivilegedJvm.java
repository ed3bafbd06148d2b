package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.testing.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;

/**
 * Runs {@link UnprivilegedNodeManagerMain} in a JVM of its own as the unprivileged system user {@link #USER}
 * (created if absent), with setpriv and no capabilities, optionally started inside a given cgroup (root writes the
 * shell's pid to its cgroup.procs before exec'ing setpriv, as systemd starts a unit's process in its cgroup).
 * {@code shared} is a directory any user may enter, removed by {@link #close}; {@code work} in it belongs to the
 * user. The user reads the test classpath through {@code jars}: entries under /root (root's Maven repository is
 * private) are hard-linked there, or copied when the link would cross filesystems.
 */
record UnprivilegedJvm(Path shared, Path work, String classpath) implements AutoCloseable {
  static final String USER = "yarn-memcg-it";

  static UnprivilegedJvm create() throws Exception {
    if (new ProcessBuilder("id", "-u", USER).start().waitFor() != 0) {
      Workloads.run(List.of("useradd", "--system", "--user-group", "--no-create-home", "--shell",
          "/usr/sbin/nologin", USER));
    }
    Path shared = Files.createTempDirectory("yarn-memcg-it-nonroot-");
    try {
      Path work = Files.createDirectory(shared.resolve("work"));
      Workloads.run(List.of("chmod", "755", shared.toString()));
      Workloads.run(List.of("chown", USER + ":" + USER, work.toString()));
      return new UnprivilegedJvm(shared, work, readableClasspath(shared));
    } catch (Exception e) {
      FileUtils.deleteDirectory(shared.toFile());
      throw e;
    }
  }

  private static String readableClasspath(Path shared) throws IOException {
    Path jars = Files.createDirectory(shared.resolve("jars"));
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(":")) {
      Path p = Paths.get(entry);
      if (entry.startsWith("/root/") && Files.isRegularFile(p)) {
        Path link = jars.resolve((n++) + "-" + p.getFileName());
        try {
          Files.createLink(link, p);
        } catch (IOException e) {
          Files.copy(p, link);
        }
        entries.add(link.toString());
      } else {
        entries.add(entry);
      }
    }
    return String.join(":", entries);
  }

  /**
   * Runs the main's {@code modes} (comma-separated) on {@code root} as the user, inside {@code startIn} when given;
   * returns its key=value lines and its exit code under {@code exitCode}.
   */
  Map<String, String> run(String modes, Path root, Optional<Path> startIn, CgroupDriver driver,
      long timeoutSeconds) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups",
        "--inh-caps=-all", "--", java, "-XX:TieredStopAtLevel=1", "-cp", classpath,
        "-Djava.io.tmpdir=" + work, UnprivilegedNodeManagerMain.class.getName(), modes, root.toString(),
        work.toString());
    if (startIn.isPresent()) {
      cmd = driver.joinThenExec(startIn.get(), cmd);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().put("HOME", work.toString());
    Path log = Files.createTempFile(shared, "run-", ".log");
    long t0 = System.nanoTime();
    Process p = pb.redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(modes + " as " + USER + " did not end within " + timeoutSeconds + " s: "
          + Files.readString(log));
    }
    System.out.printf("[measure] %s as %s: %.1f s%n", modes, USER, (System.nanoTime() - t0) / 1e9);
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(log)) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).matches("[A-Za-z.]+")) {
        out.put(line.substring(0, eq), line.substring(eq + 1));
        System.out.println("[" + modes + " as " + USER + "] " + line);
      }
    }
    out.put("exitCode", Integer.toString(p.exitValue()));
    if (!out.containsKey("user")) {
      // The JVM never got to main (setpriv, the join or the classpath failed): show why.
      out.put("log", Files.readString(log));
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    FileUtils.deleteDirectory(shared.toFile());
  }
}
