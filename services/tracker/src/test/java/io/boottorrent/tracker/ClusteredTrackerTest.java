package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;
import static io.boottorrent.tracker.TrackerHttp.compactPeers;
import static io.boottorrent.tracker.TrackerHttp.integer;
import static io.boottorrent.tracker.TrackerHttp.scrapeFile;
import static io.boottorrent.tracker.protocol.AnnounceQuery.escape;
import static io.boottorrent.tracker.protocol.AnnounceQuery.id;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tracker processes (two clustered Vert.x instances in this JVM) joined over Hazelcast by TCP on
 * 127.0.0.1 only: they share one swarm state.
 */
class ClusteredTrackerTest {
  private static final byte[] HASH = id(1);
  private static final int TTL_SECONDS = 3;

  @TempDir Path dir;
  private final List<Vertx> nodes = new ArrayList<>();
  private FakeCatalog catalog;

  @AfterEach
  void leaveCluster() {
    nodes.forEach(vertx -> await(vertx.close()));
  }

  /**
   * Starts a clustered node with the given Hazelcast port and a tracker on it; the first node also
   * plays the catalog (of HASH), which the second node's tracker hears over the cluster.
   */
  private TrackerHttp startNode(int hazelcastPort, JsonArray members, String clusterName) {
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("cluster")
        .put("enabled", true)
        .put("host", "127.0.0.1")
        .put("port", hazelcastPort)
        .put("members", members)
        .put("clusterName", clusterName);
    config.getJsonObject("tracker").put("peerTtlSeconds", TTL_SECONDS);
    Vertx vertx = await(ServerVertx.start(ClusterOptions.fromSection(config.getJsonObject("cluster"))));
    nodes.add(vertx);
    if (nodes.size() == 1) {
      catalog = FakeCatalog.serving(vertx, HASH);
    }
    TrackerVerticle tracker = new TrackerVerticle(TrackerOptions.fromSection(config.getJsonObject("tracker")));
    await(vertx.deployVerticle(tracker));
    await(tracker.catalogHeard());
    return new TrackerHttp(vertx, tracker.actualPort());
  }

  @Test
  @Timeout(value = 50, unit = TimeUnit.SECONDS)
  void aPeerAnnouncedToOneTrackerIsHandedOutByTheOtherUntilItExpires() throws InterruptedException {
    // GIVEN two clustered trackers, A and B (distinct Hazelcast ports, TCP member list, no multicast)
    int portA = Ports.freeTcp();
    int portB = Ports.freeTcp();
    JsonArray members = new JsonArray().add("127.0.0.1:" + portA).add("127.0.0.1:" + portB);
    // A cluster name of its own, so that no other test's Hazelcast member on this host can join in.
    String clusterName = "tracker-test-" + portA;
    TrackerHttp a = startNode(portA, members, clusterName);
    TrackerHttp b = startNode(portB, members, clusterName);
    assertThat(nodes.get(0).isClustered()).isTrue();

    // AND a listener for swarm stats on B's event bus
    BlockingQueue<SwarmStats> statsOnB = new LinkedBlockingQueue<>();
    MessageConsumer<SwarmStats> consumer =
        nodes.get(1).eventBus().consumer(Addresses.SWARM_STATS, message -> statsOnB.add(message.body()));
    await(consumer.completion());

    // WHEN a seed announces to A, and completes there
    a.announce(AnnounceQuery.of(HASH, id(10), 7000).left(0).event("completed").build());

    // THEN a leecher announcing to B is given that seed, and both are counted
    BDict answer = b.announce(AnnounceQuery.of(HASH, id(11), 6881).event("started").build());
    assertThat(compactPeers(answer)).containsExactly("127.0.0.1:7000");
    assertThat(integer(answer, "complete")).isEqualTo(1);
    assertThat(integer(answer, "incomplete")).isEqualTo(1);

    // AND B's scrape sees A's completed event
    assertThat(integer(scrapeFile(b.scrape("info_hash=" + escape(HASH)), HASH), "downloaded")).isEqualTo(1);

    // AND the stats A published reached B's event bus, through the protobuf codec
    SwarmStats fromA = statsOnB.poll(10, TimeUnit.SECONDS);
    assertThat(fromA).isNotNull();
    assertThat(fromA.getInfoHash()).isEqualTo(new InfoHash(HASH).hex());

    // WHEN a client on 127.0.0.3 re-uses the seed's peer id at B, then stops it there
    TrackerHttp hijacker = b.from("127.0.0.3");
    hijacker.announce(AnnounceQuery.of(HASH, id(10), 6666).event("started").build());
    assertThat(compactPeers(a.from("127.0.0.9").announce(AnnounceQuery.of(HASH, id(12), 6882).build())))
        .containsExactlyInAnyOrder("127.0.0.1:7000", "127.0.0.3:6666", "127.0.0.1:6881");
    hijacker.announce(AnnounceQuery.of(HASH, id(10), 7000).event("stopped").build());
    // THEN the cluster-wide map, keyed by peer id and address, still lists the seed for A
    assertThat(compactPeers(a.from("127.0.0.9").announce(AnnounceQuery.of(HASH, id(12), 6882).build())))
        .containsExactlyInAnyOrder("127.0.0.1:7000", "127.0.0.1:6881");

    // WHEN all stay silent past the TTL THEN the Hazelcast per-entry TTL empties the swarm on A too
    long deadline = System.currentTimeMillis() + 15_000;
    BDict file;
    do {
      Thread.sleep(500);
      file = scrapeFile(a.scrape("info_hash=" + escape(HASH)), HASH);
    } while (integer(file, "complete") + integer(file, "incomplete") > 0 && System.currentTimeMillis() < deadline);
    assertThat(integer(file, "complete")).isZero();
    assertThat(integer(file, "incomplete")).isZero();
    assertThat(integer(file, "downloaded")).isEqualTo(1);

    // WHEN the catalog removes the image and adds it again THEN its swarm was dropped cluster-wide,
    // the completed count with it
    catalog.remove("image-0");
    catalog.add("image-0", HASH);
    deadline = System.currentTimeMillis() + 10_000;
    BDict scrape;
    do {
      Thread.sleep(100);
      scrape = b.scrape("info_hash=" + escape(HASH));
    } while ((scrape.get("files").isEmpty() || integer(scrapeFile(scrape, HASH), "downloaded") > 0)
        && System.currentTimeMillis() < deadline);
    assertThat(integer(scrapeFile(scrape, HASH), "downloaded")).isZero();
  }
}
