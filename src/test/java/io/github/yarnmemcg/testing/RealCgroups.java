package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.cgroup.CgroupDriver;
import io.github.yarnmemcg.cgroup.CgroupDrivers;
import io.github.yarnmemcg.cgroup.CgroupVersion;
import io.github.yarnmemcg.cgroup.MemoryMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A unique cgroup root on the host's real memory controller for each test, removed afterwards even when
 * the test fails (leftover processes killed, page cache drained, every directory removed deepest first).
 * With {@code CI=true} a node without a writable memory controller fails the test with the reason; elsewhere
 * the test is skipped with it.
 */
public final class RealCgroups implements BeforeEachCallback, AfterEachCallback {

  private final Optional<CgroupVersion> version;
  private MemoryMount mount;
  private CgroupDriver driver;
  private Path root;
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

  /** Returns the reason real cgroups cannot be used here, or empty when they can. */
  public static Optional<String> unavailableReason() {
    try {
      MemoryMount m = MemoryMount.discover(Optional.empty());
      if (!Files.isWritable(m.path())) {
        return Optional.of("memory cgroup mount " + m.path() + " is not writable by this user (run as root)");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** Fails in CI, skips elsewhere, when the real memory controller cannot be used. */
  public static void require() {
    unavailableReason().ifPresent(RealCgroups::failInCiElseSkip);
  }

  /**
   * As {@link #require()}, and the controller must be on this cgroup version: for the tests of one version's own
   * files, which the cgroup v2 VM stage runs (src/test/vm) with {@code CI=true}.
   */
  public static void require(CgroupVersion version) {
    require();
    try {
      CgroupVersion found = MemoryMount.discover(Optional.empty()).version();
      if (found != version) {
        failInCiElseSkip("this test needs the memory controller on cgroup " + version.name().toLowerCase()
            + ", this node has it on cgroup " + found.name().toLowerCase());
      }
    } catch (IOException e) {
      failInCiElseSkip(e.getMessage());
    }
  }

  private static void failInCiElseSkip(String reason) {
    String message = "real-kernel test needs a writable memory cgroup controller: " + reason;
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(message + " (CI=true: real-kernel tests must run, not skip)");
    }
    Assumptions.abort(message);
  }

  /** Any cgroup version, whichever this node's memory controller is on. */
  public RealCgroups() {
    this(Optional.empty());
  }

  /** Only this cgroup version: fails in CI, skips elsewhere, on a node with the other one. */
  public RealCgroups(Optional<CgroupVersion> version) {
    this.version = version;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    version.ifPresentOrElse(RealCgroups::require, RealCgroups::require);
    mount = MemoryMount.discover(Optional.empty());
    driver = CgroupDrivers.forMount(mount);
    root = mount.path().resolve("yarn-memcg-test-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      while (!toClose.isEmpty()) {
        toClose.pop().close();
      }
    } finally {
      toClose.clear();
      removeTree(driver, root);
    }
  }

  /**
   * Closes {@code c} after the test, before the root is removed, newest first: a lifecycle on the root stops before
   * its cgroups are taken away. Closing it earlier as well is harmless.
   */
  public <T extends AutoCloseable> T closing(T c) {
    toClose.push(c);
    return c;
  }

  /**
   * The driver of this node's memory controller, for a test that keeps a root of its own across its tests (a
   * cluster per class): fails in CI, skips elsewhere, without a writable controller.
   */
  public static CgroupDriver hostDriver() throws IOException {
    require();
    return CgroupDrivers.forMount(MemoryMount.discover(Optional.empty()));
  }

  /** A root no other test uses, {@code yarn-memcg-it-<8 hex>} under the driver's mount; it does not exist yet. */
  public static Path uniqueRoot(CgroupDriver driver) {
    return driver.mount().path().resolve("yarn-memcg-it-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Kills, drains and removes a cgroup tree, deepest first. */
  public static void removeTree(CgroupDriver driver, Path top) throws IOException {
    if (!driver.fs().isDirectory(top)) {
      return;
    }
    List<Path> dirs = new ArrayList<>();
    collect(driver, top, dirs);
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    long deadline = System.nanoTime() + 30_000_000_000L;
    for (Path dir : dirs) {
      driver.killAll(dir, deadline);
      driver.drain(dir, System.nanoTime() + 5_000_000_000L);
      driver.delete(dir, deadline);
    }
  }

  private static void collect(CgroupDriver driver, Path dir, List<Path> into) throws IOException {
    into.add(dir);
    for (String child : driver.fs().subdirectories(dir)) {
      collect(driver, dir.resolve(child), into);
    }
  }

  public MemoryMount mount() {
    return mount;
  }

  public CgroupDriver driver() {
    return driver;
  }

  /** Creates the unique root of this test, with the memory controller enabled for its children. */
  public Path createRoot() throws IOException {
    if (!driver.create(root)) {
      throw new IOException("test root " + root + " existed already");
    }
    driver.enableMemoryForChildren(root);
    return root;
  }

  /** The unique root of this test; it does not exist until the test creates it. */
  public Path root() {
    return root;
  }
}
