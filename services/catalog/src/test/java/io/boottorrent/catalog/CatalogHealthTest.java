package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Codecs;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.server.HealthServer;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The catalog as /health sees it: its port, its data dir, its deployment. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CatalogHealthTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;
  Vertx vertx;

  @AfterEach
  void close() throws Exception {
    vertx.close().await(60, TimeUnit.SECONDS);
  }

  static JsonObject health(int port) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return new JsonObject(r.body()).put("httpStatus", r.statusCode());
  }

  static JsonObject until(int port, java.util.function.Predicate<JsonObject> wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      last = health(port);
      if (wanted.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("health never matched; last " + last);
  }

  static JsonArray problems(JsonObject health) {
    for (Object o : health.getJsonArray("checks")) {
      JsonObject check = (JsonObject) o;
      if (check.getString("id").equals("serving")) {
        return check.getJsonObject("data").getJsonArray("problems", new JsonArray());
      }
    }
    throw new AssertionError(health.encode());
  }

  @Test
  void healthIsDownWhileTheCatalogCannotWriteItsDataDirAndOnceItIsUndeployed() throws Exception {
    // GIVEN a catalog deployed and watched as `serve` does
    JsonObject config = TestConfig.loopback(dir);
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    HealthServer health = new HealthServer(vertx);
    health.listen(HealthOptions.fromSection(config.getJsonObject("health").put("port", 0).put("host", "127.0.0.1")))
        .await(30, TimeUnit.SECONDS);
    CatalogVerticle catalog = Fixtures.catalog(config);
    String id = vertx.deployVerticle(catalog).await(60, TimeUnit.SECONDS);
    health.ready("catalog");
    health.watch("catalog", id, catalog);
    int port = health.actualPort();
    JsonObject up = until(port, h -> h.getInteger("httpStatus") == 200);
    assertThat(catalog.listening()).hasSize(1);

    // WHEN <dataDir>/catalog stops being a directory it can write (moved away, a file in its place)
    Path catalogDir = dir.resolve("catalog");
    Files.move(catalogDir, dir.resolve("catalog.away"));
    Files.writeString(catalogDir, "");
    // THEN DOWN, naming the directory
    JsonObject down = until(port, h -> h.getInteger("httpStatus") == 503);
    assertThat(problems(down).getString(0)).startsWith("catalog: cannot write to " + catalogDir);
    // AND UP once it is back
    Files.delete(catalogDir);
    Files.move(dir.resolve("catalog.away"), catalogDir);
    until(port, h -> h.getInteger("httpStatus") == 200);

    // WHEN the catalog is undeployed THEN DOWN: not deployed, nothing on its port
    int catalogPort = catalog.actualPort();
    vertx.undeploy(id).await(30, TimeUnit.SECONDS);
    JsonObject gone = until(port, h -> h.getInteger("httpStatus") == 503);
    assertThat(problems(gone).getString(0)).isEqualTo("catalog: not deployed any more (undeployed or failed)");
    System.out.println("MEASUREMENT catalog health: up " + up.encode() + "; undeployed (port " + catalogPort + ") "
        + gone.encode());
  }
}
