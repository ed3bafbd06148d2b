package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.Charset;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one door to cgroupfs, as opencontainers/cgroups' {@code file.go} is for runc: every read, write, mkdir,
 * rmdir, listing and existence check of a cgroup file goes through here. A path is taken only inside the mount it
 * was opened on, and is reached one directory at a time from a handle on that mount (the JDK's
 * {@link SecureDirectoryStream}: {@code openat} with {@code O_NOFOLLOW} at each step, the nearest Java has to
 * {@code openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)}), so a symbolic link is never followed at any depth; the
 * mount is checked to be a cgroup filesystem when the door is opened. The door is this class and the package-private
 * parts behind it, split by job: {@link LinkFreeWalk} reaches a directory and walks the cgroups below it,
 * {@link ControlFiles} reads and writes one file (and keeps the JDK's exception classes, which tell errnos apart in
 * every locale), and {@link CgroupDirectory}, {@link OpenCgroupFile} and {@link Located} are the handles it gives out.
 */
public final class CgroupFs {

  private static final Set<String> CGROUP_FILESYSTEMS = new HashSet<>(Arrays.asList("cgroup", "cgroup2"));

  private final Path mount;
  private final LinkFreeWalk walk;

  private CgroupFs(Path mount) {
    this.mount = mount.toAbsolutePath().normalize();
    this.walk = new LinkFreeWalk(this.mount);
  }

  /**
   * The door to the cgroup filesystem mounted at {@code mount}.
   *
   * @throws IOException naming the path and what is there when it is not a cgroup v1 or v2 filesystem
   */
  public static CgroupFs open(Path mount) throws IOException {
    String type = Files.getFileStore(mount).type();
    if (!CGROUP_FILESYSTEMS.contains(type)) {
      throw new IOException(mount + " is on a " + type + " filesystem, not on cgroupfs");
    }
    return new CgroupFs(mount);
  }

  /**
   * A plain directory standing in for cgroupfs, for tests of what cgroupfs itself never holds (symbolic links):
   * runc's cgroups package has the same escape ({@code TestMode}). The plugin never opens one.
   */
  public static CgroupFs standIn(Path directory) {
    return new CgroupFs(directory);
  }

  /**
   * A door on a mount whose filesystem is not checked on opening, for a caller that checks each directory it reaches
   * with {@link #fileSystemType} instead: the plugin's root, which may not exist yet, and which is refused by the name
   * of the directory on its way that is off cgroupfs.
   */
  public static CgroupFs unchecked(Path mount) {
    return new CgroupFs(mount);
  }

  public Path mount() {
    return mount;
  }

  /** Whether {@code path} is the mount or a path below it (lexically; nothing is opened). */
  public boolean contains(Path path) {
    Path p = path.toAbsolutePath().normalize();
    return p.startsWith(mount);
  }

  /** The whole content of a cgroup file, read without following a link. */
  public String read(Path file) throws IOException {
    try (SecureDirectoryStream<Path> dir = walk.openParent(file)) {
      return ControlFiles.read(dir, file.getFileName(), file);
    }
  }

  /**
   * One cgroup directory opened once, for reading several of its files (a container's figures are six files):
   * the walk from the mount is paid once instead of once per file.
   */
  public CgroupDirectory directory(Path cgroup) throws IOException {
    return new CgroupDirectory(cgroup.toAbsolutePath().normalize(), walk.openDir(cgroup));
  }

  /**
   * Walks to the cgroup without following a link, as {@link #directory(Path)} does, and remembers which directory it
   * reached (device and inode), so that it can be reopened later in one call: see {@link #directory(Located)}.
   */
  public Located locate(Path cgroup) throws IOException {
    try (SecureDirectoryStream<Path> d = walk.openDir(cgroup)) {
      return new Located(cgroup.toAbsolutePath().normalize(), LinkFreeWalk.identity(d));
    }
  }

  /**
   * Reopens a located cgroup directory with one open(2) instead of one per path component, and refuses it unless it is
   * the very directory the link-free walk reached: a link or another directory put in its place since then is
   * detected, never read. For the container monitor, which reads every container every few seconds.
   *
   * @throws NoSuchFileException when the cgroup was removed
   * @throws CgroupIoException when another directory now answers to the path
   */
  public CgroupDirectory directory(Located cgroup) throws IOException {
    return new CgroupDirectory(cgroup.path, LinkFreeWalk.reopen(cgroup.path, cgroup.identity));
  }

  /**
   * Registers a located cgroup directory with a watch service for changes of its files (inotify: the kernel signals
   * changes of some cgroup files, such as v2 {@code memory.events}), then checks that the directory under the path
   * is still the one the link-free walk reached.
   */
  public WatchKey watch(WatchService service, Located cgroup) throws IOException {
    WatchKey key = cgroup.path.register(service, StandardWatchEventKinds.ENTRY_MODIFY);
    try (CgroupDirectory ignored = directory(cgroup)) {
      return key;
    } catch (IOException | RuntimeException e) {
      key.cancel();
      throw e;
    }
  }

  /**
   * Opens one file of a located cgroup to be read again and again from its start (the kernel regenerates cgroup files
   * on every read from offset 0). An open file also keeps its inode in memory, which the kernel needs to signal the
   * file's changes to a watcher. Close it before the cgroup is removed.
   */
  public OpenCgroupFile open(Located cgroup, String name) throws IOException {
    try (CgroupDirectory d = directory(cgroup)) {
      return d.open(name);
    }
  }

  /** A cgroup directory as {@link #locate} reached it: its path and its identity (device and inode). */
  public static final class Located {
    private final Path path;
    private final Object identity;

    private Located(Path path, Object identity) {
      this.path = path;
      this.identity = identity;
    }

    public Path path() {
      return path;
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  /**
   * A file the kernel generates on read (cgroupfs, procfs: they report size 0), read until EOF into one growing
   * buffer. No stream or decoder on the way: the container monitor reads every container's memory.stat on every pass.
   */
  public static String readToEnd(SeekableByteChannel ch, Charset charset) throws IOException {
    return ControlFiles.readToEnd(ch, charset);
  }

  /**
   * Writes a value in one write(2) call, as cgroupfs requires.
   *
   * @throws NoSuchFileException when the file (or its cgroup) does not exist
   * @throws CgroupIoException with the kernel's reason otherwise, of kind {@code TRY_AGAIN} for EAGAIN
   */
  public void write(Path file, String value) throws IOException {
    try (SecureDirectoryStream<Path> dir = walk.openParent(file)) {
      ControlFiles.write(dir, file, value);
    }
  }

  /**
   * Creates a cgroup directory whose parent exists.
   *
   * @return false when it already existed as a directory
   */
  public boolean mkdir(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> parent = walk.openParent(dir)) {
      try {
        // SecureDirectoryStream has no mkdirat: the parent was just reached without a link, and cgroupfs holds
        // none (symlink(2) there is EPERM), so the parent's path names the same directory.
        Files.createDirectory(dir);
        return true;
      } catch (FileAlreadyExistsException e) {
        if (!LinkFreeWalk.isDirectory(parent, dir.getFileName())) {
          throw new CgroupIoException("mkdir", dir, "exists and is not a directory (symbolic links are not followed)",
              CgroupIoException.Kind.OTHER, e);
        }
        return false;
      }
    } catch (NoSuchFileException | CgroupIoException e) {
      throw e;
    } catch (IOException e) {
      throw CgroupIoException.of("mkdir", dir, e);
    }
  }

  /**
   * Removes one cgroup directory (rmdir). The JDK's exception is passed on as it is: callers decide by its class
   * and by re-reading the cgroup ({@link NoSuchFileException}: already gone).
   */
  public void rmdir(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> parent = walk.openParent(dir)) {
      BasicFileAttributes a = LinkFreeWalk.attributes(parent, dir.getFileName());
      if (!a.isDirectory()) {
        throw new CgroupIoException("rmdir", dir, "not a directory (symbolic links are not followed)",
            CgroupIoException.Kind.OTHER, null);
      }
      parent.deleteDirectory(dir.getFileName());
    }
  }

  /** The names of the directories in {@code dir} (child cgroups), never symbolic links; sorted. */
  public List<String> subdirectories(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> d = walk.openDir(dir)) {
      return LinkFreeWalk.subdirectories(d);
    }
  }

  /**
   * Directories at and below {@code dir}, {@code dir} included; cgroups removed while walking are not counted.
   * Each child is opened from its parent's handle, so the walk from the mount is paid once, not once per cgroup.
   */
  public long countDirectories(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> d = walk.openDir(dir)) {
      return LinkFreeWalk.countDirectories(d);
    }
  }

  /** True when {@code dir} is a directory reached without any link; false when absent, a link or a file. */
  public boolean isDirectory(Path dir) {
    try {
      return attributes(dir).isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  /** True when the file or directory exists, reached without any link; a link itself counts as absent. */
  public boolean exists(Path file) {
    try {
      return !attributes(file).isSymbolicLink();
    } catch (IOException e) {
      return false;
    }
  }

  /** The file's attributes, without following a link at any depth. */
  public BasicFileAttributes attributes(Path file) throws IOException {
    return posixAttributes(file);
  }

  /** The file's owner, group and mode as well, without following a link at any depth. */
  public PosixFileAttributes posixAttributes(Path file) throws IOException {
    if (file.toAbsolutePath().normalize().equals(mount)) {
      return Files.readAttributes(mount, PosixFileAttributes.class, LinkFreeWalk.NO_FOLLOW);
    }
    try (SecureDirectoryStream<Path> parent = walk.openParent(file)) {
      return parent.getFileAttributeView(file.getFileName(), PosixFileAttributeView.class, LinkFreeWalk.NO_FOLLOW)
          .readAttributes();
    }
  }

  /**
   * The type of the filesystem a directory is on ({@code cgroup}, {@code cgroup2}; another when something is mounted
   * over a cgroup), for a directory reached without any link.
   */
  public String fileSystemType(Path dir) throws IOException {
    if (attributes(dir).isSymbolicLink()) {
      throw new CgroupIoException("statfs", dir, "is a symbolic link (symbolic links are not followed)",
          CgroupIoException.Kind.OTHER, null);
    }
    return Files.getFileStore(dir).type();
  }

  /**
   * access(2): whether this process may write the file, reached without a link. The kernel's own check, for the
   * places that must know before acting (v2 delegation: who may move processes).
   */
  public boolean isWritable(Path file) {
    return exists(file) && Files.isWritable(file);
  }
}
