package io.github.yarnmemcg.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.unsafe.Platform;

/**
 * A Spark job with one task whose first attempt allocates more memory off the heap than its executor's overhead
 * leaves room for, as a native library or an off-heap buffer pool does. The kernel must OOM-kill that executor in
 * its memory cgroup; the task's retry on another executor allocates nothing and the job ends well. The driver
 * writes what Spark told it about the loss: {@code losses.txt} (each executor removal's reason and each failed
 * task's error string), {@code where.tsv} and {@code result.txt}.
 *
 * <p>Arguments: output directory, MiB to allocate off the heap.
 */
public final class OomJob {
  private OomJob() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args[0]);
    long bytes = Long.parseLong(args[1]) << 20;
    Files.createDirectories(out);
    List<String> losses = Collections.synchronizedList(new ArrayList<>());
    List<String> where = new ArrayList<>();
    where.add(Where.here("driver").toString());
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("yarn-memcg oom"))) {
      sc.sc().addSparkListener(new SparkListener() {
        @Override
        public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
          losses.add("executor removed\t" + removed.executorId() + "\t" + oneLine(removed.reason()));
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
          if (end.reason() instanceof TaskFailedReason) {
            losses.add("task failed\t" + end.taskInfo().executorId() + "\t"
                + oneLine(((TaskFailedReason) end.reason()).toErrorString()));
          }
        }
      });
      List<String> ran = sc.parallelize(Arrays.asList(0), 1).map(i -> {
        String executor = SparkEnv.get().executorId();
        if (TaskContext.get().attemptNumber() == 0) {
          long address = Platform.allocateMemory(bytes);
          // Touched page by page, so the kernel charges every page to the executor's cgroup.
          for (long off = 0; off < bytes; off += 4096) {
            Platform.putByte(null, address + off, (byte) 1);
          }
          Platform.freeMemory(address);
          return "survived\t" + executor + "\t" + Where.here("executor " + executor);
        }
        return "ok\t" + executor + "\t" + Where.here("executor " + executor);
      }).collect();
      for (String r : ran) {
        where.add(r.split("\t", 3)[2]);
      }
      Files.write(out.resolve("result.txt"), ran, StandardCharsets.UTF_8);
      // The listener bus delivers the removal asynchronously: wait for it a little, not for ever.
      long until = System.nanoTime() + 10_000_000_000L;
      while (losses.stream().noneMatch(l -> l.startsWith("executor removed")) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
    } finally {
      Files.write(out.resolve("losses.txt"), losses, StandardCharsets.UTF_8);
      Files.write(out.resolve("where.tsv"), where, StandardCharsets.UTF_8);
    }
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ');
  }
}
