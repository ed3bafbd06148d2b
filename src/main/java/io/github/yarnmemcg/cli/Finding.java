package io.github.yarnmemcg.cli;

/** One line of the doctor's report: how serious it is and what it says in plain words. */
public final class Finding {

  /** How serious a finding is; only {@link #FAIL} makes the doctor exit non-zero. */
  public enum Level {
    OK, INFO, WARN, FAIL
  }

  private final Level level;
  private final String text;

  public Finding(Level level, String text) {
    this.level = level;
    this.text = text;
  }

  public Level level() {
    return level;
  }

  public String text() {
    return text;
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
  public boolean equals(Object o) {
    return o instanceof Finding && ((Finding) o).level == level && ((Finding) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return 31 * level.hashCode() + text.hashCode();
  }

  @Override
  public String toString() {
    return String.format("%-5s %s", level, text);
  }
}
