package io.boottorrent.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpServersTest {
  @Test
  void theJdkClientsH2cUpgradeIsDeclinedAndALargeBodyArrivesOverHttp11() throws Exception {
    // GIVEN a server on our options with a 3 MiB answer (like a long event list)
    Vertx vertx = Vertx.vertx();
    try {
      Buffer body = Buffer.buffer(new byte[3 << 20]);
      HttpServer server = vertx.createHttpServer(HttpServers.options())
          .requestHandler(req -> req.response().end(body)).listen(0, "127.0.0.1").await();
      // WHEN the JDK's client (HTTP/2 by default: it asks for the h2c upgrade) fetches it
      HttpClient client = HttpClient.newHttpClient();
      for (int i = 0; i < 5; i++) {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.actualPort() + "/events")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        // THEN the server stays on HTTP/1.1 and the whole body arrives
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.body()).hasSize(3 << 20);
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void theLimitsAreReadFromTheHttpSectionAndABadOneIsRefusedNamingIt() {
    HttpLimits limits = HttpLimits.fromSection(TestConfig.section("http"));
    assertThat(limits).isEqualTo(HttpLimits.defaults());
    assertThat(limits.maxBodyBytes()).isEqualTo(1 << 20);
    assertThatThrownBy(() -> HttpLimits.fromSection(TestConfig.section("http").put("maxConnections", -1)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("http.maxConnections: expected an integer 0..1000000");
    assertThatThrownBy(() -> HttpLimits.fromSection(TestConfig.section("http").put("maxHeaderBytes", 10)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("http.maxHeaderBytes");
  }

  @Test
  void aBrokenPercentEscapeIsNamedAndAGoodOneIsNot() {
    assertThat(HttpServers.malformedEscape("/api/v1/images/demo%00?mac=%41%42")).isEmpty();
    assertThat(HttpServers.malformedEscape("/seed/%")).hasValueSatisfying(r -> assertThat(r).contains("\"%\" at character 6"));
    assertThat(HttpServers.malformedEscape("/a?x=%zz")).hasValueSatisfying(r -> assertThat(r).contains("\"%zz\""));
    assertThat(HttpServers.malformedEscape("/a%4")).isPresent();
    assertThat(HttpServers.malformedEscape("/a%\u0001b")).hasValueSatisfying(r -> assertThat(r).contains("\\x01"));
  }

  @Test
  void aDeclaredLengthOverTheLimitIsTooLargeAndAMalformedOneIsLeftToVertx() {
    assertThat(HttpServers.bodyTooLarge("1048577", 1 << 20)).isTrue();
    assertThat(HttpServers.bodyTooLarge(" 1048576 ", 1 << 20)).isFalse();
    assertThat(HttpServers.bodyTooLarge("99999999999999999999", 1 << 20)).isTrue();
    assertThat(HttpServers.bodyTooLarge("12x", 1 << 20)).isFalse();
    assertThat(HttpServers.bodyTooLarge("-1", 1 << 20)).isFalse();
  }
}
