package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryMountTest {

  static final Path V1_PATH = Paths.get("/sys/fs/cgroup/memory");
  static final Path V2_PATH = Paths.get("/sys/fs/cgroup");

  static final String TMPFS = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755";
  static final String V1_CPU = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu";
  static final String V1_MEMORY = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory";
  static final String V1_SYSTEMD = "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd";
  /** A cgroup2 mount whose mount point does not exist, so it has no cgroup.controllers to list memory. */
  static final String V2_WITHOUT_CONTROLLERS_FILE =
      "41 31 0:38 / /nonexistent/yarn-memcg-test/unified rw,relatime - cgroup2 cgroup2 rw";

  static List<MountInfo> mounts(String... lines) {
    List<MountInfo> mounts = MountInfo.parse(String.join("\n", lines));
    assertEquals(lines.length, mounts.size(), "every test line must parse");
    return mounts;
  }

  /** A mountinfo line mounting cgroup2 at {@code dir}: a stand-in for the real cgroup2 mount. */
  static String standInCgroup2Line(Path dir, String root) {
    return "29 23 0:26 " + root + " " + escape(dir.toString())
        + " rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate";
  }

  static Path standInCgroup2Mount(Path dir, String controllers) throws IOException {
    Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
    return dir;
  }

  private static String escape(String s) {
    return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
  }

  // ---- discover: v1 only ----

  @Test
  void autoOnV1OnlyNodeFindsV1() throws IOException {
    MemoryMount m = MemoryMount.discover(
        mounts(TMPFS, V1_CPU, V1_MEMORY, V1_SYSTEMD, V2_WITHOUT_CONTROLLERS_FILE), Optional.empty());
    assertEquals(new MemoryMount(V1_PATH, CgroupVersion.V1), m);
  }

  @Test
  void v1RequestedOnV1OnlyNode() throws IOException {
    MemoryMount m = MemoryMount.discover(mounts(TMPFS, V1_CPU, V1_MEMORY), Optional.of(CgroupVersion.V1));
    assertEquals(new MemoryMount(V1_PATH, CgroupVersion.V1), m);
  }

  @Test
  void v2RequestedOnV1OnlyNodeSaysSoAndNamesTheV1Mount() {
    IOException e = assertThrows(IOException.class, () -> MemoryMount.discover(
        mounts(TMPFS, V1_CPU, V1_MEMORY, V2_WITHOUT_CONTROLLERS_FILE), Optional.of(CgroupVersion.V2)));
    String msg = e.getMessage();
    assertTrue(msg.contains("v2") && msg.contains("requested"), msg);
    assertTrue(msg.contains("v1"), msg);
    assertTrue(msg.contains(V1_PATH.toString()), msg);
  }

  @Test
  void v1RequestedOnNodeWithoutMemoryControllerGivesClearMessage() {
    IOException e = assertThrows(IOException.class,
        () -> MemoryMount.discover(mounts(TMPFS, V1_CPU, V1_SYSTEMD), Optional.of(CgroupVersion.V1)));
    String msg = e.getMessage();
    assertTrue(msg.contains("v1") && msg.contains("memory") && msg.contains("requested"), msg);
    assertTrue(msg.contains("none"), msg);
  }

  @Test
  void autoOnNodeWithoutMemoryControllerGivesClearMessage() {
    IOException e = assertThrows(IOException.class,
        () -> MemoryMount.discover(mounts(TMPFS, V1_CPU, V2_WITHOUT_CONTROLLERS_FILE), Optional.empty()));
    assertTrue(e.getMessage().contains("no memory cgroup controller"), e.getMessage());
  }

  @Test
  void emptyMountTableFindsNothing() {
    assertThrows(IOException.class, () -> MemoryMount.discover(List.of(), Optional.empty()));
    assertThrows(IOException.class, () -> MemoryMount.discover(List.of(), Optional.of(CgroupVersion.V1)));
    assertThrows(IOException.class, () -> MemoryMount.discover(List.of(), Optional.of(CgroupVersion.V2)));
  }

  @Test
  void v1HierarchyWithCombinedControllersIsFound() throws IOException {
    MemoryMount m = MemoryMount.discover(
        mounts("35 31 0:32 / /sys/fs/cgroup/cpu,memory rw,relatime - cgroup cgroup rw,cpu,memory"),
        Optional.empty());
    assertEquals(new MemoryMount(Paths.get("/sys/fs/cgroup/cpu,memory"), CgroupVersion.V1), m);
  }

  @Test
  void v1MountOfASubtreeIsNotTheController() {
    // A container's bind mount of part of the hierarchy (root is not "/") is not where cgroups are managed.
    assertThrows(IOException.class, () -> MemoryMount.discover(
        mounts("35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"), Optional.empty()));
  }

  @Test
  void memoryInMountPointOrSourceButNotInSuperOptionsIsNotV1Memory() {
    assertThrows(IOException.class, () -> MemoryMount.discover(
        mounts("35 31 0:32 / /sys/fs/cgroup/memory rw,memory - cgroup memory rw,cpu"), Optional.empty()));
  }

  @Test
  void firstV1MemoryMountWins() throws IOException {
    MemoryMount m = MemoryMount.discover(mounts(V1_MEMORY,
        "90 22 0:32 / /mnt/memcg-again rw,relatime - cgroup cgroup rw,memory"), Optional.empty());
    assertEquals(V1_PATH, m.path());
  }

  // ---- discover: v2, on a stand-in cgroup2 mount (a temp directory holding a cgroup.controllers file) ----

  @Test
  void autoFindsV2WithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    MemoryMount m = MemoryMount.discover(mounts(standInCgroup2Line(standIn, "/")), Optional.empty());
    assertEquals(new MemoryMount(standIn, CgroupVersion.V2), m);
  }

  @Test
  void autoPrefersV2OverV1WithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    MemoryMount m = MemoryMount.discover(
        mounts(TMPFS, V1_CPU, V1_MEMORY, standInCgroup2Line(standIn, "/")), Optional.empty());
    assertEquals(new MemoryMount(standIn, CgroupVersion.V2), m);
  }

  @Test
  void v1RequestedOnHybridNodeWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    MemoryMount m = MemoryMount.discover(
        mounts(standInCgroup2Line(standIn, "/"), V1_MEMORY), Optional.of(CgroupVersion.V1));
    assertEquals(new MemoryMount(V1_PATH, CgroupVersion.V1), m);
  }

  @Test
  void v1RequestedOnV2OnlyNodeNamesTheV2MountWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    IOException e = assertThrows(IOException.class, () -> MemoryMount.discover(
        mounts(standInCgroup2Line(standIn, "/")), Optional.of(CgroupVersion.V1)));
    String msg = e.getMessage();
    assertTrue(msg.contains("v1") && msg.contains("requested") && msg.contains("v2"), msg);
    assertTrue(msg.contains(standIn.toString()), msg);
  }

  @Test
  void v2RequestedWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    MemoryMount m = MemoryMount.discover(
        mounts(V1_MEMORY, standInCgroup2Line(standIn, "/")), Optional.of(CgroupVersion.V2));
    assertEquals(new MemoryMount(standIn, CgroupVersion.V2), m);
  }

  @Test
  void hybridCgroup2WithoutMemoryFallsBackToV1WithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    // As on a hybrid node: /sys/fs/cgroup/unified lists only the controllers v1 did not take.
    Path standIn = standInCgroup2Mount(dir, "hugetlb");
    List<MountInfo> table = mounts(TMPFS, V1_MEMORY, standInCgroup2Line(standIn, "/"));
    assertEquals(new MemoryMount(V1_PATH, CgroupVersion.V1), MemoryMount.discover(table, Optional.empty()));
    IOException e = assertThrows(IOException.class,
        () -> MemoryMount.discover(table, Optional.of(CgroupVersion.V2)));
    assertTrue(e.getMessage().contains(V1_PATH.toString()), e.getMessage());
  }

  @Test
  void emptyControllersFileIsNotMemoryWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "");
    assertThrows(IOException.class,
        () -> MemoryMount.discover(mounts(standInCgroup2Line(standIn, "/")), Optional.empty()));
  }

  @Test
  void cgroup2MountOfASubtreeIsIgnoredWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu io memory pids");
    assertThrows(IOException.class, () -> MemoryMount.discover(
        mounts(standInCgroup2Line(standIn, "/kubepods/pod1")), Optional.empty()));
  }

  @Test
  void mountPointWithSpaceWithStandInCgroup2Mount(@TempDir Path dir) throws IOException {
    Path standIn = standInCgroup2Mount(Files.createDirectory(dir.resolve("cg two")), "memory");
    MemoryMount m = MemoryMount.discover(mounts(standInCgroup2Line(standIn, "/")), Optional.empty());
    assertEquals(new MemoryMount(standIn, CgroupVersion.V2), m);
  }

  @Test
  void controllerNameThatOnlyContainsMemoryIsNotMemoryWithStandInCgroup2Mount(@TempDir Path dir)
      throws IOException {
    Path standIn = standInCgroup2Mount(dir, "cpu nomemory pids");
    assertThrows(IOException.class,
        () -> MemoryMount.discover(mounts(standInCgroup2Line(standIn, "/")), Optional.empty()));
  }

  // ---- cgroupOfProcess ----

  private static final MemoryMount V1 = new MemoryMount(V1_PATH, CgroupVersion.V1);
  private static final MemoryMount V2 = new MemoryMount(V2_PATH, CgroupVersion.V2);

  @Test
  void v1MemoryLine() {
    assertEquals(Optional.of(V1_PATH.resolve("a/container_1_2_3_4")),
        V1.cgroupOfProcess("4:memory:/a/container_1_2_3_4\n0::/"));
  }

  @Test
  void v1RealisticProcPidCgroup() {
    String text = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
        + "4:memory:/hadoop-yarn-memcg/container_1700000000000_0001_01_000001\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    assertEquals(Optional.of(V1_PATH.resolve("hadoop-yarn-memcg/container_1700000000000_0001_01_000001")),
        V1.cgroupOfProcess(text));
  }

  @Test
  void v1CombinedControllers() {
    assertEquals(Optional.of(V1_PATH.resolve("x")), V1.cgroupOfProcess("5:cpu,memory:/x"));
    assertEquals(Optional.of(V1_PATH.resolve("y")), V1.cgroupOfProcess("3:cpu:/z\n5:memory,cpu:/y\n"));
  }

  @Test
  void v1WithoutMemoryLineIsEmpty() {
    assertEquals(Optional.empty(), V1.cgroupOfProcess("1:cpu:/a\n2:name=systemd:/memory\n0::/b"));
    assertEquals(Optional.empty(), V1.cgroupOfProcess("5:memoryx:/a\n6:xmemory,cpu:/b"));
  }

  @Test
  void v1RootCgroupIsTheMount() {
    assertEquals(Optional.of(V1_PATH), V1.cgroupOfProcess("4:memory:/\n"));
  }

  @Test
  void v2Line() {
    assertEquals(Optional.of(V2_PATH.resolve("a/b")), V2.cgroupOfProcess("0::/a/b"));
    assertEquals(Optional.of(V2_PATH.resolve("a/b")), V2.cgroupOfProcess("0::/a/b\n"));
  }

  @Test
  void v2IgnoresV1Lines() {
    assertEquals(Optional.of(V2_PATH.resolve("u")), V2.cgroupOfProcess("4:memory:/v1path\n1:name=systemd:/s\n0::/u"));
    assertEquals(Optional.empty(), V2.cgroupOfProcess("4:memory:/v1path\n1:cpu:/s"));
  }

  @Test
  void pathThatWouldLeaveTheMountIsEmpty() {
    assertEquals(Optional.empty(), V2.cgroupOfProcess("0::/../../etc"));
    assertEquals(Optional.empty(), V2.cgroupOfProcess("0::/a/../../x"));
    assertEquals(Optional.empty(), V1.cgroupOfProcess("4:memory:/../cpu/x"));
    assertEquals(Optional.empty(), V1.cgroupOfProcess("4:memory:/a/../../memoryx"));
  }

  @Test
  void dotDotThatStaysInsideIsNormalized() {
    assertEquals(Optional.of(V2_PATH.resolve("b")), V2.cgroupOfProcess("0::/a/../b"));
  }

  @Test
  void malformedTextIsEmpty() {
    assertEquals(Optional.empty(), V1.cgroupOfProcess(""));
    assertEquals(Optional.empty(), V2.cgroupOfProcess(""));
    assertEquals(Optional.empty(), V2.cgroupOfProcess("garbage\n0:\n0::relative/path"));
    assertEquals(Optional.empty(), V1.cgroupOfProcess("4:memory\n4:memory:relative"));
  }

  @Test
  void pathWithColonIsKept() {
    assertEquals(Optional.of(V2_PATH.resolve("a:b")), V2.cgroupOfProcess("0::/a:b"));
  }

  @Test
  void realMountAndOwnProcessCgroupAgree() throws IOException {
    MemoryMount real;
    try {
      real = MemoryMount.discover(Optional.empty());
    } catch (IOException e) {
      Assumptions.abort("no memory cgroup controller here: " + e.getMessage());
      return;
    }
    // Empty is legitimate (e.g. a cgroup namespace shows a path outside it); whatever is found stays inside.
    Optional<Path> own = real.cgroupOfProcess(Files.readString(Paths.get("/proc/self/cgroup")));
    own.ifPresent(p -> assertTrue(p.startsWith(real.path()), p.toString()));
  }
}
