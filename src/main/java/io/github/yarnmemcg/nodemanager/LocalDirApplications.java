package io.github.yarnmemcg.nodemanager;

import io.github.yarnmemcg.lifecycle.Applications;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an application has ended on this node, read from the NodeManager's local dirs: when an application
 * finishes, the NodeManager's ResourceLocalizationService deletes {@code usercache/<user>/appcache/<app>} in every
 * local dir (after {@code yarn.nodemanager.delete.debug-delay-sec}), in all Hadoop lines and with either executor.
 * Until then the application's map outputs, spills and localized job files are there, and their page cache is
 * worth keeping. Read-only: it lists and stats, never follows a symbolic link, never writes.
 */
public final class LocalDirApplications implements Applications {

  private static final Logger LOG = LoggerFactory.getLogger(LocalDirApplications.class);

  private final List<Path> localDirs;

  public LocalDirApplications(List<Path> localDirs) {
    this.localDirs = Collections.unmodifiableList(new ArrayList<>(localDirs));
  }

  /** {@code yarn.nodemanager.local-dirs} as paths (Hadoop accepts them as paths or file: URIs). */
  public static List<Path> localDirs(Configuration conf) {
    List<Path> dirs = new ArrayList<>();
    for (String d : conf.getTrimmedStrings(YarnConfiguration.NM_LOCAL_DIRS, YarnConfiguration.DEFAULT_NM_LOCAL_DIRS)) {
      dirs.add(Paths.get(new org.apache.hadoop.fs.Path(d).toUri().getPath()));
    }
    return dirs;
  }

  public List<Path> dirs() {
    return localDirs;
  }

  @Override
  public boolean hasEnded(String applicationId) {
    for (Path local : localDirs) {
      Path usercache = local.resolve("usercache");
      try (DirectoryStream<Path> users = Files.newDirectoryStream(usercache)) {
        for (Path user : users) {
          if (Files.isDirectory(user.resolve("appcache").resolve(applicationId), LinkOption.NOFOLLOW_LINKS)) {
            return false;
          }
        }
      } catch (NoSuchFileException e) {
        // no user has run anything from this dir
      } catch (IOException e) {
        // Unreadable now (a disk gone bad): not a reason to drain; the age cap bounds the wait.
        LOG.debug("cannot list {}: {}", usercache, e.toString());
        return false;
      }
    }
    return true;
  }
}
