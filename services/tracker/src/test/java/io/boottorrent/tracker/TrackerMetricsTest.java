package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;
import static io.boottorrent.tracker.TrackerHttp.integer;
import static io.boottorrent.tracker.TrackerHttp.text;
import static io.boottorrent.tracker.protocol.AnnounceQuery.escape;
import static io.boottorrent.tracker.protocol.AnnounceQuery.id;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Prometheus;
import io.boottorrent.core.InfoHash;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.AnnounceRequest.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The tracker's meters after real announces and scrapes, read from the Prometheus text /metrics serves. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TrackerMetricsTest {
  private static final byte[] A = id(1);
  private static final byte[] B = id(2);

  @TempDir Path dir;

  @Test
  void announcesByEventScrapesRefusalsAndSwarmSizesAreCounted() throws InterruptedException {
    Vertx vertx = await(ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))));
    try {
      // GIVEN a tracker that heard from a catalog of images A and B
      FakeCatalog.serving(vertx, A, B);
      TrackerVerticle verticle = new TrackerVerticle(
          TrackerOptions.fromSection(TestConfig.loopback(dir).getJsonObject("tracker")));
      await(vertx.deployVerticle(verticle));
      await(verticle.catalogHeard());
      TrackerHttp tracker = new TrackerHttp(vertx, verticle.actualPort());

      // WHEN swarm A gets a seed and three leechers, one of which completes and one leaves, and the
      // third re-announces; swarm B gets one leecher
      tracker.announce(AnnounceQuery.of(A, id(10), 7000).left(0).event("started").build());
      for (int peer = 11; peer <= 13; peer++) {
        tracker.announce(AnnounceQuery.of(A, id(peer), 7000 + peer).event("started").build());
      }
      tracker.announce(AnnounceQuery.of(A, id(11), 7011).left(0).event("completed").build());
      tracker.announce(AnnounceQuery.of(A, id(12), 7012).event("stopped").build());
      BDictCounts a = counts(tracker.announce(AnnounceQuery.of(A, id(13), 7013).build()));
      tracker.announce(AnnounceQuery.of(B, id(20), 7020).event("started").build());
      // AND two scrapes, three malformed requests and an announce of a hash that is not an image
      assertThat(text(tracker.announce(AnnounceQuery.of(id(3), id(15), 7015).build()), "failure reason"))
          .endsWith("is not a catalog image");
      tracker.scrape("info_hash=" + escape(A));
      tracker.scrape("info_hash=" + escape(A) + "&info_hash=" + escape(B));
      assertThat(text(tracker.bencoded("/announce"), "failure reason")).isEqualTo("missing info_hash");
      assertThat(text(tracker.announce(AnnounceQuery.of(A, id(14), 7014).raw("event", "begun").build()),
          "failure reason")).startsWith("unknown event");
      assertThat(text(tracker.bencoded("/scrape?info_hash=%41"), "failure reason")).startsWith("info_hash");

      // THEN
      assertThat(a).isEqualTo(new BDictCounts(2, 1));
      Map<String, Double> expected = Map.ofEntries(
          Map.entry("boottorrent_tracker_announces_total{event=\"started\"}", 5.0),
          Map.entry("boottorrent_tracker_announces_total{event=\"completed\"}", 1.0),
          Map.entry("boottorrent_tracker_announces_total{event=\"stopped\"}", 1.0),
          Map.entry("boottorrent_tracker_announces_total{event=\"none\"}", 1.0),
          Map.entry("boottorrent_tracker_scrapes_total", 2.0),
          Map.entry("boottorrent_tracker_refusals_total{reason=\"malformed\",request=\"announce\"}", 2.0),
          Map.entry("boottorrent_tracker_refusals_total{reason=\"malformed\",request=\"scrape\"}", 1.0),
          Map.entry("boottorrent_tracker_refusals_total{reason=\"internal_error\",request=\"announce\"}", 0.0),
          Map.entry("boottorrent_tracker_refusals_total{reason=\"not_in_catalog\",request=\"announce\"}", 1.0),
          Map.entry("boottorrent_tracker_refusals_total{reason=\"catalog_not_heard\",request=\"announce\"}", 0.0),
          Map.entry("boottorrent_tracker_peers{state=\"seeder\"}", 2.0),
          Map.entry("boottorrent_tracker_peers{state=\"leecher\"}", 2.0),
          Map.entry("boottorrent_tracker_swarms", 2.0));
      assertThat(Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(), expected, Duration.ZERO))
          .isEqualTo(expected);
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void aSwarmLeavesTheGaugesWhenItEmptiesNobodyAnnouncedForAPeerTtlOrItsImageLeftTheCatalog() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong now = new AtomicLong(1_000_000);
    TrackerMetrics metrics = new TrackerMetrics(registry, Duration.ofSeconds(120), now::get);
    InfoHash a = new InfoHash(A);
    InfoHash b = new InfoHash(B);
    metrics.announced(Event.STARTED, a, swarm(1, 2));
    metrics.announced(Event.STARTED, b, swarm(0, 1));
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isEqualTo(2);
    assertThat(registry.get("boottorrent.tracker.peers").tag("state", "leecher").gauge().value()).isEqualTo(3);

    // WHEN the last peer of B stops THEN B is gone at once
    metrics.announced(Event.STOPPED, b, swarm(0, 0));
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isEqualTo(1);
    // WHEN nobody announces A for a peer TTL THEN its peers have expired: A is gone too
    now.addAndGet(119_999);
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isEqualTo(1);
    now.addAndGet(1);
    assertThat(registry.get("boottorrent.tracker.peers").tag("state", "seeder").gauge().value()).isZero();
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isZero();

    // WHEN B is announced again and its image then leaves the catalog THEN it is gone at once
    metrics.announced(Event.STARTED, b, swarm(1, 0));
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isEqualTo(1);
    metrics.dropped(b);
    assertThat(gauge(registry, "boottorrent.tracker.swarms")).isZero();

    // AND a stopped verticle's gauges are unregistered
    metrics.close();
    assertThat(registry.find("boottorrent.tracker.swarms").gauge()).isNull();
  }

  private record BDictCounts(long complete, long incomplete) {}

  private static BDictCounts counts(io.boottorrent.tracker.protocol.BDict answer) {
    return new BDictCounts(integer(answer, "complete"), integer(answer, "incomplete"));
  }

  private static SwarmSnapshot swarm(int seeders, int leechers) {
    List<PeerEntry> peers = new java.util.ArrayList<>();
    for (int i = 0; i < seeders + leechers; i++) {
      peers.add(PeerEntry.newBuilder().setPeerId(com.google.protobuf.ByteString.copyFrom(AnnounceQuery.id(i)))
          .setIp("127.0.0.1").setPort(7000 + i).setSeed(i < seeders).build());
    }
    return new SwarmSnapshot(peers, 0);
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }

}
