package io.github.yarnmemcg.lifecycle;

import io.github.yarnmemcg.cgroup.Backoff;
import io.github.yarnmemcg.cgroup.CgroupFs;
import io.github.yarnmemcg.cgroup.DrainResult;
import io.github.yarnmemcg.cgroup.MemoryStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One finished container's cleanup as named states, each step run on a cleanup thread and every delay taken
 * from a {@link Backoff}: {@code KILL} (leftover processes) then, by the node's {@link CleanupPolicy},
 * {@code RETIRED} (empty and unprotected until its page cache is gone or the retire budget needs its place; the
 * retirement pass looks at it), {@code WAIT} (empty and unprotected until its application has ended or a cap is
 * reached), {@code DRAIN} (evict
 * what is still charged, giving the thread back while dirty pages wait for the flusher) and {@code REMOVE}
 * (rmdir), ending {@code DONE}. A failed step goes back to the timer with backoff and is given up after
 * {@code reaper.give-up-ms} of failing.
 */
final class Cleanup implements RetiredOrder.Retiree {

  private static final Logger LOG = LoggerFactory.getLogger(Cleanup.class);
  private static final long NOW = -1;
  /** Not scheduled again: the retirement pass, or the application's end, looks at a retired cgroup next. */
  private static final long PASS = -2;
  /** The kernel's periodic flush of memcg statistics runs every 2 s; a second reading this much later is fresh. */
  static final long STATS_FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(2_500);
  private static final long DRAIN_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /** How long the drain of a released cgroup's remainder may wait for it before the cgroup is retired again. */
  static final long RELEASE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** A failed step is retried at 1 s doubling to 60 s. */
  static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
  /** A drain that made no progress looks again at 250 ms doubling to 8 s. */
  static final Backoff PAGES = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(8));
  /** A waiting cgroup asks whether its application has ended at 1 s doubling to 30 s (and when told it has). */
  static final Backoff APPLICATION = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

  enum State { KILL, RETIRED, WAIT, DRAIN, REMOVE, DONE }

  /** Why a waiting or retired cgroup stopped being kept. */
  enum Wake {
    APPLICATION_ENDED("its application ended"),
    AGE_CAP("it waited drain.wait.max-ms"),
    COUNT_CAP("more than drain.wait.max-cgroups cgroups were waiting"),
    RELEASED("its page cache fell below retire.release-below-kb"),
    OVER_BUDGET("more cgroups were retired than the retire budget allows");

    final String why;

    Wake(String why) {
      this.why = why;
    }
  }

  private final CleanupOwner owner;
  final String containerId;
  final Path cgroup;
  final String applicationId;
  final CompletableFuture<CleanupResult> future = new CompletableFuture<>();
  private final long begun;
  /** Only the step holding the current ticket runs; a wake-up takes a new ticket and so retires a scheduled one. */
  private final AtomicInteger ticket = new AtomicInteger();
  private volatile State state = State.KILL;
  private volatile Wake wokenBy;
  private volatile long waitingSince;
  /** Failed attempts in all, for the result. */
  private int attempts;
  /** Failed attempts since the last step that worked: the retry's backoff starts again from 1 s after a success. */
  private int failuresInARow;
  private long failingSince;
  private int rounds;
  private long drainBegun;
  private long cachedAtExit;
  private long chargedAtDrain;
  private long evicted;
  private long leftCharged;
  private long waitedNanos;
  private int deleteRetries;
  /** Of a retired cgroup, at its last look: the page cache and shmem it held, and its active file pages. */
  private volatile long held;
  private long active;
  private volatile boolean reused;
  private volatile long lastReuse;
  /** A retired cgroup as the link-free walk found it, reopened in one call by every later look. */
  private CgroupFs.Located located;
  /** Since when a retired cgroup's charge has read below the release threshold; 0 while it has not. */
  private long lowSince;

  Cleanup(CleanupOwner owner, String containerId, Path cgroup) {
    this.owner = owner;
    this.containerId = containerId;
    this.cgroup = cgroup;
    this.applicationId = Applications.applicationOf(containerId);
    this.begun = nanoTime();
  }

  State state() {
    return state;
  }

  /** Since when this cleanup has been waiting ({@link System#nanoTime}), valid in {@link State#WAIT}. */
  long waitingSince() {
    return waitingSince;
  }

  @Override
  public long retiredSince() {
    return waitingSince;
  }

  @Override
  public boolean reused() {
    return reused;
  }

  @Override
  public long lastReuse() {
    return lastReuse;
  }

  /** Page cache and shmem a retired cgroup held when last looked at. */
  long held() {
    return held;
  }

  /** Set by {@link Cleanups} only, under its lock, with the gauge of what all retired cgroups hold. */
  void held(long bytes) {
    held = bytes;
  }

  void begin() {
    schedule(0, ticket.get());
  }

  /** Stops waiting at once, for this reason; does nothing unless waiting or retired. */
  void wake(Wake why) {
    if (state == State.WAIT || state == State.RETIRED) {
      wokenBy = why;
      schedule(0, ticket.incrementAndGet());
    }
  }

  /** Asks again at once whether the application has ended (the NodeManager has just deleted some of its files). */
  void recheck() {
    if (state == State.WAIT || state == State.RETIRED) {
      schedule(0, ticket.incrementAndGet());
    }
  }

  /** The retirement pass: reads a retired cgroup's charge now, on the caller's thread (a new ticket, as a wake-up). */
  void look() {
    if (state == State.RETIRED) {
      run(ticket.incrementAndGet());
    }
  }

  /** Called by a relaunch: waits for a step in progress, then makes sure no other one starts. */
  synchronized void supersede() {
    ticket.incrementAndGet();
    finish(CleanupResult.Outcome.SUPERSEDED, false);
  }

  private void schedule(long delayNanos, int withTicket) {
    Runnable step = () -> run(withTicket);
    boolean accepted = delayNanos <= 0 ? owner.scheduler().now(step) : owner.scheduler().later(delayNanos, step);
    if (!accepted && state != State.DONE) {
      // The NodeManager is stopping: the cgroup stays for the next start's sweep.
      LOG.info("{}: cleanup stopped by shutdown in state {}, memcg {} stays for the next start", containerId, state,
          cgroup);
    }
  }

  private synchronized void run(int withTicket) {
    if (withTicket != ticket.get() || state == State.DONE) {
      return;
    }
    try {
      long delay = NOW;
      while (delay == NOW && state != State.DONE) {
        delay = step();
      }
      failingSince = 0;
      failuresInARow = 0;
      if (state != State.DONE && delay >= 0) {
        schedule(delay, withTicket);
      }
    } catch (IOException | RuntimeException e) {
      if (!owner.driver().fs().isDirectory(cgroup)) {
        // Removed under the cleanup (an operator, a sweep of another tool): nothing is left to clean.
        LOG.info("{}: memcg {} was removed by someone else in state {}", containerId, cgroup, state);
        finish(CleanupResult.Outcome.ABSENT, true);
        return;
      }
      retryLater(e, withTicket);
    }
  }

  /** One state's work. @return {@link #NOW} after a transition, a delay to run this state again, or any when done */
  private long step() throws IOException {
    switch (state) {
      case KILL:
        return kill();
      case RETIRED:
        return retired();
      case WAIT:
        return awaitApplication();
      case DRAIN:
        return drain();
      case REMOVE:
        return remove();
      default:
        return 0;
    }
  }

  private long kill() throws IOException {
    if (!owner.driver().killAll(cgroup, nanoTime() + owner.settings().killTimeout().toNanos())) {
      throw new IOException("processes " + owner.driver().pids(cgroup) + " still in " + cgroup + " after SIGKILL");
    }
    // One reading once the processes are gone: the baseline of what the application's own deletions free while the
    // cgroup waits, and what a removal without a drain leaves charged.
    MemoryStats atExit = owner.driver().memoryStat(cgroup);
    cachedAtExit = atExit.pageCache();
    chargedAtDrain = cachedAtExit;
    switch (owner.policy()) {
      case AT_EXIT:
        return to(State.DRAIN);
      case RETIRE:
        owner.driver().setSoftLimit(cgroup, 0);
        waitingSince = nanoTime();
        active = atExit.activeFile();
        to(State.RETIRED);
        owner.retired(this, charged(atExit));
        // The first look, from the reading just made: one holding almost nothing is released after a second one.
        return retired(atExit);
      case AFTER_APPLICATION:
        // Unprotected, its pages are the first that reclaim takes under pressure while it waits.
        owner.driver().setSoftLimit(cgroup, 0);
        waitingSince = nanoTime();
        to(State.WAIT);
        owner.waiting(this);
        return NOW;
      default:
        // Removed undrained, next: what is charged now stays charged (moved to the parent on 7.1+).
        leftCharged = charged(atExit);
        return to(State.REMOVE);
    }
  }

  /**
   * One look at a retired cgroup: released once what it holds has fallen below the threshold, drained when the budget
   * woke it, and otherwise kept, noting whether someone read its pages again since the last look.
   */
  private long retired() throws IOException {
    if (located == null) {
      located = owner.driver().fs().locate(cgroup);
    }
    return retired(owner.driver().memoryStat(located));
  }

  private long retired(MemoryStats s) {
    long now = nanoTime();
    owner.held(this, charged(s));
    // Only a read by someone else can move an exited container's pages to its active list.
    if (s.activeFile() > active) {
      reused = true;
      lastReuse = now;
    }
    active = s.activeFile();
    if (wokenBy == null && held < owner.settings().retire().releaseBelowBytes()) {
      // The kernel flushes a memcg's per-CPU statistics into memory.stat only past a batch of changes or every 2 s,
      // so one reading may lag by up to a batch per CPU: a second one after the periodic flush confirms it.
      if (lowSince == 0) {
        lowSince = now;
        return STATS_FLUSH_NANOS;
      }
      if (now - lowSince < STATS_FLUSH_NANOS) {
        return STATS_FLUSH_NANOS - (now - lowSince);
      }
      wokenBy = Wake.RELEASED;
    } else {
      lowSince = 0;
    }
    if (wokenBy == null) {
      return PASS;
    }
    waitedNanos = now - waitingSince;
    owner.stoppedWaiting(this);
    return to(State.DRAIN);
  }

  private static long charged(MemoryStats s) {
    return s.pageCache() + Math.max(0, s.shmem());
  }

  private long awaitApplication() throws IOException {
    long waited = nanoTime() - waitingSince;
    if (wokenBy == null && owner.applications().hasEnded(applicationId)) {
      wokenBy = Wake.APPLICATION_ENDED;
    }
    if (wokenBy == null && waited >= owner.settings().maxWait().toNanos()) {
      wokenBy = Wake.AGE_CAP;
    }
    if (wokenBy == null) {
      return Math.min(APPLICATION.delayNanos(rounds++), owner.settings().maxWait().toNanos() - waited);
    }
    waitedNanos = waited;
    owner.stoppedWaiting(this);
    return to(State.DRAIN);
  }

  private long drain() throws IOException {
    long now = nanoTime();
    boolean first = drainBegun == 0;
    if (first) {
      drainBegun = now;
    }
    // A released cgroup holds next to nothing: what will not go at once may go later, and it stays retired meanwhile.
    long budget = wokenBy == Wake.RELEASED ? RELEASE_DRAIN_NANOS : owner.settings().drainTimeout().toNanos();
    long deadline = drainBegun + budget;
    DrainResult d = owner.driver().drain(cgroup, deadline - now > DRAIN_SLICE_NANOS ? now + DRAIN_SLICE_NANOS : deadline);
    if (first) {
      chargedAtDrain = d.pageCacheBefore();
    }
    evicted += d.drainedBytes();
    owner.counters().evictedBytes.add(d.drainedBytes());
    owner.counters().drainNanos.add(d.nanos());
    if (!d.complete() && deadline - nanoTime() > 0) {
      // Gives the thread back while the pages cannot go yet (dirty until the flusher writes them, held by a
      // journal, pinned by another process): at once after progress, else with backoff, never past the budget.
      long delay = d.drainedBytes() > 0 ? (rounds = 0) : PAGES.delayNanos(rounds++);
      return Math.max(0, Math.min(delay, deadline - nanoTime()));
    }
    if (d.leftCharged() > 0 && wokenBy == Wake.RELEASED) {
      // Kept rather than removed still charged, which would leave it dying: a page a filesystem's journal holds, or
      // dirty pages until the flusher writes them, go later; the next pass looks again.
      LOG.debug("{}: {} bytes still charged after the release's drain, retired again", containerId, d.leftCharged());
      drainBegun = 0;
      wokenBy = null;
      lowSince = 0;
      to(State.RETIRED);
      owner.retired(this, d.leftCharged());
      return PASS;
    }
    leftCharged = d.leftCharged();
    if (leftCharged > 0) {
      MemoryStats s = d.after();
      LOG.warn("{}: memory still charged after draining for {} ms: file={} shmem={} dirty={} writeback={}"
          + " mapped={} bytes; removing the cgroup anyway, the kernel will keep it as a dying memcg", containerId,
          TimeUnit.NANOSECONDS.toMillis(nanoTime() - drainBegun), s.file(), s.shmem(), s.dirty(),
          s.writeback(), s.mappedFile());
    }
    return to(State.REMOVE);
  }

  private long remove() throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      // The NodeManager is stopping: removing a cgroup whose drain was cut short would leave it dying.
      LOG.info("{}: cleanup interrupted by shutdown, memcg {} stays for the next start", containerId, cgroup);
      state = State.DONE;
      return 0;
    }
    int retries = owner.driver().delete(cgroup, nanoTime() + owner.settings().deleteTimeout().toNanos());
    deleteRetries += retries;
    owner.counters().deleteRetries.add(retries);
    owner.counters().cleaned.increment();
    owner.counters().chargedAtRemoval.add(leftCharged);
    if (leftCharged > 0 && owner.policy().drains()) {
      owner.counters().leftCharged.increment();
    }
    owner.counters().freedWithoutEviction.add(freedWithoutEviction());
    if (wokenBy == Wake.OVER_BUDGET) {
      owner.counters().drainedOverBudget.increment();
      owner.counters().evictedOverBudget.add(evicted);
    } else if (wokenBy == Wake.RELEASED) {
      owner.counters().released.increment();
    }
    finish(CleanupResult.Outcome.CLEANED, true);
    LOG.info("{}: memcg removed ({}): page cache {} MiB at exit, {} MiB freed without eviction{}, {} MiB evicted,"
        + " {} MiB still charged at removal", containerId, owner.policy().name().toLowerCase(Locale.ROOT),
        MemoryStats.mib(cachedAtExit), MemoryStats.mib(freedWithoutEviction()), wokenBy != null ? " while it waited "
            + TimeUnit.NANOSECONDS.toSeconds(waitedNanos) + " s until " + wokenBy.why : "",
        MemoryStats.mib(evicted), MemoryStats.mib(leftCharged));
    owner.removed();
    return 0;
  }

  /** The scheduler's clock: {@link System#nanoTime} on a NodeManager. */
  private long nanoTime() {
    return owner.scheduler().nanoTime();
  }

  private long to(State next) {
    state = next;
    rounds = 0;
    return NOW;
  }

  private long freedWithoutEviction() {
    return Math.max(0, cachedAtExit - chargedAtDrain);
  }

  private void retryLater(Exception e, int withTicket) {
    attempts++;
    failuresInARow++;
    long now = nanoTime();
    if (failingSince == 0) {
      failingSince = now;
    }
    long failingMs = TimeUnit.NANOSECONDS.toMillis(now - failingSince);
    if (failingMs >= owner.settings().reaperGiveUp().toMillis() || owner.scheduler().isShutdown()) {
      LOG.error("{}: giving up on memcg {} in state {} after {} failed attempts over {} ms: {}", containerId, cgroup,
          state, attempts, failingMs, e.toString());
      owner.counters().givenUp.increment();
      finish(CleanupResult.Outcome.GIVEN_UP, false);
      return;
    }
    long delay = RETRY.delayNanos(failuresInARow - 1);
    LOG.warn("{}: cleanup of memcg {} failed in state {} (attempt {}), the reaper retries in {} ms: {}", containerId,
        cgroup, state, attempts, TimeUnit.NANOSECONDS.toMillis(delay), e.getMessage());
    owner.counters().awaitingRetry.increment();
    // later() hands the step back to a cleanup thread.
    if (!owner.scheduler().later(delay, () -> {
      owner.counters().awaitingRetry.decrement();
      run(withTicket);
    })) {
      owner.counters().awaitingRetry.decrement();
      finish(CleanupResult.Outcome.GIVEN_UP, false);
    }
  }

  private void finish(CleanupResult.Outcome outcome, boolean removed) {
    if (state == State.WAIT || state == State.RETIRED) {
      owner.stoppedWaiting(this);
    }
    state = State.DONE;
    if (future.isDone()) {
      return;
    }
    owner.finished(this);
    future.complete(new CleanupResult(containerId, outcome, removed, evicted, leftCharged,
        nanoTime() - begun, deleteRetries, removed || outcome != CleanupResult.Outcome.GIVEN_UP ? attempts + 1 : attempts,
        cachedAtExit, freedWithoutEviction(),
        waitedNanos));
  }
}
