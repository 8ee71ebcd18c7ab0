package io.boottorrent.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent-only jar's command. This module's test classpath is that jar's content (the agent depends
 * on boottorrent-core, not on the server runtime), so these tests also prove the agent runs without it.
 */
class AgentMainTest {
  @ParameterizedTest
  @ValueSource(strings = {"com.hazelcast.core.Hazelcast", "io.vertx.spi.cluster.hazelcast.HazelcastClusterManager",
      "io.vertx.ext.web.Router", "io.vertx.ext.healthchecks.HealthChecks", "io.vertx.config.ConfigRetriever",
      "com.google.protobuf.util.JsonFormat", "io.micrometer.core.instrument.MeterRegistry"})
  void serverSideLibrariesAreNotOnTheAgentsClasspath(String className) {
    assertThatThrownBy(() -> Class.forName(className)).isInstanceOf(ClassNotFoundException.class);
  }

  @Test
  void agentSubcommandTakesTheClientImagesCommandLine() {
    // GIVEN the jar's main class WHEN asked for `agent --help`
    Run run = run("agent", "--help");
    // THEN it knows every option agent.sh and the benchmarks pass
    assertThat(run.exit).isZero();
    assertThat(run.out).contains("Usage: boottorrent agent", "--catalog", "--mac", "--work-dir", "--launcher",
        "--image", "--seed-seconds", "--start-gate", "--non-interactive", "--config");
  }

  @Test
  void aBadConfigValueIsAClearErrorBeforeAnythingStarts() {
    Run run = run("agent", "--catalog", "ftp://catalog", "--mac", "52:54:00:12:34:56");
    assertThat(run.exit).isEqualTo(2);
    assertThat(run.out).contains("bad config: agent.catalogUrl: expected http://host:port, got \"ftp://catalog\"");
    Run mac = run("agent", "--catalog", "http://127.0.0.1:1", "--mac", "52:54:00");
    assertThat(mac.out).contains("agent.mac: not a MAC address: '52:54:00'");
  }

  @Test
  void withoutASubcommandItPrintsUsage() {
    Run run = run();
    assertThat(run.exit).isZero();
    assertThat(run.out).contains("Usage: boottorrent", "agent");
  }

  @Test
  @Timeout(60)
  void agentBootsAgainstTheCatalogAndFailsCleanlyWhenItRefusesThisMachine(@TempDir Path work) throws Exception {
    // GIVEN a catalog that takes boot events but knows no assignment for this machine
    Vertx vertx = Vertx.vertx();
    List<String> requests = new CopyOnWriteArrayList<>();
    try {
      HttpServer catalog = vertx.createHttpServer().requestHandler(req -> {
        requests.add(req.method() + " " + req.path());
        if (req.method() == HttpMethod.POST && req.path().equals("/api/v1/events")) {
          req.body().onComplete(b -> req.response().setStatusCode(202).end());
        } else {
          req.response().setStatusCode(404).end("{\"error\":\"no such machine\",\"status\":404}");
        }
      }).listen(0, "127.0.0.1").await();
      String url = "http://127.0.0.1:" + catalog.actualPort();

      // WHEN the agent runs, with the options agent.sh passes
      Run run = run("agent", "--catalog", url, "--mac", "52:54:00:12:34:56", "--work-dir", work.toString(),
          "--launcher", "none", "--seed-seconds", "0", "--non-interactive");

      // THEN it started (standalone Vert.x, no Hazelcast), asked for its assignment, reported and gave up
      assertThat(run.exit).isEqualTo(1);
      assertThat(run.out).contains("for 52:54:00:12:34:56, catalog " + url, "boot failed");
      assertThat(requests).contains("GET /api/v1/boot/52%3A54%3A00%3A12%3A34%3A56", "POST /api/v1/events");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @Timeout(30)
  void aShutdownThatHangsDoesNotHoldTheExit() {
    // GIVEN a Vert.x whose close never completes (a verticle that never stops, as a libtorrent session
    // stuck on a full disk might)
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> stop() {
        return Promise.promise().future();
      }
    }).await();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream err = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    long start = System.nanoTime();
    try {
      // WHEN the agent closes it with a 1 s bound
      AgentCommand.closeWithin(vertx, Duration.ofSeconds(1));
    } finally {
      System.setErr(err);
    }
    // THEN it returns after about that second, saying it gave up
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("warning: the agent did not shut down in 1 s; exiting anyway");
  }

  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(both);
    System.setErr(both);
    try {
      int exit = AgentMain.run(args);
      return new Run(exit, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
