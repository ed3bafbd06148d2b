package io.github.yarnmemcg.lifecycle;

import static org.apache.commons.io.FileUtils.ONE_MB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.testing.Lifecycles;
import io.github.yarnmemcg.testing.RealCgroups;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the real kernel allows: cgroupfs refuses to create a symbolic link anywhere, so no link can be planted
 * under the root where a container's cgroup or a control file would be. (What the plugin does with such links
 * where a filesystem allows them is in NoSymlinkFollowedTest; a root reached through a link on the tmpfs above
 * the mounts is refused at NodeManager start, see NodeManagerStartupIT.)
 */
@org.junit.jupiter.api.Tag("v1-guest")
class NoSymlinkIT {

  @RegisterExtension
  final RealCgroups cgroups = new RealCgroups();

  @TempDir
  Path outside;

  @Test
  void cgroupfsRefusesSymbolicLinksWhereAContainerCgroupOrAControlFileWouldBe() throws Exception {
    ContainerMemcgs memcgs = Lifecycles.open(cgroups, true);
    try {
      Path root = cgroups.root();
      String id = Lifecycles.containerId(1);
      FileSystemException atContainer = assertThrows(FileSystemException.class,
          () -> Files.createSymbolicLink(root.resolve(id), outside));
      assertFalse(Files.exists(root.resolve(id), LinkOption.NOFOLLOW_LINKS));

      Path cg = memcgs.start(id, 64 * ONE_MB, true);
      FileSystemException atFile = assertThrows(FileSystemException.class,
          () -> Files.createSymbolicLink(cg.resolve("memory.limit_in_bytes.link"), Paths.get("/etc/passwd")));
      assertFalse(Files.exists(cg.resolve("memory.limit_in_bytes.link"), LinkOption.NOFOLLOW_LINKS));
      // The kernel's own files cannot be replaced either: unlink of a control file is refused too.
      assertThrows(FileSystemException.class, () -> Files.delete(cg.resolve("cgroup.procs")));
      assertTrue(Files.isRegularFile(cg.resolve("cgroup.procs"), LinkOption.NOFOLLOW_LINKS));

      assertEquals(CleanupResult.Outcome.CLEANED, memcgs.complete(id).cleanup().get().outcome());
      assertEquals(List.of(), memcgs.containerIds());
    } finally {
      memcgs.close();
    }
  }
}
