package io.github.yarnmemcg.cli;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.Pressure;
import io.github.yarnmemcg.lifecycle.Applications;
import io.github.yarnmemcg.lifecycle.ContainerMemcgs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code yarn-memcg stats}: one reading of every container cgroup under the root (its application, whether it runs
 * or its container has exited, the cgroup kept by the NodeManager, retired or waiting for its application, until it
 * cleans it; anon, page cache, shmem, peak,
 * limit, limit hits, OOM kills), as a table for people or JSON for scripts. Read-only.
 */
public final class Stats {

  /** One container's figures; -1 where the kernel does not report one (v1 has no OOM-event count, for example). */
  @JsonAutoDetect(fieldVisibility = Visibility.ANY, getterVisibility = Visibility.NONE,
      isGetterVisibility = Visibility.NONE)
  @JsonPropertyOrder({"containerId", "applicationId", "state", "processes", "anonBytes", "pageCacheBytes",
      "shmemBytes", "peakBytes", "limitBytes", "limitHits", "oomKills", "pressureSomeAvg10", "pressureSomeAvg60",
      "pressureFullAvg10", "pressureFullAvg60", "pressureFullTotalMicros"})
  public static final class Row {
    private final String containerId;
    private final String applicationId;
    /**
     * running, or exited: empty, kept by the NodeManager (retired while its page cache may be read again, or waiting
     * for its application to end, by the node's policy) or being cleaned.
     */
    private final String state;
    private final long processes;
    private final long anonBytes;
    private final long pageCacheBytes;
    private final long shmemBytes;
    private final long peakBytes;
    private final long limitBytes;
    private final long limitHits;
    private final long oomKills;
    /** PSI of memory.pressure (cgroup v2): percent of the last 10 or 60 s stalled, and the total stall; -1 on v1. */
    private final double pressureSomeAvg10;
    private final double pressureSomeAvg60;
    private final double pressureFullAvg10;
    private final double pressureFullAvg60;
    private final long pressureFullTotalMicros;

    public Row(String containerId, long processes, long anonBytes, long pageCacheBytes, long shmemBytes,
        long peakBytes, long limitBytes, long limitHits, long oomKills, Optional<Pressure> pressure) {
      this.containerId = containerId;
      this.applicationId = Applications.applicationOf(containerId);
      this.state = processes > 0 ? RUNNING : EXITED;
      this.processes = processes;
      this.anonBytes = anonBytes;
      this.pageCacheBytes = pageCacheBytes;
      this.shmemBytes = shmemBytes;
      this.peakBytes = peakBytes;
      this.limitBytes = limitBytes;
      this.limitHits = limitHits;
      this.oomKills = oomKills;
      this.pressureSomeAvg10 = pressure.map(Pressure::someAvg10).orElse(-1.0);
      this.pressureSomeAvg60 = pressure.map(Pressure::someAvg60).orElse(-1.0);
      this.pressureFullAvg10 = pressure.map(Pressure::fullAvg10).orElse(-1.0);
      this.pressureFullAvg60 = pressure.map(Pressure::fullAvg60).orElse(-1.0);
      this.pressureFullTotalMicros = pressure.map(Pressure::fullTotalMicros).orElse(-1L);
    }

    public String containerId() {
      return containerId;
    }

    public String applicationId() {
      return applicationId;
    }

    public String state() {
      return state;
    }

    public long processes() {
      return processes;
    }

    public long anonBytes() {
      return anonBytes;
    }

    public long pageCacheBytes() {
      return pageCacheBytes;
    }

    public long shmemBytes() {
      return shmemBytes;
    }

    public long peakBytes() {
      return peakBytes;
    }

    public long limitBytes() {
      return limitBytes;
    }

    public long limitHits() {
      return limitHits;
    }

    public long oomKills() {
      return oomKills;
    }

    public double pressureSomeAvg10() {
      return pressureSomeAvg10;
    }

    public double pressureFullAvg10() {
      return pressureFullAvg10;
    }

    public long pressureFullTotalMicros() {
      return pressureFullTotalMicros;
    }

    static Row of(String containerId, long processes, MemoryStats s, Optional<Pressure> pressure) {
      return new Row(containerId, processes, s.anon(), s.pageCache(), s.shmem(), s.peak(), s.limit(),
          s.limitHits(), s.oomKill(), pressure);
    }
  }

  static final String RUNNING = "running";
  static final String EXITED = "exited";

  private final ContainerMemcgs memcgs;

  /** What the exited containers' cgroups hold, for the table's heading: empty when there is none. */
  public static String exited(List<Row> rows) {
    long n = 0;
    long held = 0;
    for (Row r : rows) {
      if (EXITED.equals(r.state())) {
        n++;
        held += r.pageCacheBytes() + Math.max(0, r.shmemBytes());
      }
    }
    return n == 0 ? "" : String.format(Locale.ROOT, "; %d exited (kept retired or waiting, by the node's policy:"
        + " see doctor), holding %.1f MiB of page cache and shmem", n, held / (double) (1 << 20));
  }

  public Stats(ContainerMemcgs memcgs) {
    this.memcgs = memcgs;
  }

  /** The container cgroups under the root now, by id; one removed while being read is left out. */
  public List<Row> read() throws IOException {
    CgroupDriver driver = memcgs.driver();
    List<Row> rows = new ArrayList<>();
    for (String id : memcgs.containerIds()) {
      Optional<MemoryStats> s = memcgs.stats(id);
      if (s.isPresent()) {
        Path cgroup = memcgs.cgroupOf(id);
        rows.add(Row.of(id, driver.pids(cgroup).size(), s.get(), memcgs.pressure(id)));
      }
    }
    rows.sort(Comparator.comparing(Row::containerId));
    return rows;
  }

  /** The table: sizes in MiB. */
  public static String table(List<Row> rows) {
    Table t = new Table("container", "state", "procs", "anon MiB", "cache MiB", "shmem MiB", "peak MiB", "limit MiB",
        "failcnt", "oom kills", "psi some/full % (10s)");
    for (Row r : rows) {
      t.row(r.containerId(), r.state(), r.processes(), Table.mib(r.anonBytes()), Table.mib(r.pageCacheBytes()),
          Table.mib(r.shmemBytes()), Table.mib(r.peakBytes()), Table.mib(r.limitBytes()),
          Table.count(r.limitHits()), Table.count(r.oomKills()), r.pressureSomeAvg10 < 0 ? "?"
              : String.format(Locale.ROOT, "%.2f/%.2f", r.pressureSomeAvg10, r.pressureFullAvg10));
    }
    return t.toString();
  }

  /** JSON for scripts: {@code {"root": ..., "containers": [ {...}, ... ]}}, sizes in bytes. */
  public static String json(Path root, List<Row> rows) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("root", root.toString());
    doc.put("containers", rows);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON for " + rows, e);
    }
  }
}
