package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.KeyValues;
import io.github.yarnmemcg.cgroup.MemoryStats;
import io.github.yarnmemcg.cgroup.OpenCgroupFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns of kernel OOM kills in running containers as they happen, for every container with one thread. On cgroup v2
 * the kernel signals each change of a cgroup's {@code memory.events} to inotify, which the JDK's watch service
 * delivers; v1 has no notification Java can receive, so each watched cgroup's {@code memory.oom_control} is read every
 * {@link #V1_POLL} instead. Each watched cgroup's counter file is held open (re-read from offset 0), which is cheaper
 * than reopening it and keeps its inode in memory, without which the kernel skips the inotify signal. New kills are
 * reported once each, with the container's figures read at that moment.
 */
public final class OomWatcher implements Closeable {

  /** Told of new kills, on the watcher's thread. */
  public interface Listener {
    void oomKilled(OomKill kill);
  }

  /** How often v1 counters are read: a kill is then reported within this much, plus the read itself. */
  public static final Duration V1_POLL = Duration.ofMillis(250);

  private static final Logger LOG = LoggerFactory.getLogger(OomWatcher.class);

  private final CgroupDriver driver;
  private final Listener listener;
  private final Map<String, Watched> byId = new ConcurrentHashMap<>();
  private final Map<WatchKey, Watched> byKey = new ConcurrentHashMap<>();
  private final WatchService service;
  private final Thread notified;
  private final ScheduledExecutorService poller;

  /** Starts watching nothing yet: {@link #watch} adds each container. */
  public OomWatcher(CgroupDriver driver, Listener listener) throws IOException {
    this.driver = driver;
    this.listener = listener;
    if (driver.oomKillsNotified()) {
      service = driver.mount().path().getFileSystem().newWatchService();
      notified = new Thread(this::takeSignals, "yarn-memcg-oom-watcher");
      notified.setDaemon(true);
      notified.start();
      poller = null;
    } else {
      service = null;
      notified = null;
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "yarn-memcg-oom-watcher");
        t.setDaemon(true);
        return t;
      });
      poller.scheduleWithFixedDelay(this::checkAllOrLog, V1_POLL.toNanos(), V1_POLL.toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  /** How the kernel tells this watcher, for the log and the doctor. */
  public String how() {
    return driver.oomKillsNotified() ? "signalled by the kernel (inotify on " + driver.oomKillsFile() + ")"
        : "read every " + V1_POLL.toMillis() + " ms (" + driver.oomKillsFile() + "; cgroup v1 signals OOM only"
            + " through an eventfd, which Java cannot create)";
  }

  /**
   * Watches a container's cgroup from now on; kills it already had (a container reacquired after a NodeManager
   * restart) are reported at once. Watching it again (a relaunch under the same id) starts over.
   */
  public void watch(String containerId, Path cgroup) throws IOException {
    unwatch(containerId);
    CgroupFs.Located located = driver.fs().locate(cgroup);
    OpenCgroupFile counter = driver.fs().open(located, driver.oomKillsFile());
    WatchKey key = null;
    try {
      if (service != null) {
        key = driver.fs().watch(service, located);
      }
      Watched w = new Watched(containerId, located, counter, key);
      byId.put(containerId, w);
      if (key != null) {
        byKey.put(key, w);
      }
      // Kills before the registration were never signalled.
      check(w);
    } catch (IOException | RuntimeException e) {
      if (key != null) {
        key.cancel();
      }
      counter.close();
      throw e;
    }
  }

  /**
   * Stops watching a container and closes what was held open, after any report under way for it.
   *
   * @return the count of kills reported for it ({@code oom_kill} as last reported; 0 when it was not watched)
   */
  public long unwatch(String containerId) {
    Watched w = byId.remove(containerId);
    if (w == null) {
      return 0;
    }
    if (w.key != null) {
      byKey.remove(w.key);
      w.key.cancel();
    }
    synchronized (w) {
      w.closed = true;
      closeQuietly(w.counter);
      return w.reported;
    }
  }

  /** Containers watched now. */
  public int watching() {
    return byId.size();
  }

  private void takeSignals() {
    String file = driver.oomKillsFile();
    while (true) {
      WatchKey key;
      try {
        key = service.take();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      }
      boolean changed = false;
      boolean overflow = false;
      for (WatchEvent<?> e : key.pollEvents()) {
        overflow |= e.kind() == StandardWatchEventKinds.OVERFLOW;
        changed |= file.equals(String.valueOf(e.context()));
      }
      key.reset();
      if (overflow) {
        checkAll();
      } else if (changed) {
        Watched w = byKey.get(key);
        if (w != null) {
          check(w);
        }
      }
    }
  }

  /** A periodic task that throws is never run again: a failed pass is logged, and the next one runs. */
  private void checkAllOrLog() {
    try {
      checkAll();
    } catch (RuntimeException e) {
      LOG.warn("yarn-memcg: an OOM watcher pass failed: {}", e.toString());
    }
  }

  private void checkAll() {
    for (Watched w : new ArrayList<>(byId.values())) {
      check(w);
    }
  }

  private void check(Watched w) {
    OomKill kill;
    synchronized (w) {
      if (w.closed) {
        return;
      }
      long kills;
      try {
        kills = oomKills(w.counter);
      } catch (IOException e) {
        // Removed underneath (its processes are gone and something else cleaned it): nothing more to watch.
        LOG.debug("{}: cannot read {}: {}", w.containerId, w.counter.path(), e.toString());
        return;
      }
      if (kills == MemoryStats.UNKNOWN || kills <= w.reported) {
        return;
      }
      long seenAtNanos = System.nanoTime();
      Instant seenAt = Instant.now();
      MemoryStats stats;
      try {
        stats = driver.stats(w.cgroup.path());
      } catch (IOException e) {
        stats = MemoryStats.unknown();
      }
      kill = new OomKill(w.containerId, w.cgroup.path(), kills - w.reported, kills, stats, seenAt, seenAtNanos);
      w.reported = kills;
      // Told while the lock is held, so that unwatch (the container's completion) waits for this report.
      try {
        listener.oomKilled(kill);
      } catch (RuntimeException e) {
        LOG.warn("{}: reporting an OOM kill failed: {}", w.containerId, e.toString());
      }
    }
  }

  private static long oomKills(OpenCgroupFile counter) throws IOException {
    return KeyValues.parse(counter.read()).getOrDefault("oom_kill", MemoryStats.UNKNOWN);
  }

  /** Stops the thread and closes every file held open. */
  @Override
  public void close() {
    if (poller != null) {
      poller.shutdownNow();
    }
    if (service != null) {
      closeQuietly(service);
    }
    for (String id : new ArrayList<>(byId.keySet())) {
      unwatch(id);
    }
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing a read-only handle loses nothing
    }
  }

  private static final class Watched {
    final String containerId;
    final CgroupFs.Located cgroup;
    final OpenCgroupFile counter;
    final WatchKey key;
    long reported;
    boolean closed;

    Watched(String containerId, CgroupFs.Located cgroup, OpenCgroupFile counter, WatchKey key) {
      this.containerId = containerId;
      this.cgroup = cgroup;
      this.counter = counter;
      this.key = key;
    }
  }
}
