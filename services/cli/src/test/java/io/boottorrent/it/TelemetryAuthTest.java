package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.cli.CliTest;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.server.auth.AuthOptions;
import io.boottorrent.telemetry.TelemetryOptions;
import io.boottorrent.telemetry.TelemetryVerticle;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Telemetry with {@code auth.openReads: false}, over real HTTP: every read (REST, the SSE stream, the
 * SockJS bridge) needs a viewer token, which telemetry has the catalog check over the event bus; the
 * stream and the bridge also take a short-lived ticket; the dashboard's pages stay loadable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TelemetryAuthTest {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  @TempDir static Path dir;
  private Stack stack;

  @BeforeAll
  void start() {
    stack = new Stack(dir, 0, false, config -> config.getJsonObject("auth").put("openReads", false)
        .put("tokenCheckCacheSeconds", 1).put("ticketSeconds", 2));
  }

  @AfterAll
  void stop() {
    stack.close();
  }

  private HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (bearer != null) {
      r.header("Authorization", bearer);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String viewerToken(String name) throws Exception {
    HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(stack.catalogUrl() + "/api/v1/tokens"))
        .header("Authorization", stack.bearer()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"role\":\"VIEWER\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("secret");
  }

  @Test
  void everyReadNeedsAViewerTokenThatTheCatalogKnowsAndARevokedOneStopsWithinTheCacheTime() throws Exception {
    String t = stack.telemetryUrl();
    for (String path : new String[] {"/api/v1/events", "/api/v1/machines", "/api/v1/machines/02:00:00:00:00:01",
        "/api/v1/storms", "/api/v1/swarms", "/api/v1/events/stream", "/eventbus/info"}) {
      HttpResponse<String> none = get(t + path, null);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"boottorrent\"");
      assertThat(none.body()).contains("needs a bearer token with role viewer or higher: no Authorization header");
      assertThat(get(t + path, "Bearer btk_not-a-token").statusCode()).as(path).isEqualTo(401);
    }
    assertThat(get(t + "/api/v1/machines", stack.bearer()).statusCode()).isEqualTo(200);
    String viewer = viewerToken("dash");
    HttpResponse<String> asViewer = get(t + "/api/v1/storms", "Bearer " + viewer);
    assertThat(asViewer.statusCode()).as(asViewer.body()).isEqualTo(200);
    // the dashboard's pages hold no data and stay loadable; config.json tells them reads are closed
    assertThat(get(t + "/dashboard/", null).statusCode()).isEqualTo(200);
    assertThat(new JsonObject(get(t + "/dashboard/config.json", null).body()).getBoolean("openReads")).isFalse();

    String id = null;
    HttpResponse<String> list = get(stack.catalogUrl() + "/api/v1/tokens", stack.bearer());
    for (Object o : new JsonObject(list.body()).getJsonArray("tokens")) {
      if (((JsonObject) o).getString("name").equals("dash")) {
        id = ((JsonObject) o).getString("id");
      }
    }
    HttpResponse<String> revoked = HTTP.send(HttpRequest.newBuilder(URI.create(stack.catalogUrl() + "/api/v1/tokens/" + id))
        .header("Authorization", stack.bearer()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(revoked.statusCode()).isEqualTo(204);
    Thread.sleep(1_100); // auth.tokenCheckCacheSeconds: 1
    HttpResponse<String> after = get(t + "/api/v1/storms", "Bearer " + viewer);
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(after.body()).contains("the token is unknown or revoked");
  }

  @Test
  void theEventStreamAndTheBridgeTakeAShortLivedTicketForAToken() throws Exception {
    String t = stack.telemetryUrl();
    HttpResponse<String> noTicket = HTTP.send(HttpRequest.newBuilder(URI.create(t + "/api/v1/tickets"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noTicket.statusCode()).isEqualTo(401);
    HttpResponse<String> issued = HTTP.send(HttpRequest.newBuilder(URI.create(t + "/api/v1/tickets"))
        .header("Authorization", "Bearer " + viewerToken("stream")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
    assertThat(issued.headers().firstValue("Cache-Control")).contains("no-store");
    JsonObject body = new JsonObject(issued.body());
    String ticket = body.getString("ticket");
    assertThat(body.getInteger("expiresInSeconds")).isEqualTo(2);

    // the stream opens with the ticket and carries events
    HttpResponse<Stream<String>> stream = HTTP.send(HttpRequest.newBuilder(
        URI.create(t + "/api/v1/events/stream?ticket=" + ticket)).build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    stack.vertx.eventBus().publish(io.boottorrent.proto.Addresses.BOOT_EVENT, BootEvent.newBuilder()
        .setMac("02:00:00:00:00:42").setStage(BootStage.DHCP_LEASE).setIp("10.0.0.42").setMessage("ticketed").build());
    Iterator<String> lines = stream.body().iterator();
    boolean seen = false;
    while (!seen && lines.hasNext()) {
      seen = lines.next().contains("ticketed");
    }
    stream.body().close();
    assertThat(seen).isTrue();
    assertThat(get(t + "/eventbus/info?ticket=" + ticket, null).statusCode()).isEqualTo(200);
    // a ticket opens only the stream and the bridge, not the REST reads
    assertThat(get(t + "/api/v1/machines?ticket=" + ticket, null).statusCode()).isEqualTo(401);
    HttpResponse<String> bad = get(t + "/api/v1/events/stream?ticket=btt_forged", null);
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.body()).contains("the ticket is unknown or expired");
    Thread.sleep(2_100); // auth.ticketSeconds: 2
    assertThat(get(t + "/api/v1/events/stream?ticket=" + ticket, null).statusCode()).isEqualTo(401);
  }

  @Test
  void withoutACatalogToAskTelemetryRefusesWith503SayingSo() throws Exception {
    Vertx alone = Vertx.vertx();
    try {
      JsonObject config = TestConfig.loopback(dir.resolve("alone"));
      int port = Ports.freeTcp();
      config.getJsonObject("telemetry").put("httpPort", port);
      alone.deployVerticle(new TelemetryVerticle(TelemetryOptions.fromSection(config.getJsonObject("telemetry")),
          TestConfig.loopbackProcess(dir.resolve("alone")), null,
          AuthOptions.fromSection(config.getJsonObject("auth").put("openReads", false)))).await();
      HttpResponse<String> r = get("http://127.0.0.1:" + port + "/api/v1/machines", "Bearer btk_whatever");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
      assertThat(r.body()).contains("cannot check the bearer token: the catalog did not answer on catalog.token.check");
    } finally {
      alone.close().await();
    }
  }

  @Test
  void theCliSendsItsTokenToClosedTelemetryAndSaysSoWhenItHasNone() throws Exception {
    String telemetry = "--telemetry=" + stack.telemetryUrl();
    CliTest.Run none = CliTest.run("status", "--once", telemetry);
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("HTTP 401").contains("needs a bearer token with role viewer")
        .contains("telemetry's reads need a viewer token (auth.openReads is false): looked at --token-file");
    CliTest.Run missing = CliTest.run("status", "--once", telemetry, "--token-file=" + dir.resolve("missing.token"));
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("missing.token");
    java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("viewer.token"), viewerToken("cli"));
    CliTest.Run withToken = CliTest.run("status", "--once", telemetry, "--token-file=" + token);
    assertThat(withToken.code()).as(withToken.err()).isZero();
    assertThat(withToken.out()).contains("MAC");
    // the event stream, with the token in the header (the CLI can send one: no ticket needed)
    java.util.concurrent.CompletableFuture<CliTest.Run> tail = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        CliTest.run("events", "tail", telemetry, "--token-file=" + token, "--mac=02:00:00:00:00:43", "--count=1"));
    while (!tail.isDone()) {
      stack.vertx.eventBus().publish(io.boottorrent.proto.Addresses.BOOT_EVENT, BootEvent.newBuilder()
          .setMac("02:00:00:00:00:43").setStage(BootStage.DHCP_LEASE).setIp("10.0.0.43").setMessage("cli-tail").build());
      Thread.sleep(200);
    }
    CliTest.Run tailed = tail.get();
    assertThat(tailed.code()).as(tailed.err()).isZero();
    assertThat(tailed.out()).contains("02:00:00:00:00:43");
  }
}
