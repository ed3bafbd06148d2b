package io.github.yarnmemcg.compat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.Mapper;
import org.apache.hadoop.mapreduce.Reducer;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;

/**
 * A small MapReduce job: the maps count input lines by their last digit, the reduce sums the counts. Every task
 * attempt records, from inside its container, its CONTAINER_ID, its /proc/self/cgroup and the hard limit of the
 * memory cgroup it finds itself in.
 */
public final class DigitJob {
  static final String SIDE_DIR = "yarn-memcg.compat.side-dir";

  private DigitJob() {}

  /** Lines in every file of a directory, as TextInputFormat reads them: a last line without a newline counts. */
  public static long linesIn(Path dir) throws IOException {
    long lines = 0;
    byte[] buffer = new byte[1 << 20];
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        byte last = '\n';
        try (InputStream in = Files.newInputStream(f)) {
          for (int n; (n = in.read(buffer)) > 0; last = buffer[n - 1]) {
            for (int i = 0; i < n; i++) {
              if (buffer[i] == '\n') {
                lines++;
              }
            }
          }
        }
        if (last != '\n') {
          lines++;
        }
      }
    }
    return lines;
  }

  static void record(Configuration conf, TaskAttemptID attempt, String input) throws IOException {
    String cgroupText = Kernel.read(Paths.get("/proc/self/cgroup"));
    Kernel kernel = Kernel.discover();
    Path cgroup = kernel.cgroupOf(cgroupText);
    String limit = cgroup == null ? "none" : Long.toString(kernel.limit(cgroup));
    String text = "CONTAINER_ID=" + System.getenv("CONTAINER_ID") + "\nINPUT=" + input + "\nLIMIT=" + limit
        + "\nJAVA=" + System.getProperty("java.version") + "\n" + cgroupText;
    Path side = Paths.get(conf.get(SIDE_DIR));
    Path tmp = side.resolve("." + attempt);
    Files.write(tmp, text.getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, side.resolve(attempt.toString()), StandardCopyOption.ATOMIC_MOVE);
  }

  public static class DigitMapper extends Mapper<LongWritable, Text, LongWritable, LongWritable> {
    private final long[] counts = new long[10];

    @Override
    protected void setup(Context ctx) throws IOException {
      record(ctx.getConfiguration(), ctx.getTaskAttemptID(), ((FileSplit) ctx.getInputSplit()).getPath().getName());
    }

    @Override
    protected void map(LongWritable key, Text line, Context ctx) {
      int n = line.getLength();
      if (n > 0) {
        counts[(line.getBytes()[n - 1] - '0' + 10) % 10]++;
      }
    }

    @Override
    protected void cleanup(Context ctx) throws IOException, InterruptedException {
      for (int d = 0; d < 10; d++) {
        ctx.write(new LongWritable(d), new LongWritable(counts[d]));
      }
    }
  }

  public static class SumReducer extends Reducer<LongWritable, LongWritable, LongWritable, LongWritable> {
    @Override
    protected void setup(Context ctx) throws IOException {
      record(ctx.getConfiguration(), ctx.getTaskAttemptID(), "shuffle");
    }

    @Override
    protected void reduce(LongWritable digit, Iterable<LongWritable> counts, Context ctx)
        throws IOException, InterruptedException {
      long sum = 0;
      for (LongWritable c : counts) {
        sum += c.get();
      }
      ctx.write(digit, new LongWritable(sum));
    }
  }
}
