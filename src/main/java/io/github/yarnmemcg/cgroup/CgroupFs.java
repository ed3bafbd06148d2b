package io.github.yarnmemcg.cgroup;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one door to cgroupfs, as opencontainers/cgroups' {@code file.go} is for runc: every read, write, mkdir,
 * rmdir, listing and existence check of a cgroup file goes through here. A path is taken only inside the mount it
 * was opened on, and is reached one directory at a time from a handle on that mount (the JDK's
 * {@link SecureDirectoryStream}: {@code openat} with {@code O_NOFOLLOW} at each step, the nearest Java has to
 * {@code openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)}), so a symbolic link is never followed at any depth; the
 * mount is checked to be a cgroup filesystem when the door is opened. Failures keep the JDK's exception classes,
 * which tell EACCES, ENOENT and EEXIST apart in every locale; a write the kernel answered with EAGAIN (which the
 * JDK reports as 0 bytes written) becomes a {@link CgroupIoException} of kind {@code TRY_AGAIN}.
 */
public final class CgroupFs {

  private static final Set<String> CGROUP_FILESYSTEMS = new HashSet<>(Arrays.asList("cgroup", "cgroup2"));
  private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};
  private static final Set<OpenOption> READ = Collections.unmodifiableSet(
      new HashSet<>(Arrays.asList(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
  private static final Set<OpenOption> WRITE = Collections.unmodifiableSet(
      new HashSet<>(Arrays.asList(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)));

  private final Path mount;

  private CgroupFs(Path mount) {
    this.mount = mount.toAbsolutePath().normalize();
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
    try (SecureDirectoryStream<Path> dir = openParent(file)) {
      return read(dir, file.getFileName(), file);
    }
  }

  /**
   * One cgroup directory opened once, for reading several of its files (a container's figures are six files):
   * the walk from the mount is paid once instead of once per file.
   */
  public Directory directory(Path cgroup) throws IOException {
    return new Directory(cgroup.toAbsolutePath().normalize(), openDir(cgroup));
  }

  /**
   * Walks to the cgroup without following a link, as {@link #directory(Path)} does, and remembers which directory it
   * reached (device and inode), so that it can be reopened later in one call: see {@link #directory(Located)}.
   */
  public Located locate(Path cgroup) throws IOException {
    try (SecureDirectoryStream<Path> d = openDir(cgroup)) {
      return new Located(cgroup.toAbsolutePath().normalize(), identity(d));
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
  public Directory directory(Located cgroup) throws IOException {
    DirectoryStream<Path> d = Files.newDirectoryStream(cgroup.path);
    if (d instanceof SecureDirectoryStream) {
      SecureDirectoryStream<Path> handle = (SecureDirectoryStream<Path>) d;
      try {
        if (identity(handle).equals(cgroup.identity)) {
          return new Directory(cgroup.path, handle);
        }
      } catch (IOException | RuntimeException e) {
        closeQuietly(handle);
        throw e;
      }
    }
    closeQuietly(d);
    throw new CgroupIoException("open", cgroup.path, "is no longer the directory first reached there without a link",
        CgroupIoException.Kind.OTHER, null);
  }

  /**
   * Registers a located cgroup directory with a watch service for changes of its files (inotify: the kernel signals
   * changes of some cgroup files, such as v2 {@code memory.events}), then checks that the directory under the path
   * is still the one the link-free walk reached.
   */
  public WatchKey watch(WatchService service, Located cgroup) throws IOException {
    WatchKey key = cgroup.path.register(service, StandardWatchEventKinds.ENTRY_MODIFY);
    try (Directory ignored = directory(cgroup)) {
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
  public OpenFile open(Located cgroup, String name) throws IOException {
    try (Directory d = directory(cgroup)) {
      Path file = d.fileNamed(name);
      try {
        return new OpenFile(file, d.handle.newByteChannel(file.getFileName(), READ));
      } catch (NoSuchFileException e) {
        throw e;
      } catch (IOException e) {
        throw linkOrElse(d.handle, file.getFileName(), file, "open", e);
      }
    }
  }

  /** A cgroup file held open by {@link #open}. */
  public static final class OpenFile implements Closeable {
    private final Path path;
    private final SeekableByteChannel channel;

    private OpenFile(Path path, SeekableByteChannel channel) {
      this.path = path;
      this.channel = channel;
    }

    public Path path() {
      return path;
    }

    /** The whole file as the kernel generates it now. */
    public synchronized String read() throws IOException {
      channel.position(0);
      return readToEnd(channel);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private static Object identity(SecureDirectoryStream<Path> d) throws IOException {
    Object key = d.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
    if (key == null) {
      throw new IOException("this Java runtime does not tell directories apart (no file key); yarn-memcg needs it to"
          + " reopen a cgroup without following a link");
    }
    return key;
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

  /** A cgroup directory reached without any link, whose files are read relative to it. Close it after use. */
  public static final class Directory implements Closeable {
    private final Path path;
    private final SecureDirectoryStream<Path> handle;

    private Directory(Path path, SecureDirectoryStream<Path> handle) {
      this.path = path;
      this.handle = handle;
    }

    /** The whole content of one of this cgroup's files ({@code name} is a file name, not a path). */
    public String read(String name) throws IOException {
      Path file = fileNamed(name);
      return CgroupFs.read(handle, file.getFileName(), file);
    }

    private Path fileNamed(String name) throws CgroupIoException {
      Path file = path.resolve(name).normalize();
      if (!path.equals(file.getParent())) {
        throw new CgroupIoException("read", path.resolve(name), "not a file name in " + path,
            CgroupIoException.Kind.OTHER, null);
      }
      return file;
    }

    @Override
    public void close() throws IOException {
      handle.close();
    }
  }

  private static String read(SecureDirectoryStream<Path> dir, Path name, Path file) throws IOException {
    try (SeekableByteChannel ch = dir.newByteChannel(name, READ)) {
      return readToEnd(ch);
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw linkOrElse(dir, name, file, "read", e);
    }
  }

  private static String readToEnd(SeekableByteChannel ch) throws IOException {
    return readToEnd(ch, StandardCharsets.US_ASCII);
  }

  /**
   * A file the kernel generates on read (cgroupfs, procfs: they report size 0), read until EOF into one growing
   * buffer. No stream or decoder on the way: the container monitor reads every container's memory.stat on every pass.
   */
  public static String readToEnd(SeekableByteChannel ch, Charset charset) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    while (ch.read(buffer) >= 0) {
      if (!buffer.hasRemaining()) {
        buffer = ByteBuffer.allocate(buffer.capacity() * 2).put((ByteBuffer) buffer.flip());
      }
    }
    return new String(buffer.array(), 0, buffer.position(), charset);
  }

  /**
   * Writes a value in one write(2) call, as cgroupfs requires.
   *
   * @throws NoSuchFileException when the file (or its cgroup) does not exist
   * @throws CgroupIoException with the kernel's reason otherwise, of kind {@code TRY_AGAIN} for EAGAIN
   */
  public void write(Path file, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    int written;
    try (SecureDirectoryStream<Path> dir = openParent(file)) {
      try (SeekableByteChannel ch = dir.newByteChannel(file.getFileName(), WRITE)) {
        written = ch.write(ByteBuffer.wrap(bytes));
      } catch (NoSuchFileException e) {
        throw e;
      } catch (IOException e) {
        // The open fails with a FileSystemException whose class tells EACCES apart; write(2) errors arrive as a
        // plain IOException with only the (translated) text.
        throw linkOrElse(dir, file.getFileName(), file, "write '" + value + "' to", e);
      }
    }
    if (written < bytes.length) {
      // The JDK returns 0 bytes written where write(2) failed with EAGAIN (v2 memory.reclaim reclaiming less
      // than asked), in every locale: the one errno the caller learns from the result itself.
      throw new CgroupIoException("write '" + value + "' to", file, "Resource temporarily unavailable (EAGAIN)",
          CgroupIoException.Kind.TRY_AGAIN, null);
    }
  }

  /**
   * Creates a cgroup directory whose parent exists.
   *
   * @return false when it already existed as a directory
   */
  public boolean mkdir(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> parent = openParent(dir)) {
      try {
        // SecureDirectoryStream has no mkdirat: the parent was just reached without a link, and cgroupfs holds
        // none (symlink(2) there is EPERM), so the parent's path names the same directory.
        Files.createDirectory(dir);
        return true;
      } catch (FileAlreadyExistsException e) {
        if (!isDirectory(parent, dir.getFileName())) {
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
    try (SecureDirectoryStream<Path> parent = openParent(dir)) {
      BasicFileAttributes a = attributes(parent, dir.getFileName());
      if (!a.isDirectory()) {
        throw new CgroupIoException("rmdir", dir, "not a directory (symbolic links are not followed)",
            CgroupIoException.Kind.OTHER, null);
      }
      parent.deleteDirectory(dir.getFileName());
    }
  }

  /** The names of the directories in {@code dir} (child cgroups), never symbolic links; sorted. */
  public List<String> subdirectories(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> d = openDir(dir)) {
      return subdirectories(d);
    }
  }

  private static List<String> subdirectories(SecureDirectoryStream<Path> dir) throws IOException {
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

  /**
   * Directories at and below {@code dir}, {@code dir} included; cgroups removed while walking are not counted.
   * Each child is opened from its parent's handle, so the walk from the mount is paid once, not once per cgroup.
   */
  public long countDirectories(Path dir) throws IOException {
    try (SecureDirectoryStream<Path> d = openDir(dir)) {
      return countDirectories(d);
    }
  }

  private static long countDirectories(SecureDirectoryStream<Path> dir) throws IOException {
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
      return Files.readAttributes(mount, PosixFileAttributes.class, NO_FOLLOW);
    }
    try (SecureDirectoryStream<Path> parent = openParent(file)) {
      return parent.getFileAttributeView(file.getFileName(), PosixFileAttributeView.class, NO_FOLLOW)
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

  private static boolean isDirectory(SecureDirectoryStream<Path> parent, Path name) {
    try {
      return attributes(parent, name).isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  private static BasicFileAttributes attributes(SecureDirectoryStream<Path> parent, Path name) throws IOException {
    return parent.getFileAttributeView(name, BasicFileAttributeView.class, NO_FOLLOW).readAttributes();
  }

  private SecureDirectoryStream<Path> openParent(Path file) throws IOException {
    Path p = file.toAbsolutePath().normalize();
    if (p.equals(mount) || p.getParent() == null) {
      throw new CgroupIoException("open", file, "not a file inside the cgroup mount " + mount,
          CgroupIoException.Kind.OTHER, null);
    }
    return openDir(p.getParent());
  }

  /** Opens a directory under the mount one component at a time, never following a link. */
  private SecureDirectoryStream<Path> openDir(Path dir) throws IOException {
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
   * The failure of {@code operation} on {@code name} in {@code parent}, naming a symbolic link as such, decided by
   * looking at the entry (the JDK's ELOOP text is translated), else classified by the exception's class.
   */
  private static IOException linkOrElse(SecureDirectoryStream<Path> parent, Path name, Path path, String operation,
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

  private static void closeQuietly(DirectoryStream<Path> d) {
    try {
      d.close();
    } catch (IOException ignored) {
      // closing a directory handle cannot lose data
    }
  }
}
