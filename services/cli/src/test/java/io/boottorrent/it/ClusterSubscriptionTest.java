package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Subscribe to boot events on the event bus" from other JVMs: the catalog alone in one process
 * ({@code boottorrent serve --services catalog --cluster}), telemetry alone in a second, and in a third
 * {@code boottorrent events tail --cluster}, a Vert.x node that joins the same Hazelcast cluster (TCP
 * members on 127.0.0.1, never multicast) and consumes {@code boot.event}.
 */
class ClusterSubscriptionTest {
  private static final String MAC = "52:54:00:00:00:42";

  @TempDir Path dir;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void nodesInOtherJvmsGetTheBootEventsOfTheClusteredBus() throws Exception {
    int catalogPort = Ports.freeTcp();
    int telemetryPort = Ports.freeTcp();
    ClusterLab lab = new ClusterLab(dir, Path.of("target", "cluster-lab", "subscription"),
        List.of("catalog", "telemetry", "subscriber"));
    lab.shared.put("catalog", new JsonObject().put("host", "127.0.0.1").put("httpPort", catalogPort))
        .put("telemetry", new JsonObject().put("host", "127.0.0.1").put("httpPort", telemetryPort));
    try (lab) {
      // GIVEN the catalog in one clustered JVM and telemetry alone in another
      Proc.Running catalog = lab.serve("catalog", "catalog", new JsonObject());
      Proc.Running telemetry = lab.serve("telemetry", "telemetry", new JsonObject());
      Proc.Running subscriber = lab.start("subscriber", new JsonObject(), "events", "tail", "--cluster", "--count", "2");
      ClusterLab.awaitRunning(catalog);
      ClusterLab.awaitRunning(telemetry);
      // AND a subscriber in a third JVM that joined the cluster
      subscriber.await("subscribed to boot.event in cluster " + lab.clusterName, Duration.ofSeconds(120));
      // WHEN an agent reports two events to the catalog
      HttpClient http = HttpClient.newHttpClient();
      for (String stage : new String[] {"AGENT_STARTED", "FAILED"}) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + catalogPort + "/api/v1/events"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"mac\":\"" + MAC + "\",\"stage\":\"" + stage + "\",\"message\":\"from the agent\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      }
      // THEN the subscriber printed both, in order, and exited after them
      Proc.Result done = subscriber.finish(Duration.ofSeconds(60));
      assertThat(done.exit()).as(done.output()).isZero();
      assertThat(done.output()).containsSubsequence(MAC + "  AGENT_STARTED", MAC + "  FAILED");
      // AND telemetry, in its own process, knows the machine failed after both events
      JsonObject machine = awaitFailedMachine(http, "http://127.0.0.1:" + telemetryPort + "/api/v1/machines/" + MAC);
      assertThat(machine.getJsonArray("events").size()).as(machine.encode()).isEqualTo(2);
      assertThat(machine.getJsonObject("machine").getString("failure")).isEqualTo("from the agent");
    }
  }

  private static JsonObject awaitFailedMachine(HttpClient http, String url) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        JsonObject body = new JsonObject(r.body());
        if (body.getJsonObject("machine", new JsonObject()).getBoolean("failed", false)) {
          return body;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("telemetry never showed " + url + " as failed; last answer: " + last);
  }
}
