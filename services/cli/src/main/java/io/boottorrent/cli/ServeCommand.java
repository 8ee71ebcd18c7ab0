package io.boottorrent.cli;

import io.boottorrent.core.StateFiles;
import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigUrls;
import io.boottorrent.core.config.EnvOverrides;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.server.HealthServer;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.ServerVertx;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Deploys any subset of the services into this JVM, standalone or clustered, and runs until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run BootTorrent services (catalog, tracker, seeder, telemetry, dhcp, tftp) in this process.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, description = "YAML config file, merged over the embedded defaults.")
  Path config;

  @Option(names = {"-s", "--services"}, split = ",", defaultValue = "catalog,tracker,seeder,telemetry",
      description = "Services to deploy (default: ${DEFAULT-VALUE}). Known: catalog, tracker, seeder, telemetry, dhcp, tftp.")
  List<String> services;

  @Option(names = "--cluster", description = "Join the Hazelcast cluster (cluster.* in the config).")
  boolean cluster;

  @Option(names = "--data-dir", description = "Overrides dataDir.")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Running running;
    try {
      running = start(loadConfig(config, dataDir, cluster), services);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    System.out.println(running.describe());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.vertx().close().await();
      stopped.countDown();
    }, "boottorrent-shutdown"));
    stopped.await();
    return 0;
  }

  static JsonObject loadConfig(Path file, Path dataDir, boolean cluster) {
    return loadConfig(file, dataDir, cluster, System.getenv());
  }

  /** The config tree of `serve` with these options in environment {@code env} (a container's, in KustomizeTest). */
  static JsonObject loadConfig(Path file, Path dataDir, boolean cluster, Map<String, String> env) {
    JsonObject cfg = BtConfig.load(file, env);
    for (String unknown : EnvOverrides.unknown(cfg, env)) {
      System.err.println("warning: environment variable " + unknown + " matches no config key; ignored");
    }
    if (dataDir != null) {
      cfg.put("dataDir", dataDir.toAbsolutePath().toString());
    }
    if (cluster) {
      cfg.getJsonObject("cluster").put("enabled", true);
    }
    return cfg;
  }

  /** The first {@link StateFiles.CorruptStateException} in {@code e}'s causes, or null. */
  static StateFiles.CorruptStateException corruptState(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StateFiles.CorruptStateException corrupt) {
        return corrupt;
      }
    }
    return null;
  }

  /** @param failed services that did not start, and why */
  record Running(Vertx vertx, List<String> services, Map<String, String> failed, JsonObject config, int healthPort) {
    String describe() {
      ProcessOptions process = ProcessOptions.fromTree(config);
      String host = process.publicHost();
      StringBuilder out = new StringBuilder("BootTorrent running: " + String.join(", ", services) + "\n");
      failed.forEach((name, why) -> out.append(String.format("  %-10sNOT STARTED: %s%n", name, why)));
      if (services.contains("telemetry")) {
        String telemetry = config.getJsonObject("telemetry").getString("tlsCert", "").isBlank()
            ? ConfigUrls.httpBase(host, port("telemetry", "httpPort"))
            : ConfigUrls.httpsBase(host, port("telemetry", "httpPort"));
        line(out, "dashboard", telemetry + "/dashboard/");
        line(out, "events", telemetry + "/api/v1/events/stream");
      }
      if (services.contains("catalog")) {
        line(out, "catalog", io.boottorrent.core.config.ServiceLinks.catalogUrl(config) + "/api/v1/images");
      }
      if (services.contains("tracker")) {
        line(out, "tracker", ConfigUrls.httpBase(host, port("tracker", "httpPort")) + "/announce");
      }
      if (healthPort > 0) {
        line(out, "health", ConfigUrls.httpBase(host, healthPort) + "/readiness");
        line(out, "metrics", ConfigUrls.httpBase(host, healthPort) + "/metrics");
      }
      out.append(String.format("  %-10s%s", "data", process.dataDir()));
      return out.toString();
    }

    private static void line(StringBuilder out, String label, String url) {
      out.append(String.format("  %-10s%s%n", label, url));
    }

    private int port(String section, String key) {
      return BtConfig.section(config, section).port(key);
    }
  }

  /**
   * Reads the config of {@code services} (a bad value or an unknown name fails here, with a message
   * naming it, before anything starts), then starts Vert.x and deploys them.
   */
  static Running start(JsonObject cfg, List<String> services) {
    List<Deployable> verticles = Services.assemble(cfg, services);
    ClusterOptions cluster = ClusterOptions.fromSection(cfg.getJsonObject("cluster"));
    HealthOptions healthOptions = HealthOptions.fromSection(cfg.getJsonObject("health"));
    HttpLimits httpLimits = HttpLimits.fromSection(cfg.getJsonObject("http"));
    Vertx vertx = ServerVertx.start(cluster).await();
    try {
      HealthServer health = new HealthServer(vertx);
      services.forEach(health::expect);
      health.listen(healthOptions, httpLimits).await();
      List<String> deployed = new ArrayList<>();
      Map<String, String> failed = new LinkedHashMap<>();
      for (int i = 0; i < services.size(); i++) {
        String id;
        try {
          id = vertx.deployVerticle(verticles.get(i)).await();
        } catch (Exception e) { // await() rethrows the deploy's failure as it is, checked or not
          // A state file the service must not start without (its own ERROR line names it): that service
          // stays down and health says why; the others run. Any other failure stops the process.
          StateFiles.CorruptStateException corrupt = corruptState(e);
          if (corrupt == null) {
            throw e;
          }
          failed.put(services.get(i), corrupt.getMessage());
          health.failed(services.get(i), corrupt.getMessage());
          continue;
        }
        health.ready(services.get(i));
        health.watch(services.get(i), id, verticles.get(i));
        deployed.add(services.get(i));
      }
      return new Running(vertx, deployed, failed, cfg, health.actualPort());
    } catch (Exception e) {
      vertx.close().await();
      throw e;
    }
  }
}
