package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import io.github.yarnmemcg.lifecycle.DrainWhen;
import io.github.yarnmemcg.lifecycle.LifecycleSettings;
import io.github.yarnmemcg.lifecycle.RetireSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MemcgConfigurationTest {

  private static Configuration conf(String key, String value) {
    Configuration conf = new Configuration(false);
    conf.set(key, value);
    return conf;
  }

  private static MemcgConfiguration withRoot(String root) {
    return MemcgConfiguration.from(conf(MemcgKeys.ROOT.name(), root));
  }

  private static void assertNamesKeyAndValue(IllegalArgumentException e, String key, String value) {
    String msg = e.getMessage();
    assertTrue(msg.contains(key), () -> "message should name the key " + key + ": " + msg);
    assertTrue(msg.contains("'" + value + "'"), () -> "message should quote the value '" + value + "': " + msg);
  }

  // ---- defaults ----

  @Test
  void theNodeLimitIsTheContainersMemoryByDefaultANumberOrOff() {
    Configuration c = conf("yarn.nodemanager.resource.memory-mb", "6144");
    assertEquals(6144L << 20, MemcgConfiguration.from(c).nodeLimitBytes());
    c.set(MemcgKeys.NODE_LIMIT_MB.name(), "4096");
    assertEquals(4096L << 20, MemcgConfiguration.from(c).nodeLimitBytes());
    c.set(MemcgKeys.NODE_LIMIT_MB.name(), "OFF");
    assertEquals(Long.MAX_VALUE, MemcgConfiguration.from(c).nodeLimitBytes());
    for (String bad : new String[] {"lots", "-1", "63"}) {
      c.set(MemcgKeys.NODE_LIMIT_MB.name(), bad);
      assertNamesKeyAndValue(assertThrows(IllegalArgumentException.class, () -> MemcgConfiguration.from(c)),
          MemcgKeys.NODE_LIMIT_MB.name(), bad);
    }
  }

  @Test
  void durationsTakeHadoopsUnitsAndAPlainNumberIsMilliseconds() {
    Configuration c = new Configuration(false);
    c.set(MemcgKeys.DRAIN_TIMEOUT_MS.name(), "90s");
    c.set(MemcgKeys.DRAIN_WAIT_MAX_MS.name(), "2h");
    c.set(MemcgKeys.SWEEP_INTERVAL_MS.name(), "10m");
    c.set(MemcgKeys.KILL_TIMEOUT_MS.name(), "2500");
    MemcgConfiguration m = MemcgConfiguration.from(c);
    assertEquals(Duration.ofSeconds(90), m.lifecycle().drainTimeout());
    assertEquals(Duration.ofHours(2), m.lifecycle().maxWait());
    assertEquals(Duration.ofMinutes(10), m.sweepInterval());
    assertEquals(Duration.ofMillis(2500), m.lifecycle().killTimeout());
    for (String bad : new String[] {"soon", "1e3", "-1s", "2d"}) {
      Configuration b = conf(MemcgKeys.KILL_TIMEOUT_MS.name(), bad);
      assertNamesKeyAndValue(assertThrows(IllegalArgumentException.class, () -> MemcgConfiguration.from(b)),
          MemcgKeys.KILL_TIMEOUT_MS.name(), bad);
    }
  }

  @Test
  void swapAndTheKillOrderDefaultsAndBounds() {
    MemcgConfiguration d = MemcgConfiguration.from(new Configuration(false));
    assertEquals(0, d.lifecycle().swapPercent());
    assertEquals(0, d.lifecycle().swapBytes(1L << 30));
    assertEquals(OomOrder.of(500, 1000), d.oomOrder());
    assertEquals(Long.MAX_VALUE, MemcgConfiguration.from(conf(MemcgKeys.SWAP_PERCENT.name(), "-1"))
        .lifecycle().swapBytes(1L << 30));
    assertEquals(3L << 28, MemcgConfiguration.from(conf(MemcgKeys.SWAP_PERCENT.name(), "75"))
        .lifecycle().swapBytes(1L << 30));
    for (String[] bad : new String[][] {{MemcgKeys.SWAP_PERCENT.name(), "-2"},
        {MemcgKeys.OOM_SCORE_ADJ_GUARANTEED.name(), "1001"},
        {MemcgKeys.OOM_SCORE_ADJ_OPPORTUNISTIC.name(), "high"}}) {
      assertNamesKeyAndValue(assertThrows(IllegalArgumentException.class,
          () -> MemcgConfiguration.from(conf(bad[0], bad[1]))), bad[0], bad[1]);
    }
  }

  @Test
  void defaultsParseIntoTheLifecycleSettings() {
    MemcgConfiguration c = MemcgConfiguration.from(new Configuration(false));
    assertEquals(Optional.empty(), c.mode());
    assertEquals("hadoop-yarn-memcg", c.root());
    LifecycleSettings s = c.lifecycle();
    assertTrue(s.drainEnabled());
    assertEquals(Duration.ofMillis(60_000), s.drainTimeout());
    assertEquals(Duration.ofMillis(5_000), s.deleteTimeout());
    assertEquals(Duration.ofMillis(5_000), s.killTimeout());
    assertEquals(90, s.softLimitPercent());
    assertEquals(0, s.swappiness());
    assertEquals(2, s.cleanupThreads());
    assertEquals(Duration.ofMillis(3_600_000), s.reaperGiveUp());
    assertEquals(Duration.ofMinutes(10), c.sweepInterval());
    assertEquals(DrainWhen.AUTO, s.drainWhen());
    assertEquals(Duration.ofHours(1), s.maxWait());
    assertEquals(512, s.maxWaiting());
    assertEquals(RetireSettings.defaults(), s.retire());
    // The lifecycle's own defaults are the keys': one default per setting (drain.when's auto is the adapter's).
    assertEquals(LifecycleSettings.defaults().toBuilder().drainWhen(DrainWhen.AUTO).build(), s);
  }

  @Test
  void everyKeyHasThePrefixADefaultAndADescription() {
    Set<String> names = new HashSet<>();
    for (MemcgKeys.Key k : MemcgKeys.KEYS) {
      assertTrue(k.name().startsWith(MemcgKeys.PREFIX), k.name());
      assertFalse(k.defaultValue().isEmpty(), k.name());
      assertFalse(k.description().isBlank(), k.name());
      assertTrue(names.add(k.name()), "duplicate key " + k.name());
    }
    assertEquals(MemcgKeys.KEYS.size(), names.size());
  }

  @Test
  void explicitDefaultsGiveTheSameAsNone() {
    Configuration conf = new Configuration(false);
    for (MemcgKeys.Key k : MemcgKeys.KEYS) {
      conf.set(k.name(), k.defaultValue());
    }
    assertEquals(MemcgConfiguration.from(new Configuration(false)), MemcgConfiguration.from(conf));
  }

  @Test
  void validNonDefaultValuesAreRead() {
    Configuration conf = new Configuration(false);
    conf.set(MemcgKeys.MODE.name(), " V2 ");
    conf.set(MemcgKeys.ROOT.name(), "/sys/fs/cgroup/yarn/memcg");
    conf.set(MemcgKeys.DRAIN_ENABLED.name(), "FALSE");
    conf.set(MemcgKeys.DRAIN_TIMEOUT_MS.name(), "1");
    conf.set(MemcgKeys.DELETE_TIMEOUT_MS.name(), " 86400000 ");
    conf.set(MemcgKeys.KILL_TIMEOUT_MS.name(), "250");
    conf.set(MemcgKeys.SOFT_LIMIT_PERCENT.name(), "100");
    conf.set(MemcgKeys.SWAPPINESS.name(), "100");
    conf.set(MemcgKeys.CLEANUP_THREADS.name(), "64");
    conf.set(MemcgKeys.REAPER_GIVE_UP_MS.name(), "2592000000");
    conf.set(MemcgKeys.SWEEP_INTERVAL_MS.name(), "0");
    conf.set(MemcgKeys.DRAIN_WHEN.name(), " Container-Exit ");
    conf.set(MemcgKeys.DRAIN_WAIT_MAX_MS.name(), "0");
    conf.set(MemcgKeys.DRAIN_WAIT_MAX_CGROUPS.name(), "100000");
    conf.set(MemcgKeys.RETIRE_MAX_CGROUPS.name(), "0");
    conf.set(MemcgKeys.RETIRE_KERNEL_MEMORY_MB.name(), "1048576");
    conf.set(MemcgKeys.RETIRE_RELEASE_BELOW_KB.name(), "0");
    conf.set(MemcgKeys.RETIRE_CHECK_INTERVAL_MS.name(), "100");
    MemcgConfiguration c = MemcgConfiguration.from(conf);
    assertEquals(Duration.ZERO, c.sweepInterval(), "0 turns the periodic sweep off");
    assertEquals(Optional.of(CgroupVersion.V2), c.mode());
    assertEquals("/sys/fs/cgroup/yarn/memcg", c.root());
    LifecycleSettings s = c.lifecycle();
    assertFalse(s.drainEnabled());
    assertEquals(Duration.ofMillis(1), s.drainTimeout());
    assertEquals(Duration.ofDays(1), s.deleteTimeout());
    assertEquals(Duration.ofMillis(250), s.killTimeout());
    assertEquals(100, s.softLimitPercent());
    assertEquals(100, s.swappiness());
    assertEquals(64, s.cleanupThreads());
    assertEquals(Duration.ofDays(30), s.reaperGiveUp());
    assertEquals(DrainWhen.CONTAINER_EXIT, s.drainWhen());
    assertEquals(Duration.ZERO, s.maxWait());
    assertEquals(100_000, s.maxWaiting());
    assertEquals(RetireSettings.of(0, 1L << 40, 0, Duration.ofMillis(100)), s.retire());
    assertEquals(DrainWhen.OVER_BUDGET, MemcgConfiguration.from(conf(MemcgKeys.DRAIN_WHEN.name(),
        "over-budget")).lifecycle().drainWhen());
    assertEquals(DrainWhen.APPLICATION_END, MemcgConfiguration.from(conf(MemcgKeys.DRAIN_WHEN.name(),
        "application-end")).lifecycle().drainWhen());
  }

  @Test
  void modesAreRead() {
    assertEquals(Optional.empty(), MemcgConfiguration.from(conf(MemcgKeys.MODE.name(), "auto")).mode());
    assertEquals(Optional.of(CgroupVersion.V1),
        MemcgConfiguration.from(conf(MemcgKeys.MODE.name(), "v1")).mode());
    assertEquals(Optional.of(CgroupVersion.V2),
        MemcgConfiguration.from(conf(MemcgKeys.MODE.name(), "v2")).mode());
  }

  // ---- bad values: each names the full key and the value ----

  static Stream<Arguments> badSettings() {
    return Stream.of(
        Arguments.of(MemcgKeys.DRAIN_TIMEOUT_MS, "-1"),
        Arguments.of(MemcgKeys.DRAIN_TIMEOUT_MS, "abc"),
        Arguments.of(MemcgKeys.DRAIN_TIMEOUT_MS, "0"),
        Arguments.of(MemcgKeys.DRAIN_TIMEOUT_MS, "1.5"),
        Arguments.of(MemcgKeys.DRAIN_TIMEOUT_MS, "99999999999999999999"),
        Arguments.of(MemcgKeys.DELETE_TIMEOUT_MS, "86400001"),
        Arguments.of(MemcgKeys.DELETE_TIMEOUT_MS, "-5000"),
        Arguments.of(MemcgKeys.KILL_TIMEOUT_MS, "5 parsecs"),
        Arguments.of(MemcgKeys.KILL_TIMEOUT_MS, ""),
        Arguments.of(MemcgKeys.SOFT_LIMIT_PERCENT, "101"),
        Arguments.of(MemcgKeys.SOFT_LIMIT_PERCENT, "-1"),
        Arguments.of(MemcgKeys.SOFT_LIMIT_PERCENT, "90%"),
        Arguments.of(MemcgKeys.SWAPPINESS, "-1"),
        Arguments.of(MemcgKeys.SWAPPINESS, "abc"),
        Arguments.of(MemcgKeys.SWAPPINESS, "101"),
        Arguments.of(MemcgKeys.CLEANUP_THREADS, "0"),
        Arguments.of(MemcgKeys.CLEANUP_THREADS, "65"),
        Arguments.of(MemcgKeys.CLEANUP_THREADS, "4294967297"),
        Arguments.of(MemcgKeys.REAPER_GIVE_UP_MS, "0"),
        Arguments.of(MemcgKeys.REAPER_GIVE_UP_MS, "2592000001"),
        Arguments.of(MemcgKeys.SWEEP_INTERVAL_MS, "-1"),
        Arguments.of(MemcgKeys.SWEEP_INTERVAL_MS, "86400001"),
        Arguments.of(MemcgKeys.MODE, "v3"),
        Arguments.of(MemcgKeys.MODE, "cgroup2"),
        Arguments.of(MemcgKeys.MODE, ""),
        Arguments.of(MemcgKeys.DRAIN_WHEN, "never"),
        Arguments.of(MemcgKeys.DRAIN_WHEN, "exit"),
        Arguments.of(MemcgKeys.DRAIN_WHEN, ""),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_MS, "-1"),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_MS, "1h30m"),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_MS, "2592000001"),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_CGROUPS, "-1"),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_CGROUPS, "100001"),
        Arguments.of(MemcgKeys.DRAIN_WAIT_MAX_CGROUPS, "many"),
        Arguments.of(MemcgKeys.RETIRE_MAX_CGROUPS, "-1"),
        Arguments.of(MemcgKeys.RETIRE_MAX_CGROUPS, "1000001"),
        Arguments.of(MemcgKeys.RETIRE_KERNEL_MEMORY_MB, "64M"),
        Arguments.of(MemcgKeys.RETIRE_KERNEL_MEMORY_MB, "1048577"),
        Arguments.of(MemcgKeys.RETIRE_RELEASE_BELOW_KB, "-1"),
        Arguments.of(MemcgKeys.RETIRE_CHECK_INTERVAL_MS, "99"),
        Arguments.of(MemcgKeys.RETIRE_CHECK_INTERVAL_MS, "86400001"),
        Arguments.of(MemcgKeys.DRAIN_ENABLED, "yes"),
        Arguments.of(MemcgKeys.DRAIN_ENABLED, "1"),
        Arguments.of(MemcgKeys.DRAIN_ENABLED, ""),
        Arguments.of(MemcgKeys.ROOT, "a/../b"),
        Arguments.of(MemcgKeys.ROOT, ".."),
        Arguments.of(MemcgKeys.ROOT, ""),
        Arguments.of(MemcgKeys.ROOT, "./a"),
        Arguments.of(MemcgKeys.ROOT, "a/./b"),
        Arguments.of(MemcgKeys.ROOT, "a/."),
        Arguments.of(MemcgKeys.ROOT, "."),
        Arguments.of(MemcgKeys.ROOT, "../../etc"),
        Arguments.of(MemcgKeys.ROOT, "/sys/fs/cgroup/memory/../../../etc"),
        Arguments.of(MemcgKeys.ROOT, "a\nb"),
        Arguments.of(MemcgKeys.ROOT, "a\0b"));
  }

  @ParameterizedTest(name = "{0} = ''{1}''")
  @MethodSource("badSettings")
  void badValueNamesKeyAndValue(MemcgKeys.Key key, String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MemcgConfiguration.from(conf(key.name(), value)));
    assertNamesKeyAndValue(e, key.name(), value);
  }

  @Test
  void valueIsReportedTrimmed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MemcgConfiguration.from(conf(MemcgKeys.SWAPPINESS.name(), "  abc\n")));
    assertNamesKeyAndValue(e, MemcgKeys.SWAPPINESS.name(), "abc");
  }

  @Test
  void whitespaceOnlyRootIsEmpty() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withRoot("   "));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), "");
  }

  @Test
  void rootNamesThatOnlyLookLikeDotsAreFine() {
    assertEquals("a..b/.c/..d", withRoot("a..b/.c/..d").root());
    assertEquals("hadoop-yarn/memcg", withRoot("hadoop-yarn/memcg").root());
  }

  // ---- resolveRoot, on a stand-in mount: a temp directory posing as the memory controller's mount ----

  private static MemoryMount standInMount(Path dir) {
    return new MemoryMount(dir, CgroupVersion.V1);
  }

  @Test
  void absoluteRootOutsideTheMountIsRefusedWithStandInMount(@TempDir Path dir) {
    for (String root : new String[] {"/etc/yarn", dir.getParent().toString(), dir + "-sibling/x", "/"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> withRoot(root).resolveRoot(standInMount(dir)), root);
      assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), root);
      assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
  }

  @Test
  void rootEqualToTheMountIsRefusedWithStandInMount(@TempDir Path dir) {
    for (String root : new String[] {dir.toString(), dir + "/", dir + "//"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> withRoot(root).resolveRoot(standInMount(dir)), root);
      assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), root);
      assertTrue(e.getMessage().contains("not the mount itself"), e.getMessage());
    }
  }

  @Test
  void relativeRootResolvesUnderTheMountWithStandInMount(@TempDir Path dir) throws IOException {
    assertEquals(dir.resolve("hadoop-yarn-memcg"), withRoot("hadoop-yarn-memcg").resolveRoot(standInMount(dir)));
    assertEquals(dir.resolve("a/b/c"), withRoot("a/b/c").resolveRoot(standInMount(dir)));
    assertEquals(dir.resolve("a/b"), withRoot("a//b/").resolveRoot(standInMount(dir)));
    assertFalse(Files.exists(dir.resolve("a")), "resolveRoot must not create anything");
  }

  @Test
  void absoluteRootInsideTheMountIsAcceptedWithStandInMount(@TempDir Path dir) throws IOException {
    assertEquals(dir.resolve("yarn/memcg"), withRoot(dir + "/yarn/memcg").resolveRoot(standInMount(dir)));
  }

  @Test
  void rootThatIsASymbolicLinkIsRefusedWithStandInMount(@TempDir Path dir) throws IOException {
    Path target = Files.createDirectory(dir.resolve("target"));
    Files.createSymbolicLink(dir.resolve("link"), target);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withRoot("link").resolveRoot(standInMount(dir)));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), "link");
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void rootBelowASymbolicLinkIsRefusedWithStandInMount(@TempDir Path dir) throws IOException {
    Files.createSymbolicLink(dir.resolve("link"), Paths.get("/nonexistent-target"));
    String root = dir + "/link/child";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withRoot(root).resolveRoot(standInMount(dir)));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), root);
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void rootBelowASymbolicLinkToARealDirectoryNamesTheLinkWithStandInMount(@TempDir Path dir) throws IOException {
    // What the link points at is never looked at: the refusal names the link, not what lies behind it.
    Path target = Files.createDirectories(dir.resolve("target/child"));
    Files.createSymbolicLink(dir.resolve("link"), target.getParent());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withRoot("link/child").resolveRoot(standInMount(dir)));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), "link/child");
    assertTrue(e.getMessage().contains(dir.resolve("link") + " is a symbolic link"), e.getMessage());
  }

  @Test
  void existingDirectoryOffCgroupfsIsRefusedWithStandInMount(@TempDir Path dir) throws IOException {
    // The temp directory is on ext4 or tmpfs, so an existing directory under the stand-in mount is not cgroupfs.
    Files.createDirectory(dir.resolve("existing"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withRoot("existing/child").resolveRoot(standInMount(dir)));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), "existing/child");
    assertTrue(e.getMessage().contains("not on cgroupfs"), e.getMessage());
  }

  @Test
  void existingFileIsRefusedWithStandInMount(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("file"), "x");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withRoot("file").resolveRoot(standInMount(dir)));
    assertNamesKeyAndValue(e, MemcgKeys.ROOT.name(), "file");
    assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
  }

  @Test
  void resolveRootAppliesToAV2MountAlsoWithStandInMount(@TempDir Path dir) throws IOException {
    MemoryMount v2 = new MemoryMount(dir, CgroupVersion.V2);
    assertEquals(dir.resolve("yarn"), withRoot("yarn").resolveRoot(v2));
  }

  // ---- resolveRoot on the host's real memory controller mount (read only: nothing is created) ----

  private static MemoryMount realMountOrSkip() {
    try {
      return MemoryMount.discover(Optional.empty());
    } catch (IOException e) {
      Assumptions.abort("no memory cgroup controller mounted here: " + e.getMessage());
      throw new AssertionError(e);
    }
  }

  @Test
  void nonExistingRelativeRootResolvesUnderTheRealMount() throws IOException {
    MemoryMount real = realMountOrSkip();
    String name = "yarn-memcg-unit-test-" + UUID.randomUUID();
    Path resolved = withRoot(name).resolveRoot(real);
    assertEquals(real.path().resolve(name), resolved);
    assertTrue(resolved.startsWith(real.path()));
    assertFalse(Files.exists(resolved, LinkOption.NOFOLLOW_LINKS), "resolveRoot must not create the root");
  }

  @Test
  void existingCgroupUnderTheRealMountIsOnCgroupfs() throws IOException {
    MemoryMount real = realMountOrSkip();
    Optional<Path> existing;
    try (Stream<Path> children = Files.list(real.path())) {
      existing = children.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).findFirst();
    }
    Assumptions.assumeTrue(existing.isPresent(), "no child cgroup under " + real.path());
    String root = existing.get().getFileName() + "/yarn-memcg-unit-test-" + UUID.randomUUID();
    assertEquals(real.path().resolve(root), withRoot(root).resolveRoot(real));
  }
}
