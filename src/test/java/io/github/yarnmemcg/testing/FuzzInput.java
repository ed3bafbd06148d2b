package io.github.yarnmemcg.testing;

import java.util.Random;

/** Random and truncated text for the parser fuzz tests, from a seeded {@link Random} so failures repeat. */
public final class FuzzInput {
  private FuzzInput() {}

  /** Up to {@code maxLength - 1} arbitrary UTF-16 chars, surrogates and control characters included. */
  public static String chars(Random random, int maxLength) {
    char[] c = new char[random.nextInt(maxLength)];
    for (int j = 0; j < c.length; j++) {
      c[j] = (char) random.nextInt(0x10000);
    }
    return new String(c);
  }

  /** Up to {@code maxLength - 1} random bytes, each read as one char, as a kernel file read as Latin-1 would. */
  public static String bytes(Random random, int maxLength) {
    byte[] b = new byte[random.nextInt(maxLength)];
    random.nextBytes(b);
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append((char) (x & 0xff));
    }
    return sb.toString();
  }

  /** Up to {@code maxLength - 1} chars drawn from {@code alphabet}. */
  public static String from(Random random, String alphabet, int maxLength) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(maxLength);
    for (int j = 0; j < n; j++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /** A random piece of {@code s}, possibly empty or whole: a truncated read. */
  public static String cut(Random random, String s) {
    int a = random.nextInt(s.length() + 1);
    int b = a + random.nextInt(s.length() - a + 1);
    return s.substring(a, b);
  }
}
