package io.boottorrent.it;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.agent.AgentOptions;
import io.boottorrent.cli.Services;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.server.HealthServer;
import io.boottorrent.server.Json;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.seeder.SeederVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Catalog + tracker + seeder + telemetry in one standalone Vert.x on loopback, for the integration
 * tests: started as `boottorrent serve` starts them (metrics on, a health server with /metrics).
 */
final class Stack implements AutoCloseable {
  final Vertx vertx;
  final JsonObject config;
  final Path dir;
  final SeederVerticle seeder;
  private final HealthServer health;
  /** Deployment ids by service name. */
  private final Map<String, String> deployments = new LinkedHashMap<>();

  Stack(Path dir, long seederUploadLimit, boolean webSeed) {
    this.dir = dir;
    config = TestConfig.loopback(dir.resolve("data"));
    vertx = ServerVertx.start(ClusterOptions.fromSection(config.getJsonObject("cluster"))).await();
    health = new HealthServer(vertx);
    health.listen(new HealthOptions(0, "127.0.0.1")).await();
    config.getJsonObject("seeder").put("uploadLimit", seederUploadLimit).put("statusIntervalMs", 500);
    config.getJsonObject("catalog").put("webSeed", webSeed).put("defaultMenuTimeoutSeconds", 1);
    List<String> names = List.of("catalog", "tracker", "seeder", "telemetry");
    List<Deployable> services = Services.assemble(config, names);
    for (int i = 0; i < names.size(); i++) {
      deployments.put(names.get(i), vertx.deployVerticle(services.get(i)).await());
    }
    seeder = (SeederVerticle) services.get(2);
  }

  /** The process's metrics, as Prometheus scrapes them. */
  String metrics() throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + health.actualPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** {@code Bearer <the admin token the catalog wrote at its first start>}, for writes. */
  String bearer() {
    return TestTokens.bearer(dir.resolve("data"));
  }

  String catalogUrl() {
    return "http://127.0.0.1:" + config.getJsonObject("catalog").getInteger("httpPort");
  }

  /** Adds a kexec image of {@code size} random bytes (initrd) + a 1 MiB kernel through the REST API. */
  ImageManifest addImage(String name, long size) throws IOException, InterruptedException {
    Path src = Files.createDirectories(dir.resolve("data/import/" + name));
    writeRandom(src.resolve("vmlinuz"), 1 << 20, 7);
    writeRandom(src.resolve("initrd"), size, 11);
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(src.resolve("vmlinuz").toString()).setInitrd(src.resolve("initrd").toString())
        .setCmdline("console=ttyS0").build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(catalogUrl() + "/api/v1/images"))
            .header("Content-Type", "application/json").header("Authorization", bearer())
            .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("add failed: " + response.statusCode() + " " + response.body());
    }
    return Json.parse(response.body(), ImageManifest.newBuilder()).build();
  }

  /** GET of a catalog path ({@code /api/v1/events…}, {@code /api/v1/images…}). */
  String get(String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(catalogUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  String telemetryUrl() {
    return "http://127.0.0.1:" + config.getJsonObject("telemetry").getInteger("httpPort");
  }

  /** GET of a telemetry path ({@code /api/v1/events…}, {@code /api/v1/machines…}). */
  String telemetry(String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(telemetryUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Undeploys telemetry (its journal written and closed, its port free). */
  void stopTelemetry() {
    vertx.undeploy(deployments.remove("telemetry")).await();
  }

  /** Deploys a new telemetry verticle from the same config: same port, same data dir (its journal replayed). */
  void startTelemetry() {
    deployments.put("telemetry", vertx.deployVerticle(Services.assemble(config, List.of("telemetry")).get(0)).await());
  }

  /** Deploys one agent (launcher none, no console) and returns its result. */
  Future<AgentResult> agent(int index, JsonObject overrides) {
    JsonObject cfg = config.copy();
    cfg.getJsonObject("agent")
        .put("catalogUrl", catalogUrl())
        .put("mac", String.format("02:00:00:00:00:%02x", index))
        .put("workDir", dir.resolve("agent-" + index).toString())
        .put("launcher", "none").put("interactive", false).put("listenHost", "127.0.0.1")
        .put("progressIntervalMs", 1000)
        .mergeIn(overrides);
    AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(cfg.getJsonObject("agent")), null,
        new PrintStream(OutputStream.nullOutputStream()));
    return vertx.deployVerticle(agent).compose(id -> agent.result());
  }

  static void writeRandom(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= block.length) {
        for (int i = 0; i < block.length; i++) {
          block[i] = (byte) random.nextInt(256);
        }
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
