package io.github.yarnmemcg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The doctor's findings as the operator reads them, in text or as JSON for scripts, and whether they make a healthy
 * node: every check adds its lines to one list, and only this class decides how the list is printed and which exit
 * code it gives, so that the checks never need to agree on anything but {@link Finding}.
 */
public final class DoctorReport {
  private DoctorReport() {}

  /** The report as printed, ending with a summary line. */
  public static String text(List<Finding> findings) {
    StringBuilder out = new StringBuilder();
    findings.forEach(f -> out.append(f).append('\n'));
    long problems = count(findings, Finding.Level.FAIL);
    long warnings = count(findings, Finding.Level.WARN);
    out.append(problems == 0 ? "doctor: no problem found" : "doctor: " + problems + " problem(s) found")
        .append(warnings == 0 ? "" : ", " + warnings + " warning(s)").append('\n');
    return out.toString();
  }

  /**
   * The findings as JSON for scripts: {@code {"healthy": bool, "problems": n, "warnings": n, "findings": [{"level":
   * "OK|INFO|WARN|FAIL", "text": ...}]}}, the exit code as for the text report.
   */
  public static String json(List<Finding> findings) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("healthy", healthy(findings));
    doc.put("problems", count(findings, Finding.Level.FAIL));
    doc.put("warnings", count(findings, Finding.Level.WARN));
    List<Map<String, String>> list = new ArrayList<>();
    for (Finding f : findings) {
      Map<String, String> one = new LinkedHashMap<>();
      one.put("level", f.level().name());
      one.put("text", f.text());
      list.add(one);
    }
    doc.put("findings", list);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the doctor's findings as JSON", e);
    }
  }

  /** No finding is a problem: the doctor exits 0. */
  public static boolean healthy(List<Finding> findings) {
    return findings.stream().noneMatch(f -> f.level() == Finding.Level.FAIL);
  }

  private static long count(List<Finding> findings, Finding.Level level) {
    return findings.stream().filter(f -> f.level() == level).count();
  }
}
