package io.github.yarnmemcg.cli;

/** One line of the doctor's report: how serious it is and what it says in plain words. */
public record Finding(Level level, String text) {

  /** How serious a finding is; only {@link #FAIL} makes the doctor exit non-zero. */
  public enum Level {
    OK, INFO, WARN, FAIL
  }

  public static Finding ok(String text) {
    return new Finding(Level.OK, text);
  }

  public static Finding info(String text) {
    return new Finding(Level.INFO, text);
  }

  public static Finding warn(String text) {
    return new Finding(Level.WARN, text);
  }

  public static Finding fail(String text) {
    return new Finding(Level.FAIL, text);
  }

  @Override
  public String toString() {
    return String.format("%-5s %s", level, text);
  }
}
