package io.boottorrent.it;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.agent.AgentOptions;
import io.boottorrent.cli.Services;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.server.HealthServer;
import io.boottorrent.server.HttpLimits;
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

  /** HTTP client for the catalog and telemetry: with catalog TLS, trusting the catalog's certificate only. */
  private final HttpClient http;

  Stack(Path dir, long seederUploadLimit, boolean webSeed) {
    this(dir, seederUploadLimit, webSeed, config -> { });
  }

  /** @param tweak changes the config before the services are built (e.g. catalog TLS) */
  Stack(Path dir, long seederUploadLimit, boolean webSeed, java.util.function.Consumer<JsonObject> tweak) {
    this.dir = dir;
    config = TestConfig.loopback(dir.resolve("data"));
    config.getJsonObject("catalog").put("webSeed", webSeed).put("defaultMenuTimeoutSeconds", 1);
    tweak.accept(config);
    http = catalogCertSha256().map(pin -> HttpClient.newBuilder()
            .sslContext(io.boottorrent.core.trust.CertificatePin.parse(pin).orElseThrow().sslContext()).build())
        .orElseGet(HttpClient::newHttpClient);
    vertx = ServerVertx.start(ClusterOptions.fromSection(config.getJsonObject("cluster"))).await();
    health = new HealthServer(vertx);
    health.listen(HealthOptions.fromSection(io.boottorrent.testsupport.TestConfig.section("health")
        .put("port", 0).put("host", "127.0.0.1")), HttpLimits.fromSection(config.getJsonObject("http"))).await();
    config.getJsonObject("seeder").put("uploadLimit", seederUploadLimit).put("statusIntervalMs", 500);
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

  /** The catalog's API: https on catalog.httpsPort with catalog.tlsCert, else plain. */
  String catalogUrl() {
    JsonObject catalog = config.getJsonObject("catalog");
    return catalog.getString("tlsCert").isEmpty() ? "http://127.0.0.1:" + catalog.getInteger("httpPort")
        : "https://127.0.0.1:" + catalog.getInteger("httpsPort");
  }

  /** SHA-256 of the catalog's TLS certificate, with catalog.tlsCert. */
  java.util.Optional<String> catalogCertSha256() {
    String cert = config.getJsonObject("catalog").getString("tlsCert");
    if (cert.isEmpty()) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(io.boottorrent.core.trust.CertificatePin.fingerprintOfPem(
          Files.readString(Path.of(cert)), cert));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Adds a kexec image of {@code size} random bytes (initrd) + a 1 MiB kernel through the REST API. */
  ImageManifest addImage(String name, long size) throws IOException, InterruptedException {
    Path src = Files.createDirectories(dir.resolve("data/import/" + name));
    writeRandom(src.resolve("vmlinuz"), 1 << 20, 7);
    writeRandom(src.resolve("initrd"), size, 11);
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(src.resolve("vmlinuz").toString()).setInitrd(src.resolve("initrd").toString())
        .setCmdline("console=ttyS0").build();
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(catalogUrl() + "/api/v1/images"))
            .header("Content-Type", "application/json").header("Authorization", bearer())
            .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("add failed: " + response.statusCode() + " " + response.body());
    }
    return Json.parse(response.body(), ImageManifest.newBuilder()).build();
  }

  /**
   * Adds an exec image whose binary is a shell script that runs until the file named by its one
   * argument exists, padded with {@code padding} random bytes the shell never reaches (after its exit).
   */
  ImageManifest addExecImage(String name, Path stopFile, long padding) throws IOException, InterruptedException {
    Path src = Files.createDirectories(dir.resolve("data/import/" + name));
    Path script = src.resolve("run.sh");
    Path pad = src.resolve("pad");
    writeRandom(pad, padding, 13);
    try (OutputStream out = Files.newOutputStream(script)) {
      out.write("#!/bin/sh\nwhile [ ! -e \"$1\" ]; do sleep 0.2; done\nexit 0\n".getBytes(
          java.nio.charset.StandardCharsets.US_ASCII));
      Files.copy(pad, out);
    }
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.EXEC)
        .setBinary(script.toString()).addArgs(stopFile.toString()).build();
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(catalogUrl() + "/api/v1/images"))
            .header("Content-Type", "application/json").header("Authorization", bearer())
            .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("add failed: " + response.statusCode() + " " + response.body());
    }
    return Json.parse(response.body(), ImageManifest.newBuilder()).build();
  }

  /** Adds an image as described (paths on this machine) through the REST API. */
  ImageManifest add(AddImageRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(catalogUrl() + "/api/v1/images"))
            .header("Content-Type", "application/json").header("Authorization", bearer())
            .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("add failed: " + response.statusCode() + " " + response.body());
    }
    return Json.parse(response.body(), ImageManifest.newBuilder()).build();
  }

  /** Undeploys the seeder (its session closed: it serves nobody). */
  void stopSeeder() {
    vertx.undeploy(deployments.remove("seeder")).await();
  }

  /** GET of a catalog path ({@code /api/v1/events…}, {@code /api/v1/images…}). */
  String get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(catalogUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The port of the process's health server (/health, /readiness, /metrics). */
  int healthPort() {
    return health.actualPort();
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
    return agent(index, overrides, new PrintStream(OutputStream.nullOutputStream()));
  }

  /** Deploys one agent whose console is {@code console}. */
  Future<AgentResult> agent(int index, JsonObject overrides, PrintStream console) {
    return agent(index, overrides, null, console);
  }

  /** Deploys one agent that reads keys from {@code keys} (with {@code interactive: true}; null: none). */
  Future<AgentResult> agent(int index, JsonObject overrides, java.io.InputStream keys, PrintStream console) {
    JsonObject cfg = config.copy();
    cfg.getJsonObject("agent")
        .put("catalogUrl", catalogUrl())
        .put("mac", String.format("02:00:00:00:00:%02x", index))
        .put("workDir", dir.resolve("agent-" + index).toString())
        .put("launcher", "none").put("interactive", false).put("listenHost", "127.0.0.1")
        .put("progressIntervalMs", 1000)
        .mergeIn(overrides);
    AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(cfg.getJsonObject("agent")), keys, console);
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
