package io.github.yarnmemcg.cli;

import io.github.yarnmemcg.cgroup.MemoryStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.commons.lang3.StringUtils;

/**
 * A plain-text table for a terminal: a header, then rows, each column as wide as its widest cell; the first
 * column is left-aligned and the others right-aligned, as numbers are. Also the byte formatting every
 * command shares, so that all of them print the same units.
 */
public final class Table {

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public Table(String... header) {
    this.header = Collections.unmodifiableList(Arrays.asList(header));
  }

  public Table row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, the header " + header.size());
    }
    List<String> row = new ArrayList<>();
    for (Object c : cells) {
      row.add(String.valueOf(c));
    }
    rows.add(row);
    return this;
  }

  public boolean isEmpty() {
    return rows.isEmpty();
  }

  @Override
  public String toString() {
    int[] width = new int[header.size()];
    for (List<String> r : allRows()) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> r : allRows()) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        String cell = r.get(i);
        String pad = StringUtils.repeat(' ', width[i] - cell.length());
        line.append(i == 0 ? cell + pad : "  " + pad + cell);
      }
      out.append(StringUtils.stripEnd(line.toString(), null)).append('\n');
    }
    return out.toString();
  }

  private List<List<String>> allRows() {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    return all;
  }

  /** {@link MemoryStats#mib}. */
  public static String mib(long bytes) {
    return MemoryStats.mib(bytes);
  }

  /** {@link MemoryStats#count}. */
  public static String count(long n) {
    return MemoryStats.count(n);
  }
}
