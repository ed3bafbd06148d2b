package io.github.yarnmemcg.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes the disk holding a directory has read and written since boot, from /proc/diskstats: what a workload made
 * the disk do, as the difference of two readings.
 */
public record Disk(long readBytes, long writtenBytes) {

  public static Disk of(Path dir) throws IOException {
    long dev = (Long) Files.getAttribute(dir, "unix:dev");
    long major = (dev >> 8) & 0xfff;
    long minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
      String[] f = line.trim().split("\\s+");
      if (Long.parseLong(f[0]) == major && Long.parseLong(f[1]) == minor) {
        return new Disk(Long.parseLong(f[5]) * 512, Long.parseLong(f[9]) * 512);
      }
    }
    throw new IOException("no /proc/diskstats line for device " + major + ":" + minor + " of " + dir);
  }

  public Disk minus(Disk before) {
    return new Disk(readBytes - before.readBytes, writtenBytes - before.writtenBytes);
  }
}
