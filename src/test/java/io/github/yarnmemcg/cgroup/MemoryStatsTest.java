package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.FuzzInput;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemoryStatsTest {

  /** A real cgroup v1 memory.stat, as read from {@code /sys/fs/cgroup/memory/memory.stat} on a 6.x kernel. */
  static final String V1_SAMPLE = String.join("\n",
      "cache 9330688",
      "rss 3919872",
      "rss_huge 0",
      "shmem 9068544",
      "mapped_file 7450624",
      "dirty 20480",
      "writeback 0",
      "workingset_refault_anon 0",
      "workingset_refault_file 861",
      "swap 0",
      "swapcached 0",
      "pgpgin 33976",
      "pgpgout 30741",
      "pgfault 32284",
      "pgmajfault 0",
      "inactive_anon 0",
      "active_anon 1531904",
      "inactive_file 8192",
      "active_file 253952",
      "unevictable 11456512",
      "hierarchical_memory_limit 9223372036854771712",
      "hierarchical_memsw_limit 9223372036854771712",
      "total_cache 202289152",
      "total_rss 6971392",
      "total_rss_huge 0",
      "total_shmem 9068544",
      "total_mapped_file 10862592",
      "total_dirty 561152",
      "total_writeback 0",
      "total_workingset_refault_anon 0",
      "total_workingset_refault_file 339938",
      "total_swap 0",
      "total_swapcached 0",
      "total_pgpgin 4618361",
      "total_pgpgout 4569687",
      "total_pgfault 4627249",
      "total_pgmajfault 1254",
      "total_inactive_anon 2932736",
      "total_active_anon 1552384",
      "total_inactive_file 94076928",
      "total_active_file 99143680",
      "total_unevictable 11456512") + "\n";

  /** A cgroup v2 memory.stat in the shape of a 6.x kernel (values made up, keys as the kernel writes them). */
  static final String V2_SAMPLE = String.join("\n",
      "anon 52305920",
      "file 209715200",
      "kernel 4554752",
      "kernel_stack 327680",
      "pagetables 741376",
      "sec_pagetables 0",
      "percpu 1440",
      "sock 0",
      "vmalloc 0",
      "shmem 8388608",
      "zswap 0",
      "zswapped 0",
      "file_mapped 16777216",
      "file_dirty 1052672",
      "file_writeback 135168",
      "swapcached 0",
      "anon_thp 0",
      "file_thp 0",
      "shmem_thp 0",
      "inactive_anon 60694528",
      "active_anon 8192",
      "inactive_file 150994944",
      "active_file 50331648",
      "unevictable 0",
      "slab_reclaimable 2621440",
      "slab_unreclaimable 786432",
      "slab 3407872",
      "workingset_refault_anon 0",
      "workingset_refault_file 12",
      "workingset_activate_anon 0",
      "workingset_activate_file 3",
      "workingset_restore_anon 0",
      "workingset_restore_file 0",
      "workingset_nodereclaim 0",
      "pgscan 0",
      "pgsteal 0",
      "pgscan_kswapd 0",
      "pgscan_direct 0",
      "pgsteal_kswapd 0",
      "pgsteal_direct 0",
      "pgfault 181934",
      "pgmajfault 7",
      "pgrefill 0",
      "pgactivate 12812",
      "pgdeactivate 0",
      "pglazyfree 0",
      "pglazyfreed 0",
      "thp_fault_alloc 0",
      "thp_collapse_alloc 0") + "\n";

  @Test
  void parsesRealV1Sample() {
    Map<String, Long> v = KeyValues.parse(V1_SAMPLE);
    assertEquals(42, v.size());
    assertEquals(9330688L, v.get("cache"));
    assertEquals(3919872L, v.get("rss"));
    assertEquals(9068544L, v.get("shmem"));
    assertEquals(7450624L, v.get("mapped_file"));
    assertEquals(20480L, v.get("dirty"));
    assertEquals(0L, v.get("writeback"));
    assertEquals(9223372036854771712L, v.get("hierarchical_memory_limit"));
    assertEquals(99143680L, v.get("total_active_file"));
  }

  @Test
  void parsesV2Sample() {
    Map<String, Long> v = KeyValues.parse(V2_SAMPLE);
    assertEquals(49, v.size());
    assertEquals(52305920L, v.get("anon"));
    assertEquals(209715200L, v.get("file"));
    assertEquals(8388608L, v.get("shmem"));
    assertEquals(16777216L, v.get("file_mapped"));
    assertEquals(1052672L, v.get("file_dirty"));
    assertEquals(135168L, v.get("file_writeback"));
    assertEquals(0L, v.get("thp_collapse_alloc"));
  }

  @Test
  void selectsTheWantedKeysInTheirOrderAsTheFullParseReadsThem() {
    for (String sample : List.of(V1_SAMPLE, V2_SAMPLE)) {
      Map<String, Long> all = KeyValues.parse(sample);
      String[] keys = {"shmem", "absent", "anon", "rss", "file", "cache", "total_cache", "swap"};
      long[] selected = KeyValues.select(sample, keys);
      for (int k = 0; k < keys.length; k++) {
        assertEquals(all.getOrDefault(keys[k], MemoryStats.UNKNOWN), selected[k], keys[k]);
      }
    }
    // A key is matched whole, never by prefix; a malformed value is skipped; a later line wins.
    assertArrayEquals(new long[] {3, MemoryStats.UNKNOWN, 9},
        KeyValues.select("file_mapped 1\nfile 3\nanon x\nanon 1 2\nswap 8\nswap 9", "file", "anon", "swap"));
  }

  @Test
  void aValuePastTheLargestLongIsUnknownNotWrapped() {
    assertEquals(Long.MAX_VALUE, KeyValues.parseValue(Long.toString(Long.MAX_VALUE)));
    assertEquals(MemoryStats.UNKNOWN, KeyValues.parseValue("9223372036854775808"));
    assertEquals(MemoryStats.UNKNOWN, KeyValues.parseValue("9999999999999999999"));
    assertEquals(MemoryStats.UNKNOWN, KeyValues.parseValue("-1"));
  }

  @Test
  void toleratesUnknownKeysAndWhitespace() {
    Map<String, Long> v = KeyValues.parse(
        "some_future_key 7\n  anon\t12  \r\nfile 3\n\n\nlow 0\nhigh max\noom_kill 2");
    assertEquals(Map.of("some_future_key", 7L, "anon", 12L, "file", 3L, "low", 0L, "high", Long.MAX_VALUE,
        "oom_kill", 2L), v);
  }

  @Test
  void parsesOomControl() {
    Map<String, Long> v = KeyValues.parse("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    assertEquals(3L, v.get("oom_kill"));
    assertEquals(0L, v.get("under_oom"));
  }

  @Test
  void skipsLinesThatAreNotKeyAndWholeNumber() {
    Map<String, Long> v = KeyValues.parse(String.join("\n",
        "three fields 1",
        "a 1 2",
        "lonely",
        "neg -1",
        "frac 1.5",
        "hex 0x10",
        "plus +3",
        "word abc",
        "unit 10M",
        "overflow 9223372036854775808",
        "toolong 123456789012345678901234",
        "MAX MAX",
        "good 42"));
    assertEquals(Map.of("good", 42L), v);
  }

  @Test
  void laterDuplicateKeyWins() {
    assertEquals(Map.of("anon", 2L), KeyValues.parse("anon 1\nanon 2\n"));
  }

  @Test
  void emptyTextGivesEmptyMap() {
    assertTrue(KeyValues.parse("").isEmpty());
    assertTrue(KeyValues.parse("\n\n").isEmpty());
  }

  @Test
  void parseValueReadsNumbersAndMax() {
    assertEquals(0L, KeyValues.parseValue("0"));
    assertEquals(123L, KeyValues.parseValue("123"));
    assertEquals(123L, KeyValues.parseValue("123\n"));
    assertEquals(123L, KeyValues.parseValue("  123 \n"));
    assertEquals(Long.MAX_VALUE, KeyValues.parseValue("max"));
    assertEquals(Long.MAX_VALUE, KeyValues.parseValue("max\n"));
    assertEquals(Long.MAX_VALUE, KeyValues.parseValue("9223372036854775807"));
    assertEquals(9223372036854771712L, KeyValues.parseValue("9223372036854771712\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\n", "-1", "-0", "+1", "1.0", "1e3", "0x1", "abc", "Max", "max max", "1 2",
      "9223372036854775808", "9999999999999999999", "18446744073709551615", "99999999999999999999999"})
  void parseValueGivesUnknownForAnythingElse(String text) {
    assertEquals(MemoryStats.UNKNOWN, KeyValues.parseValue(text), () -> "'" + text + "'");
  }

  @Test
  void pageCacheExcludesShmem() {
    assertEquals(200L, stats(1000, 300, 100).pageCache());
    assertEquals(0L, stats(1000, 100, 100).pageCache());
  }

  @Test
  void pageCacheTreatsUnknownAsZero() {
    assertEquals(300L, stats(1000, 300, MemoryStats.UNKNOWN).pageCache());
    assertEquals(0L, stats(1000, MemoryStats.UNKNOWN, 100).pageCache());
    assertEquals(0L, stats(1000, MemoryStats.UNKNOWN, MemoryStats.UNKNOWN).pageCache());
  }

  @Test
  void pageCacheNeverNegative() {
    assertEquals(0L, stats(0, 10, 50).pageCache());
  }

  @Test
  void containerMemoryIsAnonPlusShmemNeverPageCache() {
    assertEquals(1100L, stats(1000, 300, 100).containerMemory());
    assertEquals(100L, stats(MemoryStats.UNKNOWN, 300, 100).containerMemory());
    assertEquals(1000L, stats(1000, 300, MemoryStats.UNKNOWN).containerMemory());
    assertEquals(0L, stats(MemoryStats.UNKNOWN, 300, MemoryStats.UNKNOWN).containerMemory());
  }

  /** The charge counter bounds what per-CPU-batched statistics still show (kernels before 5.13). */
  @Test
  void theChargeCounterBoundsStalePageCache() {
    MemoryStats stale = MemoryStats.builder().anon(77824).file(135168).shmem(0).mappedFile(0).activeFile(131072)
        .inactiveFile(4096).dirty(8192).writeback(0).swap(0).usage(4096).peak(1 << 26).limit(1 << 26).limitHits(3)
        .oom(0).oomKill(0).build();
    MemoryStats bounded = stale.withPageCacheAtMost(4096);
    assertEquals(4096L, bounded.pageCache());
    assertEquals(4096L, bounded.activeFile());
    assertEquals(4096L, bounded.dirty());
    assertEquals(77824L, bounded.anon(), "the rest is kept");
    assertEquals(135168L, stale.withPageCacheAtMost(1 << 20).pageCache(), "never raised");
    MemoryStats none = stale.withNothingCharged();
    assertEquals(0L, none.pageCache());
    assertEquals(0L, none.anon());
    assertEquals(0L, none.usage());
    assertEquals(3L, none.limitHits(), "the event counts are kept");
    // shmem stays within the file figure it is part of
    MemoryStats withShmem = MemoryStats.builder().anon(0).file(10 << 20).shmem(4 << 20).mappedFile(0).activeFile(0)
        .inactiveFile(0).dirty(0).writeback(0).swap(0).usage(0).peak(0).limit(0).limitHits(0).oom(0).oomKill(0)
        .build();
    assertEquals(1L << 20, withShmem.withPageCacheAtMost(1 << 20).pageCache());
  }

  private static MemoryStats stats(long anon, long file, long shmem) {
    return MemoryStats.builder().anon(anon).file(file).shmem(shmem).build();
  }

  /** Random and truncated input: both parsers only ever return their documented results. */
  @Test
  void fuzzParsersNeverThrow() {
    Random random = new Random(0xC0FFEEL);
    String[] samples = {V1_SAMPLE, V2_SAMPLE};
    String alphabet = "0123456789 \t\n\r-+.maxMAXe_abc\0\u0660\u00a0";
    for (int i = 0; i < 4000; i++) {
      String input;
      switch (i % 5) {
        case 0:
          input = FuzzInput.chars(random, 100);
          break;
        case 1:
          input = FuzzInput.bytes(random, 100);
          break;
        case 2: // a real sample cut at random places
          input = FuzzInput.cut(random, samples[random.nextInt(samples.length)]);
          break;
        case 3:
          input = FuzzInput.from(random, alphabet, 60);
          break;
        default: { // long digit runs around the overflow boundary
          StringBuilder sb = new StringBuilder();
          int n = 1 + random.nextInt(25);
          for (int j = 0; j < n; j++) {
            sb.append((char) ('0' + random.nextInt(10)));
          }
          input = random.nextBoolean() ? sb.toString() : "key " + sb;
          break;
        }
      }
      String in = input;
      Map<String, Long> map = assertDoesNotThrow(() -> KeyValues.parse(in), in);
      assertNotNull(map);
      for (Map.Entry<String, Long> e : map.entrySet()) {
        assertFalse(e.getKey().isEmpty(), in);
        assertTrue(e.getValue() >= 0, in);
      }
      long v = assertDoesNotThrow(() -> KeyValues.parseValue(in), in);
      assertTrue(v >= 0 || v == MemoryStats.UNKNOWN, in);
    }
  }
}
