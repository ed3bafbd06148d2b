package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.FuzzInput;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The third parser of kernel text, {@code /proc/<pid>/cgroup} (read by the container monitor for every
 * container process), fuzzed like memory.stat and mountinfo: random and truncated input never throws, and a
 * cgroup it returns is always inside the mount.
 */
class ProcPidCgroupFuzzTest {

  static final List<String> SAMPLES = List.of(
      "12:pids:/hadoop-yarn/container_1\n4:memory:/hadoop-yarn-memcg/container_1700000000000_0001_01_000001\n"
          + "1:name=systemd:/user.slice\n0::/user.slice/session-1.scope\n",
      "0::/hadoop-yarn-memcg/container_e17_1700000000000_0001_01_000002\n",
      "5:cpu,cpuacct,memory:/a/b\n");

  @Test
  void randomAndTruncatedInputNeverThrowsAndStaysInsideTheMount() {
    Random random = new Random(0x0c9_0009L);
    String alphabet = "0123456789:/,.\n\r\t \0\\memorycpuname=systemd..";
    Path mount = Paths.get("/sys/fs/cgroup/memory");
    List<MemoryMount> mounts = List.of(new MemoryMount(mount, CgroupVersion.V1),
        new MemoryMount(Paths.get("/sys/fs/cgroup"), CgroupVersion.V2));
    for (int i = 0; i < 20_000; i++) {
      String input;
      switch (i % 5) {
        case 0:
          input = FuzzInput.chars(random, 120);
          break;
        case 1:
          input = FuzzInput.bytes(random, 120);
          break;
        case 2:
          input = FuzzInput.cut(random, SAMPLES.get(random.nextInt(SAMPLES.size())));
          break;
        case 3:
          input = FuzzInput.from(random, alphabet, 80);
          break;
        default: { // a real line with its path replaced by random path text
          String prefix = random.nextBoolean() ? "4:memory:" : "0::";
          input = prefix + "/" + FuzzInput.from(random, alphabet, 60);
          break;
        }
      }
      String in = input;
      for (MemoryMount m : mounts) {
        Optional<Path> cgroup = assertDoesNotThrow(() -> m.cgroupOfProcess(in), () -> "input: " + escape(in));
        cgroup.ifPresent(p -> assertTrue(p.startsWith(m.path()), () -> p + " from " + escape(in)));
      }
    }
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return sb.toString();
  }
}
