package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;
import static io.boottorrent.tracker.TrackerHttp.compactPeers;
import static io.boottorrent.tracker.TrackerHttp.integer;
import static io.boottorrent.tracker.TrackerHttp.scrapeFile;
import static io.boottorrent.tracker.TrackerHttp.text;
import static io.boottorrent.tracker.protocol.AnnounceQuery.escape;
import static io.boottorrent.tracker.protocol.AnnounceQuery.id;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.BBytes;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.tracker.protocol.BList;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class TrackerVerticleTest {
  private static final byte[] HASH = id(1);
  private static final byte[] SEED = id(10);
  private static final byte[] LEECHER = id(11);
  /** Catalog images besides HASH, for the scrape of several swarms. */
  private static final byte[] SECOND = id(2);
  private static final byte[] THIRD = id(3);

  @TempDir Path dir;

  private TrackerHttp deploy(Vertx vertx, JsonObject trackerOverrides) {
    return deploy(vertx, new TrackerVerticle(options(trackerOverrides)));
  }

  /** The loopback test config's tracker section with {@code overrides}. */
  private TrackerOptions options(JsonObject overrides) {
    return TrackerOptions.fromSection(TestConfig.loopback(dir).getJsonObject("tracker").mergeIn(overrides));
  }

  /** Deploys {@code verticle} next to a catalog of HASH, SECOND and THIRD, and waits until it heard it. */
  private TrackerHttp deploy(Vertx vertx, TrackerVerticle verticle) {
    FakeCatalog.serving(vertx, HASH, SECOND, THIRD);
    await(vertx.deployVerticle(verticle));
    await(verticle.catalogHeard());
    assertThat(verticle.actualPort()).isPositive();
    return new TrackerHttp(vertx, verticle.actualPort());
  }

  @Test
  void answersAFirstStartedAnnounceWithIntervalsCountsAndNoPeers(Vertx vertx) {
    // GIVEN a tracker asking for 45 s announces, at least 15 s apart
    TrackerHttp tracker = deploy(vertx, new JsonObject().put("interval", 45).put("minInterval", 15));

    // WHEN the first leecher of a swarm starts
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).event("started").build());

    // THEN it gets the intervals, counts itself as the one leecher, and an empty compact peer list
    assertThat(integer(answer, "interval")).isEqualTo(45);
    assertThat(integer(answer, "min interval")).isEqualTo(15);
    assertThat(integer(answer, "complete")).isZero();
    assertThat(integer(answer, "incomplete")).isEqualTo(1);
    assertThat(compactPeers(answer)).isEmpty();
    assertThat(answer.get("failure reason")).isEmpty();
  }

  @Test
  void givesALeecherTheSeedAsACompactPeerButNotItself(Vertx vertx) {
    // GIVEN a seed listening on 7000 in the swarm
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).event("started").build());

    // WHEN a leecher on 6881 starts
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).event("started").build());

    // THEN it gets exactly the seed (6 bytes: 127.0.0.1, port 7000) and the counts of both
    assertThat(compactPeers(answer)).containsExactly("127.0.0.1:7000");
    assertThat(integer(answer, "complete")).isEqualTo(1);
    assertThat(integer(answer, "incomplete")).isEqualTo(1);
  }

  @Test
  void severalEventLoopsAnswerOnOnePortFromOneSwarm(Vertx vertx) {
    // GIVEN a tracker on three event loops (tracker.eventLoops)
    TrackerHttp tracker = deploy(vertx, new JsonObject().put("eventLoops", 3));

    // WHEN six leechers start, each on a connection of its own (Vert.x spreads connections over the loops)
    for (int i = 0; i < 6; i++) {
      tracker.announce(AnnounceQuery.of(HASH, id(100 + i), 7000 + i).event("started").build(), "Connection", "close");
    }

    // THEN the seventh, on yet another connection, is handed all six and counts the whole swarm
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, id(200), 7100).event("started").build(),
        "Connection", "close");
    assertThat(compactPeers(answer)).hasSize(6);
    assertThat(integer(answer, "incomplete")).isEqualTo(7);
  }

  @Test
  void listsAPeerUnderItsSourceAddressWhateverItsIpParameterSays(Vertx vertx) {
    // GIVEN a tracker that trusts no proxy (the default), and a seed claiming to be 10.20.30.40
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).ip("10.20.30.40").build());

    // WHEN a leecher asks THEN it is told the address the seed's request came from
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build());
    assertThat(compactPeers(answer)).containsExactly("127.0.0.1:7000");
  }

  @Test
  void listsAPeerUnderTheIpParameterATrustedProxySends(Vertx vertx) {
    // GIVEN a tracker behind a proxy on 127.0.0.1 that rewrites announces with the client's address
    TrackerHttp tracker = deploy(vertx, new JsonObject().put("trustedProxies", new JsonArray().add("127.0.0.0/8")));
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).ip("10.20.30.40").build());

    // WHEN a leecher asks THEN it is told that address, not the proxy's
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build());
    assertThat(compactPeers(answer)).containsExactly("10.20.30.40:7000");
  }

  @Test
  void answersInDictionaryFormWithOrWithoutPeerIdsWhenCompactIsOff(Vertx vertx) {
    // GIVEN a seed in the swarm
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).build());

    // WHEN a leecher asks with compact=0
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).compact(0).build());

    // THEN peers is a list of {ip, peer id, port} dictionaries (BEP 3)
    List<?> peers = ((BList) answer.get("peers").orElseThrow()).items();
    assertThat(peers).hasSize(1);
    BDict peer = (BDict) peers.get(0);
    assertThat(text(peer, "ip")).isEqualTo("127.0.0.1");
    assertThat(integer(peer, "port")).isEqualTo(7000);
    assertThat(peer.get("peer id")).contains(new BBytes(SEED));

    // AND with no_peer_id=1 the ids are left out
    BDict withoutIds = tracker.announce(
        AnnounceQuery.of(HASH, LEECHER, 6881).compact(0).raw("no_peer_id", "1").build());
    BDict bare = (BDict) ((BList) withoutIds.get("peers").orElseThrow()).items().get(0);
    assertThat(bare.get("peer id")).isEmpty();
    assertThat(integer(bare, "port")).isEqualTo(7000);
  }

  @Test
  void honoursNumwantAndClampsItToMaxNumwant(Vertx vertx) {
    // GIVEN a tracker returning at most 4 peers, and 6 leechers in the swarm
    TrackerHttp tracker = deploy(vertx, new JsonObject().put("maxNumwant", 4).put("defaultNumwant", 3));
    for (int i = 0; i < 6; i++) {
      tracker.announce(AnnounceQuery.of(HASH, id(100 + i), 7000 + i).build());
    }

    // WHEN a newcomer asks for 2, for 100 and for nothing in particular
    // THEN it gets 2, then the maximum 4, then the default 3 distinct other peers
    assertThat(compactPeers(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).numwant(2).build())))
        .hasSize(2).doesNotHaveDuplicates().doesNotContain("127.0.0.1:6881");
    assertThat(compactPeers(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).numwant(100).build())))
        .hasSize(4).doesNotHaveDuplicates();
    assertThat(compactPeers(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build())))
        .hasSize(3).doesNotHaveDuplicates();
  }

  @Test
  void countsCompletedDownloadsAndForgetsStoppedPeers(Vertx vertx) {
    // GIVEN two leechers that started
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).event("started").build());
    tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).event("started").build());

    // WHEN the first completes
    BDict completed = tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).event("completed").build());

    // THEN it counts as a seed and scrape reports one completed download
    assertThat(integer(completed, "complete")).isEqualTo(1);
    assertThat(integer(completed, "incomplete")).isEqualTo(1);
    BDict file = scrapeFile(tracker.scrape("info_hash=" + escape(HASH)), HASH);
    assertThat(integer(file, "downloaded")).isEqualTo(1);

    // WHEN the leecher stops
    BDict stopped = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).event("stopped").numwant(0).build());

    // THEN it is answered without peers and is gone from the swarm; the completed count stays
    assertThat(compactPeers(stopped)).isEmpty();
    assertThat(integer(stopped, "incomplete")).isZero();
    BDict after = scrapeFile(tracker.scrape("info_hash=" + escape(HASH)), HASH);
    assertThat(integer(after, "complete")).isEqualTo(1);
    assertThat(integer(after, "incomplete")).isZero();
    assertThat(integer(after, "downloaded")).isEqualTo(1);
  }

  @Test
  void dropsPeersThatStopAnnouncingForLongerThanTheTtl(Vertx vertx) throws InterruptedException {
    // GIVEN a 1-second peer TTL and a seed that announced once
    TrackerHttp tracker = deploy(vertx, new JsonObject().put("peerTtlSeconds", 1));
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).build());
    assertThat(compactPeers(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build())))
        .containsExactly("127.0.0.1:7000");

    // WHEN more than the TTL passes in silence
    Thread.sleep(1_300);

    // THEN the seed is no longer handed out nor counted
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, id(12), 6882).build());
    assertThat(compactPeers(answer)).isEmpty();
    assertThat(integer(answer, "complete")).isZero();
    assertThat(integer(answer, "incomplete")).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/announce | missing info_hash",
      "/announce?info_hash=tooshort&peer_id=-XX0001-123456789012&port=1&uploaded=0&downloaded=0&left=0"
          + " | info_hash must be 20 bytes, got 8",
      "/announce?info_hash=%zz | info_hash: bad percent escape",
      "/scrape | missing info_hash (full scrape is not supported)",
      "/scrape?info_hash=%41 | info_hash must be 20 bytes, got 1"})
  void answersMalformedRequestsWithABencodedFailureReasonAndStatus200(String uri, String reason, Vertx vertx) {
    // GIVEN a running tracker WHEN a malformed request arrives THEN 200 with a bencoded failure reason
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    BDict answer = tracker.bencoded(uri);
    assertThat(text(answer, "failure reason")).isEqualTo(reason);
    assertThat(answer.entries()).hasSize(1);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({"port, 0", "port, 65536", "left, -1", "numwant, -3", "event, begun", "ip, tracker.example.org"})
  void refusesAnnouncesWithOneBadValue(String name, String value, Vertx vertx) {
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    BDict answer = tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).raw(name, value).build());
    assertThat(text(answer, "failure reason")).startsWith(name.equals("event") ? "unknown event" : name);
  }

  @Test
  void scrapesSeveralSwarmsInOneRequest(Vertx vertx) {
    // GIVEN a swarm with a seed and a leecher, one with a leecher, and an image nobody announced
    byte[] second = SECOND;
    byte[] unknown = THIRD;
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).build());
    tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build());
    tracker.announce(AnnounceQuery.of(second, LEECHER, 6881).build());

    // WHEN all three are scraped at once (BEP 48: info_hash repeated)
    BDict scrape = tracker.scrape("info_hash=" + escape(HASH) + "&info_hash=" + escape(second)
        + "&info_hash=" + escape(unknown));

    // THEN each is reported under its raw 20-byte hash
    assertThat(((BDict) scrape.get("files").orElseThrow()).entries()).hasSize(3);
    BDict first = scrapeFile(scrape, HASH);
    assertThat(integer(first, "complete")).isEqualTo(1);
    assertThat(integer(first, "incomplete")).isEqualTo(1);
    assertThat(integer(scrapeFile(scrape, second), "incomplete")).isEqualTo(1);
    BDict none = scrapeFile(scrape, unknown);
    assertThat(integer(none, "complete")).isZero();
    assertThat(integer(none, "incomplete")).isZero();
    assertThat(integer(none, "downloaded")).isZero();
  }

  @Test
  void publishesSwarmStatsWhenTheCountsChange(Vertx vertx) throws InterruptedException {
    // GIVEN a listener on tracker.swarm.stats
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    BlockingQueue<SwarmStats> received = new LinkedBlockingQueue<>();
    MessageConsumer<SwarmStats> consumer =
        vertx.eventBus().consumer(Addresses.SWARM_STATS, message -> received.add(message.body()));
    await(consumer.completion());

    // WHEN a seed joins a swarm
    tracker.announce(AnnounceQuery.of(HASH, SEED, 7000).left(0).event("started").build());

    // THEN its counts are published with the hex info-hash
    SwarmStats stats = received.poll(5, TimeUnit.SECONDS);
    assertThat(stats).isNotNull();
    assertThat(stats.getInfoHash()).isEqualTo(new InfoHash(HASH).hex());
    assertThat(stats.getComplete()).isEqualTo(1);
    assertThat(stats.getIncomplete()).isZero();
  }

  @Test
  void turnsUnexpectedFailuresIntoABencodedFailureReason(Vertx vertx) {
    // GIVEN a store that throws on writes and fails its reads
    SwarmStore broken = new SwarmStore() {
      @Override
      public Future<Void> put(InfoHash infoHash, PeerEntry peer) {
        throw new IllegalStateException("disk on fire");
      }

      @Override
      public Future<Void> remove(InfoHash infoHash, PeerKey peer) {
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> recordCompleted(InfoHash infoHash) {
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> drop(InfoHash infoHash) {
        return Future.succeededFuture();
      }

      @Override
      public Future<SwarmSnapshot> snapshot(InfoHash infoHash) {
        return Future.failedFuture(new IllegalStateException("cluster gone"));
      }
    };
    TrackerHttp tracker = deploy(vertx, new TrackerVerticle(options(new JsonObject()), broken));

    // WHEN an announce hits the throwing write, a stop and a scrape hit the failing read
    // THEN each gets 200 with a generic bencoded failure, and the server keeps serving
    assertThat(text(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).build()), "failure reason"))
        .isEqualTo("internal tracker error");
    assertThat(text(tracker.announce(AnnounceQuery.of(HASH, LEECHER, 6881).event("stopped").build()),
        "failure reason")).isEqualTo("internal tracker error");
    assertThat(text(tracker.scrape("info_hash=" + escape(HASH)), "failure reason"))
        .isEqualTo("internal tracker error");
  }

  @Test
  void answersOtherPathsWith404(Vertx vertx) {
    TrackerHttp tracker = deploy(vertx, new JsonObject());
    assertThat(tracker.get("/").statusCode()).isEqualTo(404);
  }
}
