package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The per-process CPU time v1 adds up, read from /proc/&lt;pid&gt;/stat as the kernel writes it. */
class MemcgProcessTreeTest {

  @Test
  void utimeAndStimeAreCountedAfterACommandNameWithSpacesAndParentheses() {
    String stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 1 0 12345 1000 10 "
        + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    assertEquals(42, MemcgProcessTree.utimePlusStime(stat));
  }

  @Test
  void readsTheKernelsOwnLineForThisProcess() throws Exception {
    String own = new String(Files.readAllBytes(Path.of("/proc/self/stat")), StandardCharsets.US_ASCII);
    String[] f = own.substring(own.lastIndexOf(')') + 2).split(" ");
    assertEquals(Long.parseLong(f[11]) + Long.parseLong(f[12]), MemcgProcessTree.utimePlusStime(own));
  }
}
