package io.github.yarnmemcg.demo;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Text input that no one has read: written with O_DIRECT, so none of it is in the page cache and the first
 * container to read it is charged for all of it. Each MiB holds one line with {@link #NEEDLE}, so a job that
 * counts it can be checked.
 */
final class FreshText {
  private FreshText() {}

  static final String NEEDLE = "dying memcg";
  private static final int MIB = 1 << 20;

  static Path write(Path file, int mib) throws IOException {
    int align = (int) Math.max(4096, Files.getFileStore(file.getParent()).getBlockSize());
    ByteBuffer chunk = ByteBuffer.allocateDirect(MIB + align).alignedSlice(align);
    chunk.limit(MIB);
    chunk.put(line(0, NEEDLE));
    for (int i = 1; chunk.remaining() > 0; i++) {
      byte[] l = line(i, "page cache");
      if (l.length >= chunk.remaining()) {
        // Pad the last line so that every MiB ends with a newline and lines never span two chunks.
        byte[] pad = new byte[chunk.remaining()];
        java.util.Arrays.fill(pad, (byte) '.');
        pad[pad.length - 1] = '\n';
        chunk.put(pad);
      } else {
        chunk.put(l);
      }
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        ExtendedOpenOption.DIRECT)) {
      for (int i = 0; i < mib; i++) {
        chunk.rewind();
        while (chunk.hasRemaining()) {
          ch.write(chunk);
        }
      }
    }
    return file;
  }

  private static byte[] line(int i, String words) {
    return String.format("%07d the kernel charges a %s page to the memory cgroup of whoever first read it%n",
        i, words).getBytes(StandardCharsets.US_ASCII);
  }
}
