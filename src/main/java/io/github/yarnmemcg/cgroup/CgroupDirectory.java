package io.github.yarnmemcg.cgroup;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;

/**
 * A cgroup directory reached without any link ({@link CgroupFs#directory}), whose files are read relative to it: a
 * container's figures are six files, and the walk from the mount is paid once for all of them. Close it after use.
 */
public final class CgroupDirectory implements Closeable {
  private final Path path;
  private final SecureDirectoryStream<Path> handle;

  CgroupDirectory(Path path, SecureDirectoryStream<Path> handle) {
    this.path = path;
    this.handle = handle;
  }

  /** The whole content of one of this cgroup's files ({@code name} is a file name, not a path). */
  public String read(String name) throws IOException {
    Path file = fileNamed(name);
    return ControlFiles.read(handle, file.getFileName(), file);
  }

  /** One of this cgroup's files held open, to be read again and again ({@link CgroupFs#open}). */
  OpenCgroupFile open(String name) throws IOException {
    Path file = fileNamed(name);
    try {
      return new OpenCgroupFile(file, handle.newByteChannel(file.getFileName(), ControlFiles.READ));
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw LinkFreeWalk.linkOrElse(handle, file.getFileName(), file, "open", e);
    }
  }

  /** The path of a file in this directory; a name that would lead elsewhere ("..", "a/b") is refused. */
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
