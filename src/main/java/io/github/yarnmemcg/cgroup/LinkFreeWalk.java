package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The walk behind {@link CgroupFs}: from a handle on the mount down to a directory one component at a time
 * ({@code openat} with {@code O_NOFOLLOW} at each step, through the JDK's {@link SecureDirectoryStream}), and from a
 * directory handle through the cgroups below it. Apart from the door so that the one place a path becomes a handle,
 * and a refusal becomes "is a symbolic link", can be read on its own; only {@link CgroupFs} and its handles call it.
 */
final class LinkFreeWalk {
  static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path mount;

  LinkFreeWalk(Path mount) {
    this.mount = mount;
  }

  /** The directory holding {@code file}, which must be below the mount. */
  SecureDirectoryStream<Path> openParent(Path file) throws IOException {
    Path p = file.toAbsolutePath().normalize();
    if (p.equals(mount) || p.getParent() == null) {
      throw new CgroupIoException("open", file, "not a file inside the cgroup mount " + mount,
          CgroupIoException.Kind.OTHER, null);
    }
    return openDir(p.getParent());
  }

  /** Opens a directory under the mount one component at a time, never following a link. */
  SecureDirectoryStream<Path> openDir(Path dir) throws IOException {
    Path p = dir.toAbsolutePath().normalize();
    if (!p.startsWith(mount)) {
      throw new CgroupIoException("open", dir, "outside the cgroup mount " + mount + ", which is all yarn-memcg opens",
          CgroupIoException.Kind.OTHER, null);
    }
    SecureDirectoryStream<Path> current = openMount();
    Path reached = mount;
    for (Path name : mount.relativize(p)) {
      if (name.toString().isEmpty()) {
        continue;
      }
      SecureDirectoryStream<Path> next;
      try {
        next = current.newDirectoryStream(name, NO_FOLLOW);
      } catch (NoSuchFileException | NotDirectoryException e) {
        closeQuietly(current);
        throw e;
      } catch (IOException e) {
        IOException why = linkOrElse(current, name, reached.resolve(name), "open", e);
        closeQuietly(current);
        throw why;
      }
      closeQuietly(current);
      current = next;
      reached = reached.resolve(name);
    }
    return current;
  }

  private SecureDirectoryStream<Path> openMount() throws IOException {
    DirectoryStream<Path> d = Files.newDirectoryStream(mount);
    if (!(d instanceof SecureDirectoryStream)) {
      d.close();
      throw new IOException("this Java runtime cannot open " + mount + " relative to a directory handle"
          + " (no SecureDirectoryStream); yarn-memcg needs it to never follow a symbolic link");
    }
    return (SecureDirectoryStream<Path>) d;
  }

  /**
   * Reopens a directory found before with one open(2) instead of one per path component, and refuses it unless it is
   * the very directory found then ({@code identity}): a link or another directory put in its place since is never read.
   */
  static SecureDirectoryStream<Path> reopen(Path path, Object identity) throws IOException {
    DirectoryStream<Path> d = Files.newDirectoryStream(path);
    if (d instanceof SecureDirectoryStream) {
      SecureDirectoryStream<Path> handle = (SecureDirectoryStream<Path>) d;
      try {
        if (identity(handle).equals(identity)) {
          return handle;
        }
      } catch (IOException | RuntimeException e) {
        closeQuietly(handle);
        throw e;
      }
    }
    closeQuietly(d);
    throw new CgroupIoException("open", path, "is no longer the directory first reached there without a link",
        CgroupIoException.Kind.OTHER, null);
  }

  /** The names of the directories in {@code dir}, never symbolic links; sorted. */
  static List<String> subdirectories(SecureDirectoryStream<Path> dir) throws IOException {
    List<String> names = new ArrayList<>();
    for (Path entry : dir) {
      Path name = entry.getFileName();
      try {
        if (attributes(dir, name).isDirectory()) {
          names.add(name.toString());
        }
      } catch (NoSuchFileException removedMeanwhile) {
        // a cgroup removed while listing is simply not there
      }
    }
    Collections.sort(names);
    return names;
  }

  /** Directories at and below {@code dir}, each child opened from its parent's handle. */
  static long countDirectories(SecureDirectoryStream<Path> dir) throws IOException {
    long count = 1;
    for (String name : subdirectories(dir)) {
      try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(Paths.get(name), NO_FOLLOW)) {
        count += countDirectories(child);
      } catch (NoSuchFileException removedMeanwhile) {
        // gone while walking
      }
    }
    return count;
  }

  /** The directory's device and inode, which tell it apart from another put under its path since. */
  static Object identity(SecureDirectoryStream<Path> d) throws IOException {
    Object key = d.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
    if (key == null) {
      throw new IOException("this Java runtime does not tell directories apart (no file key); yarn-memcg needs it to"
          + " reopen a cgroup without following a link");
    }
    return key;
  }

  static boolean isDirectory(SecureDirectoryStream<Path> parent, Path name) {
    try {
      return attributes(parent, name).isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  static BasicFileAttributes attributes(SecureDirectoryStream<Path> parent, Path name) throws IOException {
    return parent.getFileAttributeView(name, BasicFileAttributeView.class, NO_FOLLOW).readAttributes();
  }

  /**
   * The failure of {@code operation} on {@code name} in {@code parent}, naming a symbolic link as such, decided by
   * looking at the entry (the JDK's ELOOP text is translated), else classified by the exception's class.
   */
  static IOException linkOrElse(SecureDirectoryStream<Path> parent, Path name, Path path, String operation,
      IOException e) {
    try {
      if (attributes(parent, name).isSymbolicLink()) {
        return new CgroupIoException(operation, path, "is a symbolic link (symbolic links are not followed)",
            CgroupIoException.Kind.OTHER, e);
      }
    } catch (IOException ignored) {
      // the original failure says more
    }
    return e instanceof CgroupIoException ? e : CgroupIoException.of(operation, path, e);
  }

  static void closeQuietly(DirectoryStream<Path> d) {
    try {
      d.close();
    } catch (IOException ignored) {
      // closing a directory handle cannot lose data
    }
  }
}
