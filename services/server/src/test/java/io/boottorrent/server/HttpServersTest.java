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
}
