package io.boottorrent.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.TestConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /metrics on the health port of a process started the way `boottorrent serve` starts it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsEndpointTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HealthOptions anyPort() {
    return HealthOptions.fromSection(TestConfig.section("health").put("port", 0).put("host", "127.0.0.1"));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one series (name and labels exactly as scraped), or null if absent. */
  static Double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    return m.find() ? Double.valueOf(m.group(1)) : null;
  }

  @Test
  void metricsEndpointServesVertxAndBoottorrentSeriesInPrometheusText() throws Exception {
    // GIVEN a standalone process with its health server
    Vertx vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    try {
      HealthServer health = new HealthServer(vertx);
      health.listen(anyPort()).await();
      int port = health.actualPort();
      // AND a service's counter, registered the way the core-only services (dhcp, tftp, seeder) find
      // the registry: the Vert.x local map, by name only
      Object shared = vertx.sharedData().getLocalMap(Meters.SHARED_MAP).get(Meters.REGISTRY_KEY);
      assertThat(shared).isInstanceOf(MeterRegistry.class).isSameAs(Meters.registry(vertx));
      Counter counter = Counter.builder("boottorrent.test.things").tag("kind", "probe")
          .register((MeterRegistry) shared);
      counter.increment(3);
      // AND some event-bus and HTTP traffic
      vertx.eventBus().consumer("test.metrics", m -> m.reply("pong")).completion().await();
      for (int i = 0; i < 4; i++) {
        vertx.eventBus().request("test.metrics", "ping").await();
      }
      assertThat(get(port, "/health").statusCode()).isEqualTo(200);
      // AND a request to an HTTP server of the services (the health server runs on a Vert.x of its own,
      // whose requests are not metered)
      int service = vertx.createHttpServer().requestHandler(r -> r.response().end("ok")).listen(0, "127.0.0.1")
          .await().actualPort();
      assertThat(get(service, "/").statusCode()).isEqualTo(200);

      // WHEN Prometheus scrapes
      HttpResponse<String> scraped = get(port, "/metrics");

      // THEN Prometheus text with Vert.x's own series and ours
      assertThat(scraped.statusCode()).isEqualTo(200);
      assertThat(scraped.headers().firstValue("Content-Type")).hasValue(HealthServer.PROMETHEUS_TEXT);
      String text = scraped.body();
      assertThat(text).contains("# TYPE boottorrent_test_things_total counter");
      assertThat(value(text, "boottorrent_test_things_total{kind=\"probe\"}")).isEqualTo(3.0);
      assertThat(value(text, "vertx_eventbus_processed_total{address=\"test.metrics\",side=\"local\"}")).isGreaterThanOrEqualTo(4.0);
      assertThat(text).contains("vertx_http_server_requests_total{code=\"200\",method=\"GET\"}")
          .contains("jvm_memory_used_bytes");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void eachProcessHasItsOwnRegistry() {
    ClusterOptions standalone = ClusterOptions.fromSection(TestConfig.section("cluster"));
    Vertx first = ServerVertx.start(standalone).await();
    Vertx second = ServerVertx.start(standalone).await();
    try {
      Meters.registry(first).counter("boottorrent.test.only.first").increment();
      assertThat(Meters.prometheus(first).orElseThrow().scrape()).contains("boottorrent_test_only_first_total 1.0");
      assertThat(Meters.prometheus(second).orElseThrow().scrape()).doesNotContain("boottorrent_test_only_first");
    } finally {
      second.close().await();
    }
    // closing one instance leaves the other's meters working
    Meters.registry(first).counter("boottorrent.test.only.first").increment();
    assertThat(Meters.prometheus(first).orElseThrow().scrape()).contains("boottorrent_test_only_first_total 2.0");
    first.close().await();
  }

  @Test
  void aVertxWithoutMetricsGetsASimpleRegistryAndNoMetricsEndpoint() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      assertThat(Meters.registry(vertx)).isInstanceOf(SimpleMeterRegistry.class);
      assertThat(Meters.prometheus(vertx)).isEmpty();
      HealthServer health = new HealthServer(vertx);
      health.listen(anyPort()).await();
      assertThat(get(health.actualPort(), "/health").statusCode()).isEqualTo(200);
      assertThat(get(health.actualPort(), "/metrics").statusCode()).isEqualTo(404);
    } finally {
      vertx.close().await();
    }
  }
}
