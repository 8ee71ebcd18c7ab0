package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Codecs;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imports run on a pool of their own (catalog.importWorkers): while more adds than it has threads copy
 * and hash, one of them 1 GiB, policy writes and reads and manifest reads answer at once, and
 * GET /api/v1/imports shows how far each add has got.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ImportIsolationTest {
  static final long GIB = 1L << 30;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  @TempDir Path dir;
  Vertx vertx;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().await(120, TimeUnit.SECONDS);
    }
  }

  /** A sparse file of {@code size} bytes: reads as zeros, written to disk in full by the import. */
  static Path sparse(Path file, long size) throws Exception {
    Files.createDirectories(file.getParent());
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
      f.seek(size - 1);
      f.write(1);
    }
    return file;
  }

  static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  @Test
  void policyWritesAndReadsDoNotWaitBehindImportsAndImportsReportProgress() throws Exception {
    // GIVEN a catalog with the default 2 import workers, and 5 disk images to add: one of 1 GiB, four of 128 MiB
    JsonObject config = TestConfig.loopback(dir);
    assertThat(config.getJsonObject("catalog").getInteger("importWorkers")).isEqualTo(2);
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    CatalogVerticle catalog = Fixtures.catalog(config);
    vertx.deployVerticle(catalog).await(60, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + catalog.actualPort() + "/api/v1";
    String bearer = TestTokens.bearer(dir);
    Path imports = dir.resolve("import");
    List<String> names = List.of("big", "small-1", "small-2", "small-3", "small-4");
    List<CompletableFuture<HttpResponse<String>>> adds = new ArrayList<>();
    java.util.concurrent.atomic.AtomicLong firstAddDone = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    long started = System.nanoTime();
    // WHEN all five adds are posted at once (more than the import pool has threads, and more than the
    // 4 threads of the catalog's other pool: before imports had their own, these filled it)
    for (String name : names) {
      Path disk = sparse(imports.resolve(name + ".img"), name.equals("big") ? GIB : GIB / 8);
      adds.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/images")).timeout(Duration.ofMinutes(9))
          .header("Authorization", bearer).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("name", name).put("kind", "QEMU")
              .put("disk", disk.toString()).encode())).build(), HttpResponse.BodyHandlers.ofString()));
      adds.get(adds.size() - 1).thenRun(() -> firstAddDone.accumulateAndGet(System.nanoTime(), Math::min));
    }
    // AND meanwhile an operator puts the policy and reads it back, and reads the image list, every 100 ms
    List<Long> putMs = new ArrayList<>();
    List<Long> getMs = new ArrayList<>();
    List<Long> putDone = new ArrayList<>();
    List<JsonObject> progress = new ArrayList<>();
    int i = 0;
    while (!adds.get(0).isDone()) {
      long t0 = System.nanoTime();
      HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/policy")).timeout(Duration.ofMinutes(2))
          .header("Authorization", bearer).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(new JsonObject().put("menuTimeoutSeconds", 1 + i % 30)
              .put("groups", new JsonObject().put("aa:bb:cc:dd:ee:01", "lab-" + i)).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      long t1 = System.nanoTime();
      HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/policy")).timeout(Duration.ofMinutes(2))
          .build(), HttpResponse.BodyHandlers.ofString());
      long t2 = System.nanoTime();
      // THEN each answers, with what was just put
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      assertThat(new JsonObject(get.body()).getJsonObject("groups").getString("aa:bb:cc:dd:ee:01")).isEqualTo("lab-" + i);
      putMs.add((t1 - t0) / 1_000_000);
      putDone.add(t1);
      getMs.add((t2 - t1) / 1_000_000);
      if (i % 10 == 0) {
        HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/imports")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).isEqualTo(200);
        JsonArray running = new JsonObject(list.body()).getJsonArray("imports");
        running.stream().map(JsonObject.class::cast).filter(p -> p.getString("name").equals("big"))
            .findFirst().ifPresent(progress::add);
      }
      i++;
      Thread.sleep(100);
    }
    long importMs = (System.nanoTime() - started) / 1_000_000;
    for (CompletableFuture<HttpResponse<String>> add : adds) {
      HttpResponse<String> r = add.get(9, TimeUnit.MINUTES);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    long beforeFirstAdd = putDone.stream().filter(t -> t < firstAddDone.get()).count();
    Collections.sort(putMs);
    Collections.sort(getMs);
    System.out.printf("MEASUREMENT import isolation: 1 GiB + 4 x 128 MiB added at once (2 import workers) in %.1f s;"
        + " meanwhile %d policy PUTs (%d before the first add ended, after %.1f s): median %d ms, p95 %d ms, max %d ms;"
        + " GETs: median %d ms, p95 %d ms, max %d ms%n",
        importMs / 1000.0, putMs.size(), beforeFirstAdd, (firstAddDone.get() - started) / 1e9, percentile(putMs, 0.5), percentile(putMs, 0.95), putMs.get(putMs.size() - 1),
        percentile(getMs, 0.5), percentile(getMs, 0.95), getMs.get(getMs.size() - 1));
    System.out.println("MEASUREMENT import progress of 'big' as GET /api/v1/imports showed it: " + progress);
    // AND no policy write waited for an import: they went on while all five adds were running or queued.
    // With the imports on the catalog's other pool, as before, the first PUT waited for an add to end
    // (29.9 s here; the others, after it, were fast again). The rest is disk: a PUT fsyncs, and the adds
    // write 1.5 GB meanwhile (margins for a shared 2-core machine).
    assertThat(beforeFirstAdd).isGreaterThanOrEqualTo(5);
    assertThat(percentile(putMs, 0.95)).isLessThan(2000);
    assertThat(putMs.get(putMs.size() - 1)).isLessThan(10_000);
    assertThat(getMs.get(getMs.size() - 1)).isLessThan(2000);
    // AND the big add's progress was visible: queued or copying with a growing byte count, then the torrent
    assertThat(progress).isNotEmpty();
    assertThat(progress).allSatisfy(p -> assertThat(p.getString("phase")).isIn("queued", "copying", "building_torrent",
        "committing"));
    List<Long> copied = progress.stream().filter(p -> p.getString("phase").equals("copying"))
        .map(p -> p.getLong("bytesCopied")).toList();
    assertThat(copied).isSorted();
    assertThat(progress.stream().filter(p -> !p.getString("phase").equals("queued")).findFirst().orElseThrow()
        .getLong("bytesTotal")).isEqualTo(GIB);
    // AND once done, nothing is listed as importing
    HttpResponse<String> after = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/imports")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(new JsonObject(after.body()).getJsonArray("imports")).isEmpty();
  }
}
