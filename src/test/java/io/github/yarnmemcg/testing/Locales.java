package io.github.yarnmemcg.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Locale;

/**
 * The locale a test JVM runs in. CI runs the tests tagged {@code locale} again with {@code LC_ALL=zh_CN.UTF-8} and
 * {@code de_DE.UTF-8} (built by {@code localedef} under {@code LOCPATH}), where the JDK words the kernel's errors
 * in that language: those runs prove that no decision reads the JDK's text, provided the text really changed.
 */
public final class Locales {
  private Locales() {}

  /** LC_ALL of this run, or null when the JVM runs in the environment's default. */
  public static String lcAll() {
    String v = System.getenv("LC_ALL");
    return v == null || v.isEmpty() ? null : v;
  }

  public static String describe() {
    return lcAll() == null ? "the default locale (LC_ALL unset)" : "LC_ALL=" + lcAll();
  }

  /** True when this run asked for a language other than English (C and POSIX are English). */
  public static boolean foreign() {
    String l = lcAll();
    return l != null && !l.equals("C") && !l.startsWith("C.") && !l.equals("POSIX")
        && !l.toLowerCase(Locale.ROOT).startsWith("en");
  }

  /** Asserts the JDK's text is the English one in an English run and a translation in a foreign one. */
  public static void assertTranslated(String english, String actual) {
    if (foreign()) {
      assertNotEquals(english, actual, describe() + " but the JDK still reports the kernel's error in English:"
          + " is the locale built under LOCPATH=" + System.getenv("LOCPATH") + "?");
    } else {
      assertEquals(english, actual, "in " + describe());
    }
  }
}
