package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** The doctor's yarn-site.xml checks, on the shipped examples and on the mistakes an operator can make. */
class YarnSiteCheckTest {

  static Configuration shipped(String file) {
    Configuration conf = new Configuration(false);
    conf.addResource(new Path(java.nio.file.Path.of(file).toAbsolutePath().toString()));
    return conf;
  }

  static List<Finding> of(Configuration conf, Finding.Level level) {
    return YarnSiteCheck.check(conf).stream().filter(f -> f.level() == level).collect(Collectors.toList());
  }

  @Test
  void theShippedYarnSiteIsConsistent() {
    Configuration conf = shipped("conf/yarn-site.xml");
    assertEquals(List.of(), of(conf, Finding.Level.FAIL));
    assertEquals(List.of(), of(conf, Finding.Level.WARN));
  }

  @Test
  void theShippedV2ExampleOnTopOfTheBaseIsConsistent() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.addResource(new Path(java.nio.file.Path.of("dist/conf/yarn-site-v2.xml").toAbsolutePath().toString()));
    assertEquals(List.of(), of(conf, Finding.Level.FAIL));
    assertEquals("v2", conf.get("yarn.nodemanager.memcg.mode"));
  }

  @Test
  void emptyConfigurationSaysThePluginIsNotEnabledAndWarnsAboutTheMonitor() {
    Configuration conf = new Configuration(false);
    List<Finding> fails = of(conf, Finding.Level.FAIL);
    assertEquals(1, fails.size(), fails.toString());
    assertTrue(fails.get(0).text().contains("the plugin is not enabled"), fails.toString());
    String warns = of(conf, Finding.Level.WARN).toString();
    assertTrue(warns.contains("YARN-11967"), warns);
    assertTrue(warns.contains("process-tree.class"), warns);
    assertTrue(warns.contains("vmem-check-enabled"), warns);
  }

  @Test
  void linuxContainerExecutorWithoutTheHandlerSaysWhichKeyToSet() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.set("yarn.nodemanager.container-executor.class",
        "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor");
    String fails = of(conf, Finding.Level.FAIL).toString();
    assertTrue(fails.contains("yarn.nodemanager.linux-container-executor.resources-handler.class is not set")
        && fails.contains("MemcgLceResourcesHandler"), fails);
  }

  /** Docker, runc and pluggable runtimes place containers outside the plugin's cgroups: the doctor fails them. */
  @Test
  void containerRuntimesThatLeaveTheMemcgFailNamingTheKey() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.set("yarn.nodemanager.container-executor.class",
        "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor");
    conf.set("yarn.nodemanager.linux-container-executor.resources-handler.class",
        "io.github.yarnmemcg.nodemanager.MemcgLceResourcesHandler");
    assertEquals(List.of(), of(conf, Finding.Level.FAIL), "default runtime only");
    conf.set("yarn.nodemanager.runtime.linux.allowed-runtimes", "default, JavaSandbox");
    assertEquals(List.of(), of(conf, Finding.Level.FAIL), "javasandbox joins the cgroup as default does");
    for (String escaping : List.of("docker", "Docker", "runc", "mine")) {
      conf.set("yarn.nodemanager.runtime.linux.allowed-runtimes", "default," + escaping);
      String fails = of(conf, Finding.Level.FAIL).toString();
      assertTrue(fails.contains("yarn.nodemanager.runtime.linux.allowed-runtimes='default," + escaping + "' allows "
          + escaping + ":"), fails);
    }
  }

  /** The README's two ways to enable the plugin, as an operator pastes them into yarn-site.xml. */
  @Test
  void bothReadmeSetupsPassTheDoctor() throws Exception {
    String readme = Files.readString(java.nio.file.Path.of("README.md"));
    Matcher xml = Pattern.compile("```xml\n(.*?)```", Pattern.DOTALL).matcher(readme);
    List<String> executors = new ArrayList<>();
    while (xml.find()) {
      if (!xml.group(1).contains("yarn.nodemanager.container-executor.class")) {
        continue;
      }
      Configuration conf = new Configuration(false);
      conf.addResource(new ByteArrayInputStream(("<configuration>" + xml.group(1) + "</configuration>")
          .getBytes(StandardCharsets.UTF_8)), "README");
      executors.add(conf.get("yarn.nodemanager.container-executor.class"));
      assertEquals(List.of(), of(conf, Finding.Level.FAIL), "README setup " + conf.get(
          "yarn.nodemanager.container-executor.class"));
    }
    assertEquals(List.of("io.github.yarnmemcg.nodemanager.MemcgContainerExecutor",
        "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor"), executors);
    // The README's first block is conf/yarn-site.xml: the same keys with the same values.
    xml.reset();
    assertTrue(xml.find());
    Configuration block = new Configuration(false);
    block.addResource(new ByteArrayInputStream(("<configuration>" + xml.group(1) + "</configuration>")
        .getBytes(StandardCharsets.UTF_8)), "README");
    Configuration shipped = shipped("conf/yarn-site.xml");
    java.util.Map<String, String> a = new java.util.TreeMap<>();
    java.util.Map<String, String> b = new java.util.TreeMap<>();
    block.forEach(e -> a.put(e.getKey(), e.getValue()));
    shipped.forEach(e -> b.put(e.getKey(), e.getValue()));
    assertEquals(b, a, "the README's settings are conf/yarn-site.xml's");
  }

  @Test
  void theRuntimeLineNamesHadoopAndJavaAndWarnsOutsideTheProvenLines() {
    assertEquals(Finding.Level.OK, RuntimeCheck.runtime("3.3.6", "11.0.24").level());
    assertEquals(Finding.Level.OK, RuntimeCheck.runtime("3.4.3", "1.8.0_412").level());
    assertTrue(RuntimeCheck.runtime("3.4.3", "1.8.0_412").text().contains("Hadoop 3.4.3 on Java 1.8.0_412"));
    assertEquals(Finding.Level.WARN, RuntimeCheck.runtime("3.5.0", "1.8.0_412").level());
    assertEquals(Finding.Level.WARN, RuntimeCheck.runtime("3.2.4", "11.0.24").level());
    assertEquals(Finding.Level.WARN, RuntimeCheck.runtime("unknown", "17").level());
  }

  @Test
  void aSubclassOfThePluginsExecutorCounts() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.set("yarn.nodemanager.container-executor.class", "io.github.yarnmemcg.demo.DemoExecutor");
    assertEquals(List.of(), of(conf, Finding.Level.FAIL));
  }

  @Test
  void badPluginValueFailsWithTheNodeManagersOwnMessage() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.set("yarn.nodemanager.memcg.drain.timeout-ms", "soon");
    String fails = of(conf, Finding.Level.FAIL).toString();
    assertTrue(fails.contains("invalid yarn-memcg setting yarn.nodemanager.memcg.drain.timeout-ms='soon'"), fails);
  }

  @Test
  void hadoopsOwnMemoryHandlerAndDrainOffAreWarned() {
    Configuration conf = shipped("conf/yarn-site.xml");
    conf.setBoolean("yarn.nodemanager.resource.memory.enabled", true);
    conf.setBoolean("yarn.nodemanager.memcg.drain.enabled", false);
    String warns = of(conf, Finding.Level.WARN).toString();
    assertTrue(warns.contains("yarn.nodemanager.resource.memory.enabled"), warns);
    assertTrue(warns.contains("yarn.nodemanager.memcg.drain.enabled"), warns);
  }
}
