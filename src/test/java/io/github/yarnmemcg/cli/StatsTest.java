package io.github.yarnmemcg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yarnmemcg.cgroup.Pressure;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The stats output formats, from given rows. */
class StatsTest {

  static final Stats.Row ROW = new Stats.Row("container_1700000000000_0001_01_000002", 3, 64L << 20, 8L << 20,
      0, 80L << 20, 256L << 20, 4, -1, Optional.of(new Pressure(1.5, 0.25, 2_000_000, 0.5, 0.1, 700_000)));
  static final Stats.Row V1_ROW = new Stats.Row("container_1700000000000_0001_01_000003", 1, 1, 2, 0, 3, 4, 0, 0,
      Optional.empty());

  @Test
  void jsonHasTheRootAndEveryFigureInBytes() throws Exception {
    JsonNode doc = new ObjectMapper().readTree(Stats.json(Path.of("/sys/fs/cgroup/memory/r"), List.of(ROW)));
    assertEquals("/sys/fs/cgroup/memory/r", doc.get("root").asText());
    JsonNode c = doc.get("containers").get(0);
    assertEquals(ROW.containerId(), c.get("containerId").asText());
    assertEquals(3, c.get("processes").asLong());
    assertEquals("application_1700000000000_0001", c.get("applicationId").asText());
    assertEquals("running", c.get("state").asText());
    assertEquals(64L << 20, c.get("anonBytes").asLong());
    assertEquals(8L << 20, c.get("pageCacheBytes").asLong());
    assertEquals(0, c.get("shmemBytes").asLong());
    assertEquals(80L << 20, c.get("peakBytes").asLong());
    assertEquals(256L << 20, c.get("limitBytes").asLong());
    assertEquals(4, c.get("limitHits").asLong());
    assertEquals(-1, c.get("oomKills").asLong(), "unknown stays -1 for scripts");
    assertEquals(1.5, c.get("pressureSomeAvg10").asDouble());
    assertEquals(0.25, c.get("pressureSomeAvg60").asDouble());
    assertEquals(0.5, c.get("pressureFullAvg10").asDouble());
    assertEquals(0.1, c.get("pressureFullAvg60").asDouble());
    assertEquals(700_000, c.get("pressureFullTotalMicros").asLong());
    JsonNode v1 = new ObjectMapper().readTree(Stats.json(Path.of("/r"), List.of(V1_ROW))).get("containers").get(0);
    assertEquals(-1, v1.get("pressureSomeAvg10").asDouble(), "no PSI on v1: -1");
    assertEquals(-1, v1.get("pressureFullTotalMicros").asLong());
  }

  @Test
  void emptyJsonStillNamesTheRoot() throws Exception {
    JsonNode doc = new ObjectMapper().readTree(Stats.json(Path.of("/r"), List.of()));
    assertEquals(0, doc.get("containers").size());
  }

  @Test
  void tableShowsMibAndUnknownAsQuestionMark() {
    String[] lines = Stats.table(List.of(ROW)).split("\n");
    assertTrue(lines[0].startsWith("container") && lines[0].contains("oom kills"), lines[0]);
    assertEquals(List.of(ROW.containerId(), "running", "3", "64.0", "8.0", "0.0", "80.0", "256.0", "4", "?",
        "1.50/0.50"), List.of(lines[1].trim().split("\\s+")));
    String v1 = Stats.table(List.of(V1_ROW)).split("\n")[1].trim();
    assertTrue(v1.endsWith(" ?"), "no PSI on v1: " + v1);
  }
}
