package io.github.yarnmemcg.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Real processes that behave like container workloads, from tools every Debian node has. */
public final class Workloads {
  private Workloads() {}

  /**
   * Writes a file of {@code mib} MiB with O_DIRECT, so none of it is in the page cache: the first reader is
   * charged for all of it.
   */
  public static Path freshFile(Path dir, String name, int mib) throws IOException, InterruptedException {
    Path file = dir.resolve(name);
    run(List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + mib, "oflag=direct", "status=none"));
    return file;
  }

  /**
   * Writes {@code mib} MiB of text lines (decimal numbers from {@code seq}) with O_DIRECT, so that, as with
   * {@link #freshFile}, the first reader is charged for all of its page cache; the last line may be cut short.
   */
  public static Path freshTextFile(Path dir, String name, int mib) throws IOException, InterruptedException {
    Path file = dir.resolve(name);
    run(List.of("bash", "-c", "seq 1 1000000000 | head -c " + mib + "M | dd of=\"$0\" bs=1M iflag=fullblock"
        + " oflag=direct status=none", file.toString()));
    return file;
  }

  /** Reads a file through the page cache without updating atime (a friendly reader: an atime update dirties a metadata page). */
  public static List<String> readNoAtime(Path file) {
    return List.of("dd", "if=" + file, "of=/dev/null", "bs=1M", "iflag=noatime", "status=none");
  }

  /** Allocates and touches {@code mib} MiB of anonymous memory, prints "ready", and holds it until stdin closes. */
  public static List<String> holdAnon(int mib) {
    return List.of("perl", "-e", "$| = 1; my $x = 'a'; $x x= (" + mib + " << 20); print \"ready\\n\"; <STDIN>;");
  }

  /** Allocates {@code mib} MiB of anonymous memory and exits. */
  public static List<String> allocateAnon(int mib) {
    return List.of("perl", "-e", "my $x = 'a'; $x x= (" + mib + " << 20); print length($x), \"\\n\";");
  }

  /** True when the process is gone or a zombie: dead, though its parent may not have reaped it yet. */
  public static boolean isDeadOrZombie(long pid) throws IOException {
    try {
      String stat = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.nio.file.NoSuchFileException e) {
      return true;
    }
  }

  /**
   * A process that maps every page of the file, mlocks it, prints "ready" and holds the pages until stdin closes.
   * The mapping is MADV_NOHUGEPAGE: 7.3 lets khugepaged collapse a read-only ext4 mapping into a file THP, and the
   * new huge page is neither mapped by the process (its page table entries were retracted, and it does not touch
   * the pages again) nor mlocked, so reclaim frees it. Measured in 7.3 guests with khugepaged scanning every 100 ms:
   * the whole 8 MiB was collapsed and then reclaimed in 5 runs of 5, none of it in 3 runs with this advice; 6.12
   * collapsed nothing in 2 runs of 40 s. EINVAL is a kernel without THP, where nothing collapses.
   */
  public static List<String> mlock(Path file) {
    return List.of("/usr/bin/python3", "-c", "import mmap,ctypes,sys,errno\n"
        + "f=open(sys.argv[1],'rb');m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)\n"
        + "try:\n m.madvise(mmap.MADV_NOHUGEPAGE)\nexcept OSError as e:\n assert e.errno==errno.EINVAL,e\n"
        + "s=sum(m[i] for i in range(0,len(m),4096))\n"
        + "assert ctypes.CDLL(None).mlockall(1)==0\nprint('ready',flush=True);sys.stdin.read()", file.toString());
  }

  /**
   * Starts a process outside any container that maps every page of the file and mlocks it, so that no reclaim
   * can free those pages while it lives; returns once they are locked. Destroy it to let them go.
   */
  public static Process mlockFile(Path file) throws IOException {
    Process pin = new ProcessBuilder(mlock(file)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String line = new java.io.BufferedReader(new java.io.InputStreamReader(pin.getInputStream())).readLine();
    if (!"ready".equals(line)) {
      pin.destroyForcibly();
      throw new IOException("could not mlock " + file + ": " + line);
    }
    return pin;
  }

  public static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(command + " exited " + p.exitValue());
    }
  }
}
