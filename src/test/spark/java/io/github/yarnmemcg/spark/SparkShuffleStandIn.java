package io.github.yarnmemcg.spark;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.server.api.ApplicationInitializationContext;
import org.apache.hadoop.yarn.server.api.ApplicationTerminationContext;
import org.apache.hadoop.yarn.server.api.AuxiliaryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.apache.spark.network.TransportContext;
import org.apache.spark.network.server.TransportServer;
import org.apache.spark.network.shuffle.ExternalBlockHandler;
import org.apache.spark.network.util.ConfigProvider;
import org.apache.spark.network.util.TransportConf;

/**
 * A NodeManager auxiliary service that stands in for Spark's
 * {@code org.apache.spark.network.yarn.YarnShuffleService}, because the artifact that holds it
 * ({@code org.apache.spark:spark-network-yarn_2.13}) is not served here. All block serving is
 * Spark's own code from spark-network-shuffle / spark-network-common: an
 * {@link ExternalBlockHandler} behind a {@link TransportServer}, exactly what the real service
 * and Spark's standalone ExternalShuffleService run. This service only wires it into the NM.
 *
 * <p>Deliberately reduced: no authentication ({@code spark.authenticate} must be false), no
 * NM-restart recovery (no registered-executor DB), no push-based shuffle (no-op merge manager),
 * no metrics2 registration. Configure it in yarn-site.xml as aux service {@code spark_shuffle}
 * (the default of {@code spark.shuffle.service.name}); the port comes from
 * {@code spark.shuffle.service.port} (default 7337).
 */
public class SparkShuffleStandIn extends AuxiliaryService {
  private static final Logger LOG = LoggerFactory.getLogger(SparkShuffleStandIn.class);

  static final String SERVICE_NAME = "spark_shuffle";
  static final String PORT_KEY = "spark.shuffle.service.port";
  static final int DEFAULT_PORT = 7337;
  static final String AUTH_KEY = "spark.authenticate";
  static final String NM_LOCAL_DIRS_KEY = "yarn.nodemanager.local-dirs";

  private ExternalBlockHandler blockHandler;
  private TransportContext transportContext;
  private TransportServer server;

  public SparkShuffleStandIn() {
    super(SERVICE_NAME);
  }

  @Override
  protected void serviceInit(Configuration externalConf) throws Exception {
    Configuration conf = new Configuration(externalConf);
    super.serviceInit(conf);
    if (conf.getBoolean(AUTH_KEY, false)) {
      throw new IllegalStateException(AUTH_KEY + "=true is not supported by this stand-in");
    }
    TransportConf transportConf = new TransportConf("shuffle", new HadoopConfProvider(conf));
    // Executors register dirs under <nm-local-dir>/usercache/<user>/appcache/<appId>/blockmgr-*;
    // confine registrations to the NM's local dirs as Spark's own services do.
    blockHandler = new ExternalBlockHandler(transportConf, null /* no recovery DB */,
        localDirRoots(conf), false /* requireAppScopedLocalDirs */);
    transportContext = new TransportContext(transportConf, blockHandler, true);
    server = transportContext.createServer(conf.getInt(PORT_KEY, DEFAULT_PORT), new ArrayList<>());
    LOG.info("Spark shuffle stand-in listening on port {} (no auth, no recovery)", server.getPort());
  }

  private static String[] localDirRoots(Configuration conf) {
    List<String> roots = new ArrayList<>();
    for (String dir : conf.getTrimmedStrings(NM_LOCAL_DIRS_KEY)) {
      roots.add(new Path(dir).toUri().getPath());
    }
    return roots.toArray(new String[0]);
  }


  @Override
  public void initializeApplication(ApplicationInitializationContext context) {
    // Service data is the (empty, since no auth) secret or a small JSON blob; nothing to keep.
    LOG.info("Initializing application {}", context.getApplicationId());
  }

  @Override
  public void stopApplication(ApplicationTerminationContext context) {
    String appId = context.getApplicationId().toString();
    LOG.info("Stopping application {}", appId);
    if (blockHandler != null) {
      // Forget the app's executors; the NodeManager itself deletes the appcache dirs.
      blockHandler.applicationRemoved(appId, false /* cleanupLocalDirs */);
    }
  }

  @Override
  public ByteBuffer getMetaData() {
    return ByteBuffer.allocate(0);
  }

  @Override
  protected void serviceStop() throws Exception {
    long t = System.nanoTime();
    try {
      if (server != null) {
        server.close();
      }
      if (transportContext != null) {
        transportContext.close();
      }
      if (blockHandler != null) {
        blockHandler.close();
      }
    } finally {
      server = null;
      transportContext = null;
      blockHandler = null;
      super.serviceStop();
      LOG.info("Spark shuffle stand-in stopped in {} ms", (System.nanoTime() - t) / 1_000_000);
    }
  }

  /** Minimal replacement for network-yarn's HadoopConfigProvider. */
  static final class HadoopConfProvider extends ConfigProvider {
    private final Configuration conf;

    HadoopConfProvider(Configuration conf) {
      this.conf = conf;
    }

    @Override
    public String get(String name) {
      String value = conf.get(name);
      if (value == null) {
        throw new NoSuchElementException(name);
      }
      return value;
    }

    @Override
    public String get(String name, String defaultValue) {
      String value = conf.get(name);
      return value == null ? defaultValue : value;
    }

    @Override
    public Iterable<Map.Entry<String, String>> getAll() {
      return conf;
    }
  }
}
