package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Prometheus;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Json;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog's meters (HTTP boot files, web-seed bytes) after real requests, on a Vert.x with metrics
 * as a service process has it, read from the Prometheus text /metrics serves.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CatalogMetricsTest {
  @TempDir Path dir;
  private Vertx vertx;
  private WebClient client;
  private Path clientImage;
  private Path fallback;
  private Path imports;

  @BeforeEach
  void deploy() {
    vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    JsonObject config = TestConfig.loopback(dir.resolve("data"));
    clientImage = dir.resolve("client");
    fallback = dir.resolve("ipxe");
    imports = dir.resolve("data/import");
    config.getJsonObject("catalog").put("clientImageDir", clientImage.toString())
        .put("bootFallbackRoots", new JsonArray().add(fallback.toString()));
    CatalogVerticle catalog = Fixtures.catalog(config);
    vertx.deployVerticle(catalog).await();
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(catalog.actualPort()));
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private HttpResponse<Buffer> get(String path) {
    return client.get(path).send().await();
  }

  @Test
  void bootFilesAreCountedByKindWithTheirBytes() throws Exception {
    // GIVEN the client image and a fallback boot file
    writeRandom(clientImage.resolve("vmlinuz"), 1000, 1);
    writeRandom(clientImage.resolve("initrd"), 300, 2);
    writeRandom(fallback.resolve("snponly.efi"), 77, 3);

    // WHEN a machine fetches its script, the kernel twice, the initrd, and a UEFI boot file; and
    // a HEAD and a missing file come in
    int script = get("/boot/ipxe?mac=52:54:00:12:34:56").body().length();
    assertThat(get("/boot/vmlinuz?mac=52:54:00:12:34:56").body().length()).isEqualTo(1000);
    assertThat(get("/boot/vmlinuz").body().length()).isEqualTo(1000);
    assertThat(get("/boot/initrd").body().length()).isEqualTo(300);
    assertThat(get("/boot/snponly.efi").body().length()).isEqualTo(77);
    assertThat(client.head("/boot/initrd").send().await().statusCode()).isEqualTo(200);
    assertThat(get("/boot/missing.efi").statusCode()).isEqualTo(404);

    // THEN (an answer is counted once it is written: poll briefly)
    assertThat(script).isPositive();
    assertEventually(Map.of(
        "boottorrent_http_boot_files_total{file=\"script\",outcome=\"sent\"}", 1.0,
        "boottorrent_http_boot_files_total{file=\"kernel\",outcome=\"sent\"}", 2.0,
        "boottorrent_http_boot_files_total{file=\"initrd\",outcome=\"sent\"}", 1.0,
        "boottorrent_http_boot_files_total{file=\"other\",outcome=\"sent\"}", 1.0,
        "boottorrent_http_boot_files_total{file=\"kernel\",outcome=\"failed\"}", 0.0,
        "boottorrent_http_boot_sent_bytes_total{file=\"script\"}", (double) script,
        "boottorrent_http_boot_sent_bytes_total{file=\"kernel\"}", 2000.0,
        "boottorrent_http_boot_sent_bytes_total{file=\"initrd\"}", 300.0,
        "boottorrent_http_boot_sent_bytes_total{file=\"other\"}", 77.0));
  }

  @Test
  void webSeedBytesAreCountedPerImageAsTheStatsReportThem() throws Exception {
    // GIVEN an image in the catalog
    writeRandom(imports.resolve("vmlinuz"), 50_000, 4);
    writeRandom(imports.resolve("initrd"), 70_000, 5);
    AddImageRequest request = AddImageRequest.newBuilder().setName("seeded").setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString()).setInitrd(imports.resolve("initrd").toString()).build();
    HttpResponse<Buffer> added = client.post("/api/v1/images").putHeader("Content-Type", "application/json")
        .putHeader("Authorization", TestTokens.bearer(dir.resolve("data")))
        .sendBuffer(Buffer.buffer(Json.print(request))).await();
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);

    // WHEN a BitTorrent client fetches one file whole and a range of the other from the web seed
    assertThat(get("/seed/seeded/initrd").body().length()).isEqualTo(70_000);
    assertThat(client.get("/seed/seeded/vmlinuz").putHeader("Range", "bytes=16384-32767").send().await()
        .body().length()).isEqualTo(16_384);
    assertThat(client.head("/seed/seeded/vmlinuz").send().await().statusCode()).isEqualTo(200);

    // THEN the image's counter has those bytes, as /api/v1/stats does
    assertEventually(Map.of("boottorrent_catalog_webseed_bytes_total{image=\"seeded\"}", 86_384.0));
    assertThat(get("/api/v1/stats").bodyAsJsonObject().getJsonObject("webSeedBytes").getLong("seeded"))
        .isEqualTo(86_384L);
    assertThat(Files.exists(dir.resolve("data/payload/seeded/initrd"))).isTrue();
  }

  private void assertEventually(Map<String, Double> expected) throws InterruptedException {
    assertThat(Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(), expected,
        Duration.ofSeconds(5))).isEqualTo(expected);
  }

}
