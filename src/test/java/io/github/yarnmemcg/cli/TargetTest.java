package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.yarnmemcg.nodemanager.LocalDirApplications;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@code --conf} file is read over Hadoop's defaults, as the NodeManager reads it. */
class TargetTest {

  @TempDir
  Path dir;

  static CommandLine parse(String... args) throws Exception {
    Options o = new Options();
    o.addOption(null, "conf", true, "");
    o.addOption(null, "root", true, "");
    o.addOption(null, "mode", true, "");
    return new DefaultParser().parse(o, args);
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
}
