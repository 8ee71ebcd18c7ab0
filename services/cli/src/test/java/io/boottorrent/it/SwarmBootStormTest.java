package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.Verifier;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.testsupport.Prometheus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue-2 slice end to end on loopback: catalog + tracker + seeder and 8 agents. The seeder's
 * upload is capped, so the agents can only finish quickly by uploading to each other.
 * Size: -Dboottorrent.it.sizeMib (default 32; the closing-note figure used 256).
 */
class SwarmBootStormTest {
  static final int AGENTS = 8;
  static final long SIZE = Long.getLong("boottorrent.it.sizeMib", 32) << 20;
  static final long SEEDER_CAP = Long.getLong("boottorrent.it.seederCapKiB", 4096) << 10;

  @TempDir Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void eightAgentsGetIdenticalBytesAndServeEachOther() throws Exception {
    try (Stack stack = new Stack(dir, SEEDER_CAP, true)) {
      // GIVEN an image in the catalog, seeded by a seeder capped at SEEDER_CAP bytes/s
      ImageManifest image = stack.addImage("storm", SIZE);
      long total = image.getTotalSize();
      // WHEN 8 agents boot at once (web seed only as a fallback after a long stall)
      long start = System.nanoTime();
      List<Future<AgentResult>> runs = new ArrayList<>();
      for (int i = 1; i <= AGENTS; i++) {
        runs.add(stack.agent(i, new JsonObject().put("seedSeconds", 60).put("webSeedFallbackSeconds", 120)));
      }
      List<AgentResult> results = Future.all(runs).await().list();
      double seconds = (System.nanoTime() - start) / 1e9;

      // THEN every agent holds exactly the catalog's bytes
      for (AgentResult r : results) {
        assertThat(Verifier.verify(image, r.imageDir())).as(r.imageDir().toString()).isEmpty();
        assertThat(r.bytesFromWebSeed()).isZero();
      }
      // AND the seeder served clearly less than 8 copies: the agents uploaded to each other
      TorrentStatus seeded = stack.seeder.status().await().getTorrentsList().stream()
          .filter(t -> t.getInfoHash().equals(image.getInfoHash())).findFirst().orElseThrow();
      long seederBytes = seeded.getTotalUploaded();
      long agentsUploaded = results.stream().mapToLong(AgentResult::bytesUploaded).sum();
      long fromPeers = results.stream().mapToLong(AgentResult::bytesFromSwarm).sum(); // sampled: a lower bound
      long slowest = results.stream().mapToLong(AgentResult::downloadMillis).max().orElseThrow();
      System.out.printf("boot storm: %d agents x %.0f MiB in %.1f s (slowest download %.1f s); seeder served "
              + "%.1f MiB (%.2f copies), agents uploaded %.1f MiB, received from peers %.1f MiB%n",
          AGENTS, total / 1048576.0, seconds, slowest / 1000.0, seederBytes / 1048576.0, seederBytes / (double) total,
          agentsUploaded / 1048576.0, fromPeers / 1048576.0);
      assertThat(seederBytes).isLessThan(AGENTS * total / 2);
      assertThat(agentsUploaded).isGreaterThan(total);

      // AND every agent reported every stage of its boot, which telemetry keeps
      JsonArray events = new JsonObject(stack.telemetry("/api/v1/events?limit=10000")).getJsonArray("events");
      for (int i = 1; i <= AGENTS; i++) {
        String mac = String.format("02:00:00:00:00:%02x", i);
        Set<String> stages = events.stream().map(JsonObject.class::cast)
            .filter(e -> mac.equals(e.getString("mac"))).map(e -> e.getString("stage")).collect(Collectors.toSet());
        assertThat(stages).as(mac).contains("AGENT_STARTED", "MENU_SHOWN", "IMAGE_CHOSEN", "DOWNLOAD_STARTED",
            "DOWNLOAD_COMPLETE", "VERIFIED", "SEEDING_DONE", "LAUNCHING");
      }

      // AND the process's metrics moved by what happened (telemetry counts the agents' events)
      Map<String, Double> m = Prometheus.parse(stack.metrics());
      String seederEndpoint = "127.0.0.1:" + stack.seeder.listenPort();
      long fromSeeder = results.stream().flatMap(r -> r.sources().entrySet().stream())
          .filter(e -> e.getKey().key().equals(seederEndpoint)).mapToLong(Map.Entry::getValue).sum();
      assertThat(Prometheus.value(m, "boottorrent_boots_total{outcome=\"launched\"}")).isEqualTo(AGENTS);
      assertThat(Prometheus.value(m, "boottorrent_boot_events_total{stage=\"download_complete\"}")).isEqualTo(AGENTS);
      assertThat(Prometheus.sum(m, "boottorrent_agent_downloaded_bytes_total")).isEqualTo((double) AGENTS * total);
      assertThat(Prometheus.value(m, "boottorrent_agent_downloaded_bytes_total{source=\"seeder\"}"))
          .isEqualTo((double) fromSeeder);
      assertThat(Prometheus.value(m, "boottorrent_agent_uploaded_bytes_total")).isEqualTo((double) agentsUploaded);
      assertThat(Prometheus.value(m, "boottorrent_boot_phase_duration_seconds_count{phase=\"download\"}"))
          .isEqualTo(AGENTS);
      assertThat(Prometheus.value(m, "boottorrent_tracker_announces_total{event=\"started\"}"))
          .isGreaterThanOrEqualTo(AGENTS + 1); // every agent, and the seeder
      assertThat(Prometheus.value(m, "boottorrent_seeder_uploaded_bytes_total{image=\"storm\"}"))
          .isPositive().isLessThanOrEqualTo((double) seederBytes);
      // (a series appears once its image served a byte: absent here)
      assertThat(Prometheus.value(m, "boottorrent_catalog_webseed_bytes_total{image=\"storm\"}")).isNotPositive();
      assertThat(m.keySet()).anyMatch(k -> k.startsWith("vertx_eventbus_published_total"));
    }
  }

}
