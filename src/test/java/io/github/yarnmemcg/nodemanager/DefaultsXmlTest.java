package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * {@code dist/conf/yarn-memcg-default.xml}, the plugin's keys as Hadoop's yarn-default.xml lists Hadoop's: every key
 * in code with its default and description, and nothing else. Run with {@code -Dyarnmemcg.write-defaults=true} to
 * write it again after a key changed.
 */
class DefaultsXmlTest {
  static final Path FILE = Path.of("dist/conf/yarn-memcg-default.xml");

  static String expected() {
    StringBuilder xml = new StringBuilder();
    xml.append("<?xml version=\"1.0\"?>\n<!--\n")
        .append("  yarn-memcg's settings with their defaults, as Hadoop's yarn-default.xml lists Hadoop's. Reference only:\n")
        .append("  set the ones to change in yarn-site.xml. Generated from the code by DefaultsXmlTest.\n-->\n")
        .append("<configuration>\n");
    for (MemcgKeys.Key k : MemcgKeys.KEYS) {
      xml.append("  <property>\n")
          .append("    <name>").append(escape(k.name())).append("</name>\n")
          .append("    <value>").append(escape(k.defaultValue())).append("</value>\n")
          .append("    <description>").append(escape(k.description())).append("</description>\n")
          .append("  </property>\n");
    }
    return xml.append("</configuration>\n").toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Test
  void theShippedDefaultsAreTheKeysInCode() throws Exception {
    if (Boolean.getBoolean("yarnmemcg.write-defaults")) {
      Files.writeString(FILE, expected());
    }
    assertEquals(expected(), Files.readString(FILE, StandardCharsets.UTF_8),
        FILE + " is out of date: run this test with -Dyarnmemcg.write-defaults=true");
    // And Hadoop reads it: every key with its default.
    Configuration conf = new Configuration(false);
    conf.addResource(new org.apache.hadoop.fs.Path(FILE.toAbsolutePath().toString()));
    for (MemcgKeys.Key k : MemcgKeys.KEYS) {
      assertEquals(k.defaultValue(), conf.get(k.name()), k.name());
    }
    assertEquals(MemcgConfiguration.from(new Configuration(false)), MemcgConfiguration.from(conf));
  }
}
