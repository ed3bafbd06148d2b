package io.github.yarnmemcg.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How much of some files is in the page cache now, as {@code mincore(2)} tells, through util-linux's
 * {@code fincore} (the JDK cannot call mincore, and fincore maps the files without touching a page of them, so
 * looking changes nothing). Unlike a disk's read counter, this is about the files that matter alone, at the moment
 * that matters: what another reader would find cached, whoever evicted the rest (the plugin, the container's own
 * limit, the machine's reclaim).
 *
 * @param files how many files were looked at
 * @param sizeBytes their total size
 * @param residentBytes how much of it is cached
 */
public record Residency(int files, long sizeBytes, long residentBytes) {
  private static final Path FINCORE = findFincore();

  /** Whether fincore exists on the host; without it {@link #of} is not available. */
  public static boolean available() {
    return FINCORE != null;
  }

  /** The residency of these files now; files removed meanwhile count as absent. */
  public static Residency of(List<Path> paths) throws IOException, InterruptedException {
    if (FINCORE == null) {
      throw new IllegalStateException("fincore (util-linux) is not installed");
    }
    int files = 0;
    long size = 0;
    long resident = 0;
    // In batches, for the command line's length.
    for (int from = 0; from < paths.size(); from += 200) {
      List<String> command = new ArrayList<>(List.of(FINCORE.toString(), "--bytes", "--raw", "--noheadings",
          "--output", "RES,SIZE"));
      paths.subList(from, Math.min(paths.size(), from + 200)).forEach(p -> command.add(p.toString()));
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("fincore did not end in 30 s");
      }
      // Exit status 1 when a file could not be opened (deleted meanwhile): the others' lines are still printed.
      for (String line : out.split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 2) {
          resident += Long.parseLong(f[0]);
          size += Long.parseLong(f[1]);
          files++;
        }
      }
    }
    return new Residency(files, size, resident);
  }

  /** The resident share of the files' size, 0 when there were none. */
  public double fraction() {
    return sizeBytes == 0 ? 0 : residentBytes / (double) sizeBytes;
  }

  @Override
  public String toString() {
    return String.format("%d files, %.1f of %.1f MiB cached (%.0f%%)", files, residentBytes / (double) (1 << 20),
        sizeBytes / (double) (1 << 20), 100 * fraction());
  }

  private static Path findFincore() {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path + ":/usr/bin:/bin").split(":")) {
      Path f = Path.of(dir.isEmpty() ? "." : dir, "fincore");
      if (Files.isExecutable(f)) {
        return f;
      }
    }
    return null;
  }
}
