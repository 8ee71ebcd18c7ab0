package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Subscribe to boot events on the event bus" from another JVM: `boottorrent serve --cluster` in one
 * process, and in a second one `boottorrent events tail --cluster`, a Vert.x node that joins the same
 * Hazelcast cluster (TCP members on 127.0.0.1, never multicast) and consumes {@code boot.event}.
 */
class ClusterSubscriptionTest {
  @TempDir Path dir;

  private Path config(String name, int hazelcastPort, int otherPort, String cluster, int catalogPort, int telemetryPort)
      throws Exception {
    return Files.writeString(dir.resolve(name + ".yaml"), """
        dataDir: "%s"
        publicHost: 127.0.0.1
        health: {port: -1}
        cluster: {enabled: true, host: 127.0.0.1, port: %d, members: ["127.0.0.1:%d", "127.0.0.1:%d"], clusterName: %s}
        catalog: {host: 127.0.0.1, httpPort: %d}
        telemetry: {host: 127.0.0.1, httpPort: %d}
        """.formatted(dir.resolve(name), hazelcastPort, hazelcastPort, otherPort, cluster, catalogPort, telemetryPort));
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aNodeInAnotherJvmGetsTheBootEventsOfTheClusteredBus() throws Exception {
    int a = Ports.freeTcp();
    int b = Ports.freeTcp();
    int catalogPort = Ports.freeTcp();
    String cluster = "subscribe-" + a;
    // GIVEN the catalog and telemetry in one clustered JVM
    try (Proc.Running services = Proc.java("io.boottorrent.cli.Main", "serve", "--cluster", "--services",
            "catalog,telemetry", "--config", config("services", a, b, cluster, catalogPort, Ports.freeTcp()).toString())
            .name("services").log(dir.resolve("services.log")).start();
        Proc.Running subscriber = Proc.java("io.boottorrent.cli.Main", "events", "tail", "--cluster", "--count", "2",
            "--config", config("subscriber", b, a, cluster, 0, 0).toString())
            .name("subscriber").log(dir.resolve("subscriber.log")).start()) {
      services.await("BootTorrent running", Duration.ofSeconds(120));
      // AND a subscriber in another JVM that joined the cluster
      subscriber.await("subscribed to boot.event in cluster " + cluster, Duration.ofSeconds(120));
      // WHEN an agent reports two events to the catalog
      HttpClient http = HttpClient.newHttpClient();
      for (String stage : new String[] {"AGENT_STARTED", "FAILED"}) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + catalogPort + "/api/v1/events"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"mac\":\"52:54:00:00:00:42\",\"stage\":\"" + stage + "\",\"message\":\"from the agent\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      }
      // THEN the other JVM printed both, in order, and exited after them
      Proc.Result done = subscriber.finish(Duration.ofSeconds(60));
      assertThat(done.exit()).as(done.output()).isZero();
      assertThat(done.output()).containsSubsequence("52:54:00:00:00:42  AGENT_STARTED", "52:54:00:00:00:42  FAILED");
    }
  }
}
