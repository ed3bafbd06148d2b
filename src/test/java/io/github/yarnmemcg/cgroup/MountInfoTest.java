package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.FuzzInput;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountInfoTest {

  static final String V1_MEMORY = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory";
  static final String V1_CPU = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu";
  static final String TMPFS = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755";
  static final String CGROUP2 =
      "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2"
          + " rw,nsdelegate,memory_recursiveprot";
  static final String ROOTFS = "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw";

  static final List<String> REAL_LINES = List.of(V1_MEMORY, V1_CPU, TMPFS, CGROUP2, ROOTFS,
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
      "100 29 0:26 /kubepods/pod1 /var/lib/kubelet/cg rw,relatime shared:5 master:1 - cgroup2 cgroup2 rw",
      "58 22 0:50 / /mnt/my\\040disk rw,relatime - ext4 /dev/sdb1 rw");

  @Test
  void parsesCgroupV1MemoryMount() {
    List<MountInfo> mounts = MountInfo.parse(V1_MEMORY);
    assertEquals(1, mounts.size());
    MountInfo m = mounts.get(0);
    assertEquals(Paths.get("/sys/fs/cgroup/memory"), m.mountPoint());
    assertEquals("/", m.root());
    assertEquals("cgroup", m.fsType());
    assertEquals(Set.of("rw", "memory"), m.superOptions());
  }

  @Test
  void parsesCgroup2MountWithOptionalField() {
    MountInfo m = MountInfo.parse(CGROUP2).get(0);
    assertEquals(Paths.get("/sys/fs/cgroup"), m.mountPoint());
    assertEquals("/", m.root());
    assertEquals("cgroup2", m.fsType());
    assertEquals(Set.of("rw", "nsdelegate", "memory_recursiveprot"), m.superOptions());
  }

  @Test
  void parsesSeveralOptionalFieldsBeforeTheDash() {
    String line = "100 29 0:26 /kubepods/pod1 /var/lib/kubelet/cg rw,relatime shared:5 master:1 propagate_from:2"
        + " unbindable - cgroup cgroup rw,memory";
    MountInfo m = MountInfo.parse(line).get(0);
    assertEquals(Paths.get("/var/lib/kubelet/cg"), m.mountPoint());
    assertEquals("/kubepods/pod1", m.root());
    assertEquals("cgroup", m.fsType());
    assertTrue(m.superOptions().contains("memory"));
  }

  @Test
  void unescapesOctalEscapesInMountPointAndRoot() {
    MountInfo m = MountInfo.parse("58 22 0:50 /a\\011b /mnt/my\\040disk\\134x rw - ext4 /dev/sdb1 rw").get(0);
    assertEquals(Paths.get("/mnt/my disk\\x"), m.mountPoint());
    assertEquals("/a\tb", m.root());
  }

  @Test
  void parsesWholeTableInOrder() {
    List<MountInfo> mounts = MountInfo.parse(String.join("\n", REAL_LINES) + "\n");
    assertEquals(REAL_LINES.size(), mounts.size());
    assertEquals(Paths.get("/sys/fs/cgroup/memory"), mounts.get(0).mountPoint());
    assertEquals(Paths.get("/mnt/my disk"), mounts.get(mounts.size() - 1).mountPoint());
  }

  @Test
  void toleratesExtraWhitespaceAndCarriageReturns() {
    List<MountInfo> mounts = MountInfo.parse("  " + V1_MEMORY.replace(" - ", "   -   ") + "  \r\n\n\n");
    assertEquals(1, mounts.size());
    assertEquals("cgroup", mounts.get(0).fsType());
    assertEquals(Set.of("rw", "memory"), mounts.get(0).superOptions());
  }

  @Test
  void allowsDuplicateSuperOptions() {
    MountInfo m = MountInfo.parse("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory,memory,rw")
        .get(0);
    assertEquals(Set.of("rw", "memory"), m.superOptions());
  }

  @Test
  void missingSuperOptionsGiveEmptySet() {
    List<MountInfo> mounts = MountInfo.parse("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup");
    assertEquals(1, mounts.size());
    assertTrue(mounts.get(0).superOptions().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      " ",
      "-",
      "35",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime -",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime cgroup cgroup rw,memory",
      "35 31 - / /sys/fs/cgroup/memory rw cgroup cgroup rw,memory",
      "35 31 0:32 / relative/mount rw,relatime - cgroup cgroup rw,memory",
      "35 31 0:32 / /sys/fs/cgroup/mem\\04 rw,relatime - cgroup cgroup rw,memory",
      "35 31 0:32 / /sys/fs/cgroup/mem\\ rw,relatime - cgroup cgroup rw,memory",
      "35 31 0:32 / /sys/fs/cgroup/mem\\9zz rw,relatime - cgroup cgroup rw,memory",
      "35 31 0:32 / /sys/fs/cgroup/mem\\000x rw,relatime - cgroup cgroup rw,memory",
      "35 31 0:32 /bad\\8 /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
      "35\t31\t0:32\t/\t/sys/fs/cgroup/memory\trw\t-\tcgroup\tcgroup\trw,memory",
  })
  void skipsMalformedLines(String line) {
    assertEquals(List.of(), MountInfo.parse(line), () -> "line should be skipped: " + line);
  }

  @Test
  void malformedLinesDoNotHideGoodOnes() {
    String text = "garbage\n" + V1_CPU + "\n35 31 0:32 / /x\\0 rw - cgroup cgroup rw\n\n" + V1_MEMORY
        + "\n35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup";
    List<MountInfo> mounts = MountInfo.parse(text);
    assertEquals(2, mounts.size());
    assertEquals(Paths.get("/sys/fs/cgroup/cpu"), mounts.get(0).mountPoint());
    assertEquals(Paths.get("/sys/fs/cgroup/memory"), mounts.get(1).mountPoint());
  }

  @Test
  void readsAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mountinfo");
    java.nio.file.Files.writeString(file, V1_MEMORY + "\n" + CGROUP2 + "\n");
    assertEquals(2, MountInfo.read(file).size());
  }

  @Test
  void readsThisProcessMountTable() throws Exception {
    // Never throws on real content; the root filesystem is always there.
    List<MountInfo> mounts = MountInfo.read(MountInfo.PROC_SELF_MOUNTINFO);
    assertTrue(mounts.stream().anyMatch(m -> m.mountPoint().equals(Paths.get("/"))), mounts::toString);
  }

  /** Random and truncated input: parse never throws, and everything it returns is well formed. */
  @Test
  void fuzzParseNeverThrows() {
    Random random = new Random(0x5eed_1234L);
    String alphabet = " -\\/0123457:,\t\n\r\0abcmemorycgroup2shared:5";
    for (int i = 0; i < 5000; i++) {
      String input;
      switch (i % 6) {
        case 0: // random chars, including surrogates and control characters
          input = FuzzInput.chars(random, 200);
          break;
        case 1: // random bytes as chars
          input = FuzzInput.bytes(random, 200);
          break;
        case 2: { // real lines cut at random places and glued together
          StringBuilder sb = new StringBuilder();
          int n = 1 + random.nextInt(5);
          for (int j = 0; j < n; j++) {
            sb.append(FuzzInput.cut(random, REAL_LINES.get(random.nextInt(REAL_LINES.size()))));
            if (random.nextBoolean()) {
              sb.append('\n');
            }
          }
          input = sb.toString();
          break;
        }
        case 3: // many dashes, backslashes and separators
          input = FuzzInput.from(random, alphabet, 120);
          break;
        case 4: { // a real line with one random token replaced
          String line = REAL_LINES.get(random.nextInt(REAL_LINES.size()));
          String[] f = line.split(" ");
          String[] junk = {"-", "\\", "\\0", "\\04", "\\040", "\\777", "\\000", "", " ", "--", "- -", ",", ",,",
              "\\\\\\\\", "/", "relative"};
          f[random.nextInt(f.length)] = junk[random.nextInt(junk.length)];
          input = String.join(" ", f);
          break;
        }
        default: { // real lines with random single-character mutations
          char[] c = String.join("\n", REAL_LINES).toCharArray();
          int n = 1 + random.nextInt(10);
          for (int j = 0; j < n; j++) {
            c[random.nextInt(c.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
          }
          input = new String(c);
          break;
        }
      }
      String in = input;
      List<MountInfo> mounts = assertDoesNotThrow(() -> MountInfo.parse(in), () -> "input: " + escape(in));
      assertNotNull(mounts);
      for (MountInfo m : mounts) {
        assertTrue(m.mountPoint().isAbsolute(), () -> "input: " + escape(in));
        assertNotNull(m.root());
        assertNotNull(m.fsType());
        assertNotNull(m.superOptions());
      }
    }
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c < 0x20 || c > 0x7e) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
