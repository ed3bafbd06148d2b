package io.github.yarnmemcg.nodemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.yarnmemcg.lifecycle.Applications;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The application signal from the NodeManager's local dirs, and the application of a container id, checked against
 * Hadoop's own parsing.
 */
class LocalDirApplicationsTest {

  @ParameterizedTest
  @ValueSource(strings = {"container_1700000000000_0001_01_000001", "container_e17_1410901177871_0001_01_000005",
      "container_1410901177871_12345_02_1000000", "container_e1_1_0000_1_1", "container_1_99999999_01_000002"})
  void theApplicationOfAContainerIsHadoopsOwn(String containerId) {
    assertEquals(ContainerId.fromString(containerId).getApplicationAttemptId().getApplicationId().toString(),
        Applications.applicationOf(containerId));
  }

  @Test
  void anApplicationHasEndedOnceItsDirIsGoneFromEveryLocalDir(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    String app = "application_1700000000000_0001";
    Files.createDirectories(a.resolve("usercache/alice/appcache").resolve(app));
    Files.createDirectories(b.resolve("usercache/bob/appcache").resolve(app));
    Files.createDirectories(b.resolve("usercache/bob/appcache/application_1700000000000_0002"));
    LocalDirApplications apps = new LocalDirApplications(List.of(a, b, dir.resolve("never-used")));
    assertFalse(apps.hasEnded(app));
    Files.delete(a.resolve("usercache/alice/appcache").resolve(app));
    assertFalse(apps.hasEnded(app), "still in the second local dir");
    Files.delete(b.resolve("usercache/bob/appcache").resolve(app));
    assertTrue(apps.hasEnded(app));
    assertFalse(apps.hasEnded("application_1700000000000_0002"));
    assertTrue(apps.hasEnded("application_1700000000000_0003"), "never here: nothing to wait for");
  }

  @Test
  void aSymbolicLinkIsNotTheApplicationsDir(@TempDir Path dir) throws Exception {
    Path appcache = Files.createDirectories(dir.resolve("usercache/alice/appcache"));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Files.createSymbolicLink(appcache.resolve("application_1700000000000_0001"), elsewhere);
    assertTrue(new LocalDirApplications(List.of(dir)).hasEnded("application_1700000000000_0001"));
  }

  @Test
  void localDirsAreReadAsPathsOrFileUris() {
    Configuration conf = new Configuration(false);
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, "/data/1/yarn, file:///data/2/yarn");
    assertEquals(List.of(Path.of("/data/1/yarn"), Path.of("/data/2/yarn")), LocalDirApplications.localDirs(conf));
  }
}
