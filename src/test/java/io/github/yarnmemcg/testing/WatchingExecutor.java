package io.github.yarnmemcg.testing;

import io.github.yarnmemcg.lifecycle.Completion;
import io.github.yarnmemcg.lifecycle.WaitingCgroup;
import io.github.yarnmemcg.nodemanager.MemcgContainerExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.ConfigurationException;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerStartContext;

/**
 * The plugin's executor as a workload-cost test watches it: what YARN allocated each container, what the lifecycle
 * saw at each container's end, and a {@link StageSample} each time one of an application's stages may begin: at the
 * first launch of one of its containers after others of its containers have ended (a MapReduce job's first reduce
 * once every map exited; a Spark job's new executors once dynamic allocation released the first stage's; an
 * executor released before it ran a task also ends, so the stage a test wants is the application's last sample,
 * {@link #lastStage}). At that moment, before the new container runs a line of code, the sample records how much of
 * the application's intermediate files (the ones the next stage will read: relative paths under its
 * {@code usercache/<user>/appcache/<app>} dirs matching {@link #STAGE_FILES}) is still cached, and how much the
 * plugin has evicted so far. Set the NodeManager's {@code yarn.nodemanager.container-executor.class} to this class.
 */
public class WatchingExecutor extends MemcgContainerExecutor {
  /** A regular expression over the path of a file relative to its application's appcache dir. */
  public static final String STAGE_FILES = "yarnmemcg.test.stage-files";

  /**
   * What the next stage of an application was about to read, as it began.
   *
   * @param launched the container whose launch began the stage
   * @param nanos when ({@link System#nanoTime})
   * @param files the intermediate files then, cached or not ({@link Residency}); empty without fincore
   * @param evictedBytes the plugin's evicted-bytes counter then
   * @param machine the machine's reclaim counters then
   */
  public record StageSample(String launched, long nanos, Optional<Residency> files, long evictedBytes,
      MachineReclaim machine) {}

  public final Map<String, Long> allocatedMib = new ConcurrentHashMap<>();
  /** Each container's launch commands, joined: what it runs (a MapReduce task's attempt id is in them). */
  public final Map<String, String> commands = new ConcurrentHashMap<>();
  public final Map<String, Completion> completions = new ConcurrentHashMap<>();
  private final Map<String, List<StageSample>> stageSamples = new ConcurrentHashMap<>();
  private final Set<String> ended = ConcurrentHashMap.newKeySet();
  /** Applications with a container ended since their last sample. */
  private final Set<String> endedSinceSample = ConcurrentHashMap.newKeySet();

  @Override
  public int launchContainer(ContainerStartContext ctx) throws IOException, ConfigurationException {
    ContainerId id = ctx.getContainer().getContainerId();
    allocatedMib.put(id.toString(), ctx.getContainer().getResource().getMemorySize());
    commands.put(id.toString(), String.join(" ", ctx.getContainer().getLaunchContext().getCommands()));
    String app = id.getApplicationAttemptId().getApplicationId().toString();
    if (endedSinceSample.remove(app)) {
      try {
        stageSamples.computeIfAbsent(app, a -> new CopyOnWriteArrayList<>())
            .add(sample(app, id.toString()));
      } catch (IOException | RuntimeException e) {
        // A measurement, not the launch: a missing sample is reported by the test.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return super.launchContainer(ctx);
  }

  @Override
  protected void completed(ContainerId containerId, Completion completion) {
    completions.putIfAbsent(containerId.toString(), completion);
    ended.add(containerId.toString());
    endedSinceSample.add(appOf(containerId.toString()));
  }

  /** The application's last stage sample, if a container of it was launched after another had ended. */
  public Optional<StageSample> lastStage(String applicationId) {
    List<StageSample> all = stageSamples.getOrDefault(applicationId, List.of());
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** This application's containers YARN launched here so far, in launch order by id. */
  public List<String> containersOf(String applicationId) {
    String suffix = applicationId.substring("application_".length()) + "_";
    return allocatedMib.keySet().stream().filter(c -> c.contains(suffix)).sorted().toList();
  }

  private StageSample sample(String app, String launched) throws IOException, InterruptedException {
    // The plugin handles each ended container in the background: at most 3 s for each to be done (drained and
    // removed) or to wait for its application, so that a drain at exit is not caught half-way.
    long until = System.nanoTime() + 3_000_000_000L;
    while (System.nanoTime() < until && !settled(app)) {
      Thread.sleep(20);
    }
    long now = System.nanoTime();
    long evicted = memcgs().counters().snapshot().evictedBytes();
    MachineReclaim machine = MachineReclaim.now();
    Optional<Residency> files = Optional.empty();
    if (Residency.available()) {
      files = Optional.of(Residency.of(stageFiles(app)));
    }
    return new StageSample(launched, now, files, evicted, machine);
  }

  private boolean settled(String app) {
    Set<String> waiting = memcgs().waiting().stream().map(WaitingCgroup::containerId).collect(Collectors.toSet());
    for (String c : ended) {
      if (appOf(c).equals(app) && !completions.get(c).cleanup().isDone() && !waiting.contains(c)) {
        return false;
      }
    }
    return true;
  }

  private List<Path> stageFiles(String app) throws IOException {
    Pattern wanted = Pattern.compile(getConf().get(STAGE_FILES, "(?!)"));
    List<Path> files = new ArrayList<>();
    for (String dir : getConf().getTrimmedStrings(YarnConfiguration.NM_LOCAL_DIRS)) {
      Path usercache = Path.of(dir, "usercache");
      if (!Files.isDirectory(usercache)) {
        continue;
      }
      try (Stream<Path> users = Files.list(usercache)) {
        for (Path user : users.toList()) {
          Path appDir = user.resolve("appcache").resolve(app);
          if (!Files.isDirectory(appDir)) {
            continue;
          }
          try (Stream<Path> s = Files.walk(appDir)) {
            s.filter(Files::isRegularFile)
                .filter(f -> wanted.matcher(appDir.relativize(f).toString()).matches())
                .forEach(files::add);
          }
        }
      }
    }
    return files;
  }

  private static String appOf(String containerId) {
    return ContainerId.fromString(containerId).getApplicationAttemptId().getApplicationId().toString();
  }
}
