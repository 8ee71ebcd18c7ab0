package io.boottorrent.cli;

import io.boottorrent.common.BtConfig;
import io.boottorrent.common.EnvOverrides;
import io.boottorrent.common.HealthServer;
import io.boottorrent.common.Runtime;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Deploys any subset of the services into this JVM, standalone or clustered, and runs until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run BootTorrent services (catalog, tracker, seeder, dhcp, tftp) in this process.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, description = "YAML config file, merged over the embedded defaults.")
  Path config;

  @Option(names = {"-s", "--services"}, split = ",", defaultValue = "catalog,tracker,seeder",
      description = "Services to deploy (default: ${DEFAULT-VALUE}). Known: catalog, tracker, seeder, dhcp, tftp.")
  List<String> services;

  @Option(names = "--cluster", description = "Join the Hazelcast cluster (cluster.* in the config).")
  boolean cluster;

  @Option(names = "--data-dir", description = "Overrides dataDir.")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    JsonObject cfg = loadConfig(config, dataDir, cluster);
    Running running = start(cfg, services);
    System.out.println(running.describe());
    CountDownLatch stopped = new CountDownLatch(1);
    java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.vertx().close().await();
      stopped.countDown();
    }, "boottorrent-shutdown"));
    stopped.await();
    return 0;
  }

  static JsonObject loadConfig(Path file, Path dataDir, boolean cluster) {
    JsonObject cfg = BtConfig.load(file, System.getenv());
    for (String unknown : EnvOverrides.unknown(cfg, System.getenv())) {
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

  record Running(Vertx vertx, List<String> services, JsonObject config, int healthPort) {
    String describe() {
      String host = BtConfig.publicHost(config);
      StringBuilder out = new StringBuilder("BootTorrent running: " + String.join(", ", services) + "\n");
      if (services.contains("catalog")) {
        out.append("  catalog  http://").append(host).append(':')
            .append(config.getJsonObject("catalog").getInteger("httpPort")).append("/api/v1/images\n");
      }
      if (services.contains("tracker")) {
        out.append("  tracker  http://").append(host).append(':')
            .append(config.getJsonObject("tracker").getInteger("httpPort")).append("/announce\n");
      }
      if (healthPort > 0) {
        out.append("  health   http://").append(host).append(':').append(healthPort).append("/readiness\n");
      }
      out.append("  data     ").append(BtConfig.dataDir(config));
      return out.toString();
    }
  }

  /** Starts Vert.x and deploys {@code services}, failing with a clear message on any unknown name. */
  static Running start(JsonObject cfg, List<String> services) {
    for (String name : services) {
      if (!Services.ALL.containsKey(name)) {
        throw new IllegalArgumentException("unknown service '" + name + "'; known: " + Services.ALL.keySet());
      }
    }
    Vertx vertx = Runtime.start(cfg).await();
    try {
      HealthServer health = new HealthServer(vertx);
      services.forEach(health::expect);
      health.listen(cfg).await();
      List<String> deployed = new ArrayList<>();
      for (String name : services) {
        vertx.deployVerticle(Services.ALL.get(name).get(), new DeploymentOptions().setConfig(cfg)).await();
        health.ready(name);
        deployed.add(name);
      }
      return new Running(vertx, deployed, cfg, health.actualPort());
    } catch (RuntimeException e) {
      vertx.close().await();
      throw e;
    }
  }
}
