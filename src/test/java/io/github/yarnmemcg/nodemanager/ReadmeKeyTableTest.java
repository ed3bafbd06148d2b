package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's settings table must list exactly the keys in code, with the same defaults. */
class ReadmeKeyTableTest {

  @Test
  void readmeTableMatchesTheKeysInCode() throws Exception {
    Pattern row = Pattern.compile("^\\| `(" + Pattern.quote(MemcgKeys.PREFIX) + "[^`]+)` \\| `([^`]*)` \\|",
        Pattern.MULTILINE);
    Matcher m = row.matcher(Files.readString(Path.of("README.md")));
    Map<String, String> documented = new LinkedHashMap<>();
    while (m.find()) {
      documented.put(m.group(1), m.group(2));
    }
    Map<String, String> inCode = new LinkedHashMap<>();
    MemcgKeys.KEYS.forEach(k -> inCode.put(k.name(), k.defaultValue()));
    assertEquals(inCode, documented);
  }
}
