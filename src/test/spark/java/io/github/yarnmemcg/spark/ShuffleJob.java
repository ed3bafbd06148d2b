package io.github.yarnmemcg.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * A Spark job whose second stage reads the shuffle output of executors that dynamic allocation has already
 * released: the map stage writes {@code maps x mib} MiB of incompressible records, the first job reduces them while
 * its executors live, then the driver waits until every executor has been removed as idle, and a second job
 * reduces the same shuffle again on new executors, which can only fetch it through the NodeManager's shuffle
 * service. Both reductions must give the checksum the driver computes itself.
 *
 * <p>Arguments: output directory, maps, MiB per map, reduces. Writes {@code where.tsv} (one line per driver and
 * task: see {@link Where}), {@code result.txt}, and {@code timeline.txt} (what happened when).
 */
public final class ShuffleJob {
  private static final int RECORD = 64 * 1024;

  private ShuffleJob() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args[0]);
    int maps = Integer.parseInt(args[1]);
    int mib = Integer.parseInt(args[2]);
    int reduces = Integer.parseInt(args[3]);
    Files.createDirectories(out);
    List<String> where = new ArrayList<>();
    List<String> timeline = new ArrayList<>();
    where.add(Where.here("driver").toString());
    long t0 = System.nanoTime();
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("yarn-memcg shuffle"))) {
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < maps; i++) {
        ids.add(i);
      }
      int perMap = mib * (1024 * 1024 / RECORD);
      CollectionAccumulator<String> mapsRanAt = sc.sc().collectionAccumulator("where the maps ran");
      JavaPairRDD<Integer, byte[]> shuffled = sc.parallelize(ids, maps)
          .mapPartitionsToPair(it -> {
            mapsRanAt.add(Where.here("job1 executor " + SparkEnv.get().executorId()).toString());
            return records(it.next(), perMap);
          })
          .partitionBy(new HashPartitioner(reduces));
      List<String> first = shuffled.mapPartitions(it -> reduce(it, "job1")).collect();
      timeline.add(String.format("first job (maps and reduces) done at %.1f s with %d executor(s) seen",
          seconds(t0), first.stream().map(s -> s.split("\t")[0]).distinct().count()));
      // Dynamic allocation removes the idle executors; their shuffle files stay with the shuffle service.
      long waitFrom = System.nanoTime();
      while (sc.statusTracker().getExecutorInfos().length > 1) {
        if (System.nanoTime() - waitFrom > 120_000_000_000L) {
          throw new IllegalStateException("executors still alive after 120 s: dynamic allocation did not release"
              + " them");
        }
        Thread.sleep(50);
      }
      timeline.add(String.format("all executors released at %.1f s", seconds(t0)));
      List<String> second = shuffled.mapPartitions(it -> reduce(it, "job2")).collect();
      timeline.add(String.format("second job (reduces only, shuffle from released executors) done at %.1f s",
          seconds(t0)));
      long expected = expectedChecksum(maps, perMap);
      long records = (long) maps * perMap;
      List<String> result = new ArrayList<>();
      result.add("expected\t" + records + "\t" + expected);
      result.add("first\t" + total(first, 2) + "\t" + total(first, 3));
      result.add("second\t" + total(second, 2) + "\t" + total(second, 3));
      where.addAll(mapsRanAt.value());
      for (String s : first) {
        where.add(s.split("\t", 5)[4]);
      }
      for (String s : second) {
        where.add(s.split("\t", 5)[4]);
      }
      Files.write(out.resolve("result.txt"), result, StandardCharsets.UTF_8);
    } finally {
      Files.write(out.resolve("where.tsv"), where, StandardCharsets.UTF_8);
      Files.write(out.resolve("timeline.txt"), timeline, StandardCharsets.UTF_8);
    }
  }

  /** One map's records: deterministic random bytes, so that the shuffle cannot compress them away. */
  static Iterator<Tuple2<Integer, byte[]>> records(int map, int count) {
    Random random = new Random(map);
    return new Iterator<Tuple2<Integer, byte[]>>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < count;
      }

      @Override
      public Tuple2<Integer, byte[]> next() {
        byte[] value = new byte[RECORD];
        random.nextBytes(value);
        return new Tuple2<>(map * count + i++, value);
      }
    };
  }

  /** A reduce partition: its executor, records and checksum, and where it ran. */
  static Iterator<String> reduce(Iterator<Tuple2<Integer, byte[]>> it, String job) {
    long[] nAndSum = new long[2];
    checksum(it, nAndSum);
    String executor = SparkEnv.get().executorId();
    return Collections.singletonList(String.join("\t", executor, "", Long.toString(nAndSum[0]),
        Long.toString(nAndSum[1]), Where.here(job + " executor " + executor).toString())).iterator();
  }

  /** The sum of every map's records' checksums, computed by the driver without Spark. */
  static long expectedChecksum(int maps, int perMap) {
    long[] nAndSum = new long[2];
    for (int m = 0; m < maps; m++) {
      checksum(records(m, perMap), nAndSum);
    }
    return nAndSum[1];
  }

  /** Adds the records' count and the sum of their values' CRC-32 to {@code nAndSum}. */
  private static void checksum(Iterator<Tuple2<Integer, byte[]>> it, long[] nAndSum) {
    CRC32 crc = new CRC32();
    while (it.hasNext()) {
      crc.reset();
      crc.update(it.next()._2());
      nAndSum[0]++;
      nAndSum[1] += crc.getValue();
    }
  }

  private static long total(List<String> parts, int field) {
    long t = 0;
    for (String s : parts) {
      t += Long.parseLong(s.split("\t")[field]);
    }
    return t;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
