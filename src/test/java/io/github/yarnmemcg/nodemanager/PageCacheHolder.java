package io.github.yarnmemcg.nodemanager;

import java.nio.file.Path;

/**
 * A container workload that maps a file already in the page cache and touches every page, then holds it:
 * its resident set is the whole file, though none of it is charged to the container's memory cgroup.
 * Hadoop's procfs-based monitor counts it; {@link MemcgProcessTree} does not.
 */
final class PageCacheHolder {
  private PageCacheHolder() {}

  static String command(Path file, int holdSeconds) {
    String py = "import mmap,os,time;f=open('" + file + "','rb');m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ);"
        + "s=sum(m[i] for i in range(0,len(m),4096));time.sleep(" + holdSeconds + ");print(s)";
    return "/usr/bin/python3 -c " + "\\\"" + py + "\\\"";
  }
}
