package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;
import static io.boottorrent.tracker.TrackerHttp.compactPeers;
import static io.boottorrent.tracker.TrackerHttp.integer;
import static io.boottorrent.tracker.TrackerHttp.scrapeFile;
import static io.boottorrent.tracker.TrackerHttp.text;
import static io.boottorrent.tracker.protocol.AnnounceQuery.escape;
import static io.boottorrent.tracker.protocol.AnnounceQuery.id;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.InfoHash;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.BBytes;
import io.boottorrent.tracker.protocol.BDict;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running tracker against clients that lie: about the torrent (not a catalog image), about their
 * address ({@code ip=}, {@code X-Forwarded-For}) and about who they are (another peer's id). Every
 * client has a source address of its own on loopback (127.0.0.2, .3, …: Linux routes all of
 * 127.0.0.0/8 to lo), so no root is needed; 127.0.0.4 is the one trusted proxy. docs/SECURITY.md,
 * "Tracker", lists each attack with its result.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class HostileAnnouncerTest {
  private static final byte[] IMAGE = id(1);
  private static final byte[] NOT_AN_IMAGE = id(66);
  private static final byte[] VICTIM = id(10);
  private static final byte[] OBSERVER = id(11);
  private static final String PROXY = "127.0.0.4";

  @TempDir Path dir;

  private TrackerVerticle verticle;
  private TrackerHttp tracker;

  /** A tracker trusting only PROXY, after it heard {@code catalog} (null: no catalog running). */
  private TrackerHttp start(Vertx vertx, FakeCatalog catalog) {
    JsonObject section = TestConfig.loopback(dir).getJsonObject("tracker")
        .put("trustedProxies", new JsonArray().add(PROXY));
    verticle = new TrackerVerticle(TrackerOptions.fromSection(section));
    await(vertx.deployVerticle(verticle));
    if (catalog != null) {
      await(verticle.catalogHeard());
    }
    tracker = new TrackerHttp(vertx, verticle.actualPort());
    return tracker;
  }

  /** What a peer announcing from 127.0.0.9 is handed out: the swarm as others see it. */
  private java.util.List<String> swarmSeenByAnObserver() {
    return compactPeers(tracker.from("127.0.0.9").announce(AnnounceQuery.of(IMAGE, OBSERVER, 9999).numwant(50).build()));
  }

  @Test
  void refusesAnnouncesAndScrapesOfAHashThatIsNoCatalogImageNamingIt(Vertx vertx) {
    // GIVEN a tracker that heard a catalog of one image
    start(vertx, FakeCatalog.serving(vertx, IMAGE));
    String hex = new InfoHash(NOT_AN_IMAGE).hex();

    // WHEN a client announces another torrent (using the tracker for a swarm of its own)
    BDict answer = tracker.from("127.0.0.2").announce(AnnounceQuery.of(NOT_AN_IMAGE, VICTIM, 7000).event("started").build());

    // THEN it gets a bencoded failure naming the hash, and no peers, intervals or counts
    assertThat(answer.entries().keySet()).containsExactly(BBytes.of("failure reason"));
    assertThat(text(answer, "failure reason")).isEqualTo("info_hash " + hex + " is not a catalog image");

    // AND a scrape of it alone is refused the same way
    assertThat(text(tracker.scrape("info_hash=" + escape(NOT_AN_IMAGE)), "failure reason"))
        .isEqualTo("info_hash " + hex + " is not a catalog image");

    // AND a scrape of it along with the image reports the image only
    BDict scrape = tracker.scrape("info_hash=" + escape(NOT_AN_IMAGE) + "&info_hash=" + escape(IMAGE));
    assertThat(((BDict) scrape.get("files").orElseThrow()).entries().keySet()).containsExactly(new BBytes(IMAGE));
    assertThat(integer(scrapeFile(scrape, IMAGE), "complete")).isZero();
  }

  @Test
  void refusesEveryAnnounceUntilALateCatalogAnswersThenTracksItsImages(Vertx vertx) throws InterruptedException {
    // GIVEN a tracker started before any catalog
    start(vertx, null);

    // WHEN a client announces THEN it is told to come back after min interval, and nothing is tracked
    BDict early = tracker.announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).build());
    assertThat(text(early, "failure reason")).isEqualTo("tracker has not yet heard from the catalog; retry in 5 s");
    assertThat(integer(early, "interval")).isEqualTo(5);
    assertThat(integer(early, "min interval")).isEqualTo(5);
    assertThat(text(tracker.scrape("info_hash=" + escape(NOT_AN_IMAGE)), "failure reason"))
        .startsWith("tracker has not yet heard from the catalog");

    // WHEN the catalog comes up
    FakeCatalog.serving(vertx, IMAGE);

    // THEN the tracker's retry finds it: the image is tracked, other hashes are refused as such
    await(verticle.catalogHeard());
    assertThat(integer(tracker.announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).build()), "incomplete")).isEqualTo(1);
    assertThat(text(tracker.announce(AnnounceQuery.of(NOT_AN_IMAGE, VICTIM, 7000).build()), "failure reason"))
        .endsWith("is not a catalog image");
  }

  @Test
  void dropsTheSwarmOfAnImageThatLeavesTheCatalogAndTracksOneThatArrives(Vertx vertx) throws InterruptedException {
    // GIVEN a seed in the swarm of a catalog image
    FakeCatalog catalog = FakeCatalog.serving(vertx, IMAGE);
    start(vertx, catalog);
    tracker.from("127.0.0.2").announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).left(0).build());

    // WHEN the catalog removes the image THEN announcing it is refused and, re-added, its swarm starts empty
    catalog.remove("image-0");
    BDict refused = eventually(() -> tracker.announce(AnnounceQuery.of(IMAGE, OBSERVER, 9999).build()),
        answer -> answer.get("failure reason").isPresent());
    assertThat(text(refused, "failure reason")).endsWith("is not a catalog image");
    catalog.add("image-0", IMAGE);
    BDict back = eventually(() -> tracker.from("127.0.0.9").announce(AnnounceQuery.of(IMAGE, OBSERVER, 9999).build()),
        answer -> answer.get("failure reason").isEmpty());
    assertThat(compactPeers(back)).as("the removed image's seed is gone").isEmpty();
    assertThat(integer(back, "complete")).isZero();

    // AND a new image is tracked as soon as the catalog announces it
    catalog.add("fresh", NOT_AN_IMAGE);
    BDict fresh = eventually(() -> tracker.announce(AnnounceQuery.of(NOT_AN_IMAGE, OBSERVER, 9999).build()),
        answer -> answer.get("failure reason").isEmpty());
    assertThat(integer(fresh, "incomplete")).isEqualTo(1);
  }

  @Test
  void anAnnounceThatOutrunsTheAddedEventIsTrackedAfterTheTrackerAsksTheCatalogAgain(Vertx vertx) {
    // GIVEN an image the catalog has stored, whose catalog.image.added is still on its way to the tracker
    FakeCatalog catalog = FakeCatalog.serving(vertx, IMAGE);
    start(vertx, catalog);
    catalog.storeSilently("fresh", NOT_AN_IMAGE);
    // WHEN a seeder that heard of it first announces THEN it is tracked at once (the tracker asked the
    // catalog again), not refused into libtorrent's tracker backoff
    BDict first = tracker.announce(AnnounceQuery.of(NOT_AN_IMAGE, OBSERVER, 9999).build());
    assertThat(first.get("failure reason")).isEmpty();
    assertThat(integer(first, "incomplete")).isEqualTo(1);
  }

  @Test
  void aClientThatSpoofsIpOrForwardedForIsListedUnderItsSourceAddress(Vertx vertx) {
    // GIVEN a tracker that trusts only the proxy 127.0.0.4
    start(vertx, FakeCatalog.serving(vertx, IMAGE));

    // WHEN a client on 127.0.0.2 claims to be 10.9.9.9 (ip=) and 10.8.8.8 (X-Forwarded-For),
    // e.g. to point the whole swarm at a victim's address
    BDict answer = tracker.from("127.0.0.2").announce(
        AnnounceQuery.of(IMAGE, VICTIM, 7000).left(0).ip("10.9.9.9").build(), "X-Forwarded-For", "10.8.8.8");

    // THEN the announce is answered, but the peer is listed at the address it came from
    assertThat(answer.get("failure reason")).isEmpty();
    assertThat(swarmSeenByAnObserver()).containsExactly("127.0.0.2:7000");
  }

  @Test
  void aTrustedProxyNamesThePeerByXForwardedForElseByIp(Vertx vertx) {
    start(vertx, FakeCatalog.serving(vertx, IMAGE));
    TrackerHttp proxy = tracker.from(PROXY);

    // WHEN the trusted proxy relays an announce with ip= THEN the peer is listed there
    proxy.announce(AnnounceQuery.of(IMAGE, id(20), 7020).left(0).ip("10.20.30.40").build());
    // AND WHEN it relays one with X-Forwarded-For (a client-written entry, then its own) and the
    // client's own ip= THEN the proxy's entry wins over both
    proxy.announce(AnnounceQuery.of(IMAGE, id(21), 7021).left(0).ip("6.6.6.6").build(),
        "X-Forwarded-For", "6.6.6.6, 10.1.1.1");

    assertThat(swarmSeenByAnObserver()).containsExactlyInAnyOrder("10.20.30.40:7020", "10.1.1.1:7021");

    // AND a trusted proxy's garbage entry is refused naming it, not listed
    assertThat(text(proxy.announce(AnnounceQuery.of(IMAGE, id(22), 7022).build(), "X-Forwarded-For", "client.lan"),
        "failure reason")).isEqualTo("X-Forwarded-For from a trusted proxy holds \"client.lan\", not an IP address literal");
  }

  @Test
  void aSecondClientReusingAPeerIdCanNeitherReplaceNorStopTheFirst(Vertx vertx) {
    // GIVEN a victim seeding from 127.0.0.2:7000
    start(vertx, FakeCatalog.serving(vertx, IMAGE));
    TrackerHttp victim = tracker.from("127.0.0.2");
    TrackerHttp hijacker = tracker.from("127.0.0.3");
    victim.announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).left(0).event("started").build());

    // WHEN a client on 127.0.0.3 announces the victim's peer id (as a leecher on another port),
    // which keyed by peer id alone would move the victim's entry to the hijacker's address
    BDict replaced = hijacker.announce(AnnounceQuery.of(IMAGE, VICTIM, 6666).event("started").build());

    // THEN it gets an entry of its own: the victim is still listed where it is, as a seed
    assertThat(replaced.get("failure reason")).isEmpty();
    assertThat(swarmSeenByAnObserver()).containsExactlyInAnyOrder("127.0.0.2:7000", "127.0.0.3:6666");
    assertThat(integer(replaced, "complete")).isEqualTo(1);

    // WHEN the hijacker sends event=stopped for that peer id, from its address and port, and with the victim's port
    hijacker.announce(AnnounceQuery.of(IMAGE, VICTIM, 6666).event("stopped").build());
    hijacker.announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).left(0).event("stopped").build());

    // THEN only its own entry is gone: the victim stays in the peer list
    assertThat(swarmSeenByAnObserver()).containsExactly("127.0.0.2:7000");

    // AND the victim's own stop still works
    victim.announce(AnnounceQuery.of(IMAGE, VICTIM, 7000).left(0).event("stopped").build());
    assertThat(swarmSeenByAnObserver()).isEmpty();
  }

  /** Polls {@code request} until its answer passes {@code done} (an event on the bus is not instantaneous). */
  private static BDict eventually(java.util.function.Supplier<BDict> request, Predicate<BDict> done) {
    long deadline = System.currentTimeMillis() + 10_000;
    BDict answer = request.get();
    while (!done.test(answer) && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      answer = request.get();
    }
    assertThat(done.test(answer)).as("last answer: %s", answer).isTrue();
    return answer;
  }
}
