package io.github.yarnmemcg.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yarnmemcg.testing.ContainerCgroups;
import io.github.yarnmemcg.testing.RealCgroups;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary tarball as an operator uses it: unpacked into an empty directory, {@code bin/yarn-memcg doctor} and
 * {@code stats} run from there against a real cgroup root, with Hadoop's classpath given the way a node without
 * the {@code hadoop} command gives it ({@code YARN_MEMCG_HADOOP_CLASSPATH}; here this test's own classpath minus
 * the project's classes, so the plugin comes from the tarball's jar). Runs after {@code package}.
 */
class DistributionIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path unpacked;

  Process holder;

  @AfterEach
  void stopHolder() {
    if (holder != null) {
      holder.destroyForcibly();
    }
  }

  record Ran(int code, String out) {}

  static Path tarball() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("target"))) {
      List<Path> found = s.filter(p -> p.getFileName().toString().matches("yarn-memcg-.*-bin\\.tar\\.gz"))
          .collect(Collectors.toList());
      assertEquals(1, found.size(), "one binary tarball in target/ (run after mvn package): " + found);
      return found.get(0);
    }
  }

  /** Unpacks the tarball and returns its top directory. */
  Path unpack() throws Exception {
    Process tar = new ProcessBuilder("tar", "xzf", tarball().toAbsolutePath().toString(), "-C", unpacked.toString())
        .inheritIO().start();
    assertEquals(0, tar.waitFor());
    try (Stream<Path> s = Files.list(unpacked)) {
      return s.findFirst().orElseThrow();
    }
  }

  /** Hadoop's jars as a node provides them: this test's classpath without the project's own classes. */
  static String hadoopClasspath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.stream(cp.split(File.pathSeparator))
        .filter(e -> !e.endsWith("target/classes") && !e.endsWith("target/test-classes"))
        .filter(e -> !e.contains("surefire") && !e.contains("failsafe"))
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** Runs bin/yarn-memcg from the unpacked directory, with a PATH that has no 'hadoop' command. */
  static Ran yarnMemcg(Path home, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(home.resolve("bin/yarn-memcg").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("YARN_MEMCG_HADOOP_CLASSPATH");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/yarn-memcg " + String.join(" ", args) + " ended");
    return new Ran(p.exitValue(), out);
  }

  @Test
  void tarballHoldsThePluginJarAloneTheCommandConfigurationAndDocs() throws Exception {
    // Its SHA-512 file beside it checks it, as an operator checks a download.
    Path tarball = tarball();
    Process check = new ProcessBuilder("sha512sum", "-c", tarball.getFileName() + ".sha512")
        .directory(tarball.getParent().toFile()).redirectErrorStream(true).start();
    String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, check.waitFor(), checked);
    assertTrue(checked.contains(": OK"), checked);
    Path home = unpack();
    assertTrue(home.getFileName().toString().startsWith("yarn-memcg-"), home.toString());
    try (Stream<Path> s = Files.list(home.resolve("lib"))) {
      List<Path> jars = s.collect(Collectors.toList());
      assertEquals(1, jars.size(), "lib/ holds the plugin jar only: " + jars);
      try (JarFile jar = new JarFile(jars.get(0).toFile())) {
        List<String> foreign = jar.stream().map(e -> e.getName())
            .filter(n -> !n.startsWith("io/github/yarnmemcg/") && !n.startsWith("META-INF/") && !n.equals("io/")
                && !n.equals("io/github/"))
            .collect(Collectors.toList());
        assertEquals(List.of(), foreign, "the plugin jar bundles nothing");
      }
    }
    assertTrue(Files.isExecutable(home.resolve("bin/yarn-memcg")));
    assertTrue(Files.isExecutable(home.resolve("bin/yarn-memcg-leaf")));
    for (String f : List.of("README.md", "LICENSE", "NOTICE", "conf/yarn-site.xml", "conf/yarn-site-v2.xml", "conf/systemd/yarn-memcg-v1.conf",
        "conf/systemd/yarn-memcg-v2.conf", "conf/systemd/yarn-memcg-v2-systemd249.conf", "docs/rollout.md",
        "docs/systemd.md", "docs/how-it-works.md", "docs/node-memory.md", "CHANGELOG.md")) {
      assertTrue(Files.isRegularFile(home.resolve(f)), f);
    }
    assertTrue(Files.readString(home.resolve("conf/systemd/yarn-memcg-v2.conf")).contains("\nDelegate=yes\n"));
    // One version: the directory's name, the jar's manifest and the command's.
    String version = home.getFileName().toString().substring("yarn-memcg-".length());
    try (Stream<Path> s = Files.list(home.resolve("lib")); JarFile jar = new JarFile(s.findFirst().orElseThrow().toFile())) {
      assertEquals(version, jar.getManifest().getMainAttributes().getValue("Implementation-Version"));
      assertTrue(jar.getEntry("META-INF/LICENSE") != null && jar.getEntry("META-INF/NOTICE") != null);
    }
    Ran v = yarnMemcg(home, Map.of("YARN_MEMCG_HADOOP_CLASSPATH", hadoopClasspath()), "--version");
    assertEquals(0, v.code(), v.out());
    assertTrue(v.out().contains("yarn-memcg " + version + " (Hadoop "), v.out());
  }

  @Test
  void doctorAndStatsRunFromTheUnpackedTarball() throws Exception {
    Path home = unpack();
    Path root = cgroups.root();
    String id = "container_1700000000000_0003_01_000001";
    holder = ContainerCgroups.holdAnon(cgroups.driver(), ContainerCgroups.create(cgroups, id), 16);
    Map<String, String> env = Map.of("YARN_MEMCG_HADOOP_CLASSPATH", hadoopClasspath());

    Ran doctor = yarnMemcg(home, env, "doctor", "--root", root.toString(), "--conf", "conf/yarn-site.xml");
    System.out.println(doctor.out());
    assertEquals(0, doctor.code(), doctor.out());
    assertTrue(doctor.out().contains("OK    root " + root + " exists"), doctor.out());
    assertTrue(doctor.out().contains("leftover container cgroups: none (1 in use)"), doctor.out());
    assertTrue(doctor.out().contains("doctor: no problem found"), doctor.out());

    Ran stats = yarnMemcg(home, env, "stats", "--root", root.toString(), "--json");
    assertEquals(0, stats.code(), stats.out());
    JsonNode c = new ObjectMapper().readTree(stats.out()).get("containers").get(0);
    assertEquals(id, c.get("containerId").asText());
    assertTrue(c.get("anonBytes").asLong() >= 15L << 20, stats.out());

    Ran table = yarnMemcg(home, env, "stats", "--root", root.toString());
    assertEquals(0, table.code(), table.out());
    assertTrue(table.out().contains(id), table.out());
  }

  @Test
  void withoutHadoopTheCommandSaysHowToGiveIt() throws Exception {
    Path home = unpack();
    Ran r = yarnMemcg(home, Map.of(), "doctor");
    assertEquals(2, r.code(), r.out());
    assertTrue(r.out().contains("cannot find Hadoop") && r.out().contains("YARN_MEMCG_HADOOP_CLASSPATH"), r.out());
    Ran demo = yarnMemcg(home, Map.of(), "demo");
    assertEquals(2, demo.code(), demo.out());
    assertTrue(demo.out().contains("source checkout"), demo.out());
  }
}
