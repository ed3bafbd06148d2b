package io.github.yarnmemcg.cgroup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * Reading and writing one control file in a directory that {@link LinkFreeWalk} reached: opened relative to that
 * handle without following a link, read to EOF (cgroupfs reports size 0), written in one write(2) as cgroupfs
 * requires. The JDK's exception classes are kept, which tell EACCES, ENOENT and EEXIST apart in every locale; a write
 * the kernel answered with EAGAIN becomes a {@link CgroupIoException} of kind {@code TRY_AGAIN}.
 */
final class ControlFiles {
  private ControlFiles() {}

  static final Set<OpenOption> READ = Collections.unmodifiableSet(
      new HashSet<>(Arrays.asList(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
  private static final Set<OpenOption> WRITE = Collections.unmodifiableSet(
      new HashSet<>(Arrays.asList(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)));

  /** The whole content of {@code name} in {@code dir}; {@code file} is its path, for the message. */
  static String read(SecureDirectoryStream<Path> dir, Path name, Path file) throws IOException {
    try (SeekableByteChannel ch = dir.newByteChannel(name, READ)) {
      return readToEnd(ch, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw LinkFreeWalk.linkOrElse(dir, name, file, "read", e);
    }
  }

  /**
   * A file the kernel generates on read (cgroupfs, procfs: they report size 0), read until EOF into one growing
   * buffer. No stream or decoder on the way: the container monitor reads every container's memory.stat on every pass.
   */
  static String readToEnd(SeekableByteChannel ch, Charset charset) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    while (ch.read(buffer) >= 0) {
      if (!buffer.hasRemaining()) {
        buffer = ByteBuffer.allocate(buffer.capacity() * 2).put((ByteBuffer) buffer.flip());
      }
    }
    return new String(buffer.array(), 0, buffer.position(), charset);
  }

  /** Writes {@code value} to {@code file} (in {@code dir}) in one write(2) call. */
  static void write(SecureDirectoryStream<Path> dir, Path file, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    int written;
    try (SeekableByteChannel ch = dir.newByteChannel(file.getFileName(), WRITE)) {
      written = ch.write(ByteBuffer.wrap(bytes));
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      // The open fails with a FileSystemException whose class tells EACCES apart; write(2) errors arrive as a
      // plain IOException with only the (translated) text.
      throw LinkFreeWalk.linkOrElse(dir, file.getFileName(), file, "write '" + value + "' to", e);
    }
    if (written < bytes.length) {
      // The JDK returns 0 bytes written where write(2) failed with EAGAIN (v2 memory.reclaim reclaiming less
      // than asked), in every locale: the one errno the caller learns from the result itself.
      throw new CgroupIoException("write '" + value + "' to", file, "Resource temporarily unavailable (EAGAIN)",
          CgroupIoException.Kind.TRY_AGAIN, null);
    }
  }
}
