package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The door to cgroupfs on a plain directory standing in for it (cgroupfs itself refuses symbolic links, so this
 * is the only place one can be planted): no link is followed at any depth, for any operation, and nothing
 * outside the mount is reached.
 */
class CgroupFsTest {

  @TempDir
  Path tmp;

  Path mount;
  Path outside;
  CgroupFs fs;

  @BeforeEach
  void setUp() throws IOException {
    mount = Files.createDirectory(tmp.resolve("mount"));
    Path cg = Files.createDirectories(mount.resolve("root/c1"));
    Files.writeString(cg.resolve("memory.stat"), "cache 4096\n");
    outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(outside.resolve("c1/victim"));
    Files.writeString(outside.resolve("c1/memory.stat"), "secret\n");
    Files.writeString(outside.resolve("file"), "secret\n");
    fs = CgroupFs.standIn(mount);
  }

  Map<String, String> outsideContents() throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(outside)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        all.put(outside.relativize(p).toString(), Files.isRegularFile(p) ? Files.readString(p) : "dir");
      }
    }
    return all;
  }

  void refusedAsLink(Executable operation) {
    CgroupIoException e = assertThrows(CgroupIoException.class, operation);
    assertTrue(e.getMessage().contains("symbolic links are not followed"), e.getMessage());
  }

  @Test
  void readsWritesCreatesListsAndRemovesInsideTheMount() throws IOException {
    Path root = mount.resolve("root");
    assertEquals("cache 4096\n", fs.read(root.resolve("c1/memory.stat")));
    fs.write(root.resolve("c1/memory.stat"), "7");
    assertTrue(Files.readString(root.resolve("c1/memory.stat")).startsWith("7"));
    assertTrue(fs.mkdir(root.resolve("c2")));
    assertFalse(fs.mkdir(root.resolve("c2")), "a second mkdir reports it existed");
    assertEquals(List.of("c1", "c2"), fs.subdirectories(root));
    assertEquals(4, fs.countDirectories(mount), "mount, root, c1, c2");
    assertTrue(fs.isDirectory(root.resolve("c2")) && fs.exists(root.resolve("c1/memory.stat")));
    fs.rmdir(root.resolve("c2"));
    assertFalse(fs.isDirectory(root.resolve("c2")));
    assertThrows(NoSuchFileException.class, () -> fs.rmdir(root.resolve("c2")));
    assertThrows(NoSuchFileException.class, () -> fs.read(root.resolve("c1/absent")));
  }

  @Test
  void aLinkedDirectoryAtAnyDepthIsNeverFollowed() throws IOException {
    Map<String, String> before = outsideContents();
    // Directly under the mount, and one level further down.
    Files.createSymbolicLink(mount.resolve("link"), outside);
    Files.createSymbolicLink(mount.resolve("root/link"), outside);
    for (Path viaLink : List.of(mount.resolve("link"), mount.resolve("root/link"))) {
      refusedAsLink(() -> fs.read(viaLink.resolve("c1/memory.stat")));
      refusedAsLink(() -> fs.write(viaLink.resolve("c1/memory.stat"), "1"));
      refusedAsLink(() -> fs.mkdir(viaLink.resolve("new")));
      refusedAsLink(() -> fs.rmdir(viaLink.resolve("c1/victim")));
      refusedAsLink(() -> fs.subdirectories(viaLink));
      assertFalse(fs.isDirectory(viaLink) || fs.exists(viaLink.resolve("file")), viaLink.toString());
    }
    assertEquals(before, outsideContents(), "nothing a link points at was read into, written, created or removed");
    assertEquals(List.of("root"), fs.subdirectories(mount), "a link is never listed as a cgroup");
  }

  @Test
  void aLinkInPlaceOfAControlFileOrACgroupIsRefused() throws IOException {
    Map<String, String> before = outsideContents();
    Path c1 = mount.resolve("root/c1");
    Files.createSymbolicLink(c1.resolve("memory.limit_in_bytes"), outside.resolve("file"));
    refusedAsLink(() -> fs.read(c1.resolve("memory.limit_in_bytes")));
    refusedAsLink(() -> fs.write(c1.resolve("memory.limit_in_bytes"), "1"));
    Path linkedCgroup = Files.createSymbolicLink(mount.resolve("root/c9"), outside.resolve("c1"));
    refusedAsLink(() -> fs.mkdir(linkedCgroup));
    refusedAsLink(() -> fs.rmdir(linkedCgroup));
    assertTrue(Files.isSymbolicLink(linkedCgroup), "the link itself stays");
    assertEquals(before, outsideContents());
  }

  @Test
  void aLocatedCgroupIsReopenedOnlyWhileItIsTheDirectoryTheWalkReached() throws IOException {
    Path c1 = mount.resolve("root/c1");
    CgroupFs.Located located = fs.locate(c1);
    try (CgroupDirectory d = fs.directory(located)) {
      assertEquals("cache 4096\n", d.read("memory.stat"));
    }
    // Replaced by another directory, then by a link to one outside: neither is read.
    Files.move(c1, mount.resolve("root/c1-old"));
    Files.createDirectory(c1);
    Files.writeString(c1.resolve("memory.stat"), "cache 1\n");
    CgroupIoException replaced = assertThrows(CgroupIoException.class, () -> fs.directory(located));
    assertTrue(replaced.getMessage().contains("no longer the directory"), replaced.getMessage());
    Files.delete(c1.resolve("memory.stat"));
    Files.delete(c1);
    Files.createSymbolicLink(c1, outside.resolve("c1"));
    assertThrows(CgroupIoException.class, () -> fs.directory(located));
    Files.delete(c1);
    assertThrows(NoSuchFileException.class, () -> fs.directory(located), "a removed cgroup is absent");
    Path link = Files.createSymbolicLink(mount.resolve("root/l"), outside);
    refusedAsLink(() -> fs.locate(link.resolve("c1")));
  }

  @Test
  void pathsOutsideTheMountAreRefusedBeforeAnythingIsOpened() {
    for (Path p : List.of(outside.resolve("file"), mount.resolve("../outside/file"), Path.of("/etc/passwd"))) {
      CgroupIoException e = assertThrows(CgroupIoException.class, () -> fs.read(p));
      assertTrue(e.getMessage().contains("outside the cgroup mount"), e.getMessage());
    }
    assertThrows(CgroupIoException.class, () -> fs.rmdir(mount), "the mount itself is not a cgroup to remove");
  }

  @Test
  void aDoorIsOpenedOnlyOnACgroupFilesystem() throws IOException {
    IOException e = assertThrows(IOException.class, () -> CgroupFs.open(tmp));
    assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("not on cgroupfs"),
        e.getMessage());
  }

  @Test
  void anUncheckedDoorNamesEachDirectorysFilesystemAndRefusesALinkThere() throws IOException {
    CgroupFs unchecked = CgroupFs.unchecked(tmp);
    String type = Files.getFileStore(tmp).type();
    assertEquals(type, unchecked.fileSystemType(mount.resolve("root/c1")));
    Files.createSymbolicLink(mount.resolve("root/link"), outside.resolve("c1"));
    refusedAsLink(() -> unchecked.fileSystemType(mount.resolve("root/link")));
    refusedAsLink(() -> unchecked.fileSystemType(mount.resolve("root/link/victim")));
  }
}
