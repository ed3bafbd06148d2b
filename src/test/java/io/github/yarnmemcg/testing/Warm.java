package io.github.yarnmemcg.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Reads files through the page cache right before a measured window, so that what a workload reads of them is
 * cached when it starts, however long the test idled before: a node's proactive reclaim (DAMON's {@code pageout})
 * pages out file data idle for about a minute, and a container JVM started after such a pause would read its JDK
 * and jars back from the disk in one setting of a comparison and not in another. Reading is all it does: it drops
 * and syncs nothing.
 */
public final class Warm {
  private Warm() {}

  /** Reads every regular file given (directories: every file under them); returns the bytes read. */
  public static long files(Collection<Path> paths) throws IOException {
    byte[] buf = new byte[1 << 20];
    long n = 0;
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        List<Path> under;
        try (Stream<Path> s = Files.walk(p)) {
          under = s.filter(Files::isRegularFile).toList();
        }
        n += files(under);
      } else if (Files.isRegularFile(p)) {
        try (InputStream in = Files.newInputStream(p)) {
          for (int r = in.read(buf); r > 0; r = in.read(buf)) {
            n += r;
          }
        }
      }
    }
    return n;
  }

  /**
   * What a JVM of this test's classpath loads: the JDK's files and every classpath entry, including those a
   * manifest-only jar (as Maven's test runners start the JVM with) names in its {@code Class-Path}.
   */
  public static List<Path> thisJvm() throws IOException {
    Set<Path> all = new LinkedHashSet<>();
    Path home = Path.of(System.getProperty("java.home"));
    all.add(home.resolve("lib"));
    all.add(home.resolve("bin"));
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty()) {
        addWithManifest(Path.of(entry).toAbsolutePath(), all);
      }
    }
    return new ArrayList<>(all);
  }

  private static void addWithManifest(Path entry, Set<Path> all) throws IOException {
    if (!all.add(entry) || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
      return;
    }
    Manifest m;
    try (JarFile jar = new JarFile(entry.toFile())) {
      m = jar.getManifest();
    }
    String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
    if (cp == null) {
      return;
    }
    URI base = entry.toUri();
    for (String ref : cp.trim().split("\\s+")) {
      if (!ref.isEmpty()) {
        URI u = base.resolve(ref);
        if ("file".equals(u.getScheme())) {
          addWithManifest(Path.of(u), all);
        }
      }
    }
  }
}
