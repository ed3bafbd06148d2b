package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.yarnmemcg.nodemanager.LocalDirApplications;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@code --conf} file is read over Hadoop's defaults, as the NodeManager reads it. */
class TargetTest {

  @TempDir
  Path dir;

  static CommandLine parse(String... args) throws Exception {
    // As the commands parse them (commons-cli 1.2's GNU parser, which Main uses), with the doctor's options.
    @SuppressWarnings("deprecation")
    org.apache.commons.cli.CommandLineParser gnu = new org.apache.commons.cli.GnuParser();
    return gnu.parse(Main.options("doctor"), args);
  }

  @Test
  void theDefaultLocalDirsAreExpandedAsTheNodeManagerExpandsThem() throws Exception {
    Path site = dir.resolve("yarn-site.xml");
    Files.writeString(site, "<configuration><property><name>hadoop.tmp.dir</name><value>" + dir
        + "/tmp</value></property></configuration>");
    Target t = Target.from(parse("--conf", site.toString()));
    // yarn-default.xml: ${hadoop.tmp.dir}/nm-local-dir; without Hadoop's defaults it would be unset or unexpanded,
    // and sweep would take every application as ended.
    assertEquals(List.of(dir.resolve("tmp/nm-local-dir")), LocalDirApplications.localDirs(t.conf()));
    assertEquals("-1", t.conf().get("yarn.nodemanager.resource.memory-mb"), "yarn-default.xml is read");
  }

  @Test
  void minusDSetsAKeyAndTheRootOptionWinsOverIt() throws Exception {
    Target t = Target.from(parse("-D", "yarn.nodemanager.memcg.swap-percent=25", "-Dyarn.nodemanager.memcg.root=a",
        "--root", "b"));
    assertEquals("25", t.conf().get("yarn.nodemanager.memcg.swap-percent"));
    assertEquals("b", t.conf().get("yarn.nodemanager.memcg.root"));
    assertEquals(25, t.settings().lifecycle().swapPercent());
  }
}
