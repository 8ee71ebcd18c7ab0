package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.PeerSource;
import io.boottorrent.proto.TorrentStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.swig.settings_pack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two or three real libtorrent sessions on 127.0.0.1 talking to each other (no tracker: peers are
 * connected directly) and to a Vert.x web seed.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SwarmSessionTest {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmSessionTest.class);
  private static final int MIB = 1024 * 1024;
  /** Not a multiple of the block size: exercises the short last block of the last piece. */
  private static final int KERNEL_SIZE = 100_003;

  @TempDir static Path shared;
  static Vertx vertx;
  /** <shared>/seed/big/{disk.img (32 MiB), vmlinuz}: what the seeding session shares. */
  static Path seedRoot;
  static TorrentFactory.Created big;

  @TempDir Path dir;
  private final List<SwarmSession> sessions = new ArrayList<>();

  @BeforeAll
  static void createPayload() throws IOException {
    vertx = Vertx.vertx();
    seedRoot = shared.resolve("seed");
    Path image = Files.createDirectories(seedRoot.resolve("big"));
    Files.write(image.resolve("disk.img"), random(32 * MIB, 1));
    Files.write(image.resolve("vmlinuz"), random(KERNEL_SIZE, 2));
    big = TorrentFactory.create(image, List.of(), List.of(), 0);
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @AfterEach
  void closeSessions() {
    await(Future.all(sessions.stream().map(SwarmSession::close).toList()));
  }

  @Test
  void peerDownloads32MiBFromSeedingSessionOnLoopbackAndCountsItsBytes() throws IOException {
    // GIVEN a session seeding the 32 MiB image from its files, and an empty second session
    SwarmSession seeder = start("seeder");
    await(seeder.add(big.torrent(), seedRoot));
    await(seeder.finished(big.infoHash()));
    SwarmSession peer = start("peer");
    Path target = dir.resolve("peer");
    String hash = await(peer.add(big.torrent(), target));

    // WHEN the peer connects to the seeder directly
    long started = System.nanoTime();
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    await(peer.finished(hash));
    double seconds = (System.nanoTime() - started) / 1e9;
    LOG.info("MEASURED: 32 MiB + {} B over loopback in {} s = {} MiB/s", KERNEL_SIZE,
        String.format("%.2f", seconds), String.format("%.1f", big.totalSize() / seconds / MIB));

    // THEN the files are identical, every byte came from the seeder's listen endpoint
    assertThat(hash).isEqualTo(big.infoHash());
    assertSameFiles(seedRoot.resolve("big"), target.resolve("big"));
    Map<PeerSource, Long> from = await(peer.bytesFromPeers(hash));
    PeerSource seederEndpoint = new PeerSource.Peer("127.0.0.1", seeder.listenPort());
    assertThat(from).containsOnlyKeys(seederEndpoint);
    assertThat(from.get(seederEndpoint)).isEqualTo(big.totalSize());
    // AND both report sane status
    TorrentStatus mine = await(peer.status(hash));
    assertThat(mine.getName()).isEqualTo("big");
    assertThat(mine.getInfoHash()).isEqualTo(hash);
    assertThat(mine.getState()).isEqualTo("seeding");
    assertThat(mine.getProgress()).isEqualTo(1.0);
    assertThat(mine.getTotalDownloaded()).isGreaterThanOrEqualTo(big.totalSize());
    assertThat(mine.getError()).isEmpty();
    TorrentStatus theirs = await(seeder.status(hash));
    assertThat(theirs.getState()).isEqualTo("seeding");
    assertThat(theirs.getTotalUploaded()).isGreaterThanOrEqualTo(big.totalSize());
    assertThat(theirs.getTotalDownloaded()).isZero();
    assertThat(await(seeder.bytesFromPeers(hash))).isEmpty();
    assertThat(await(peer.statusAll())).extracting(TorrentStatus::getInfoHash).containsExactly(hash);
  }

  @Test
  void aPieceStripeIsAskedForFirst() throws Exception {
    // GIVEN a 1 MiB image (64 pieces of 16 KiB) seeded at 256 KiB/s
    Path root = Files.createDirectories(dir.resolve("striped"));
    Path image = Files.createDirectories(root.resolve("two"));
    Files.write(image.resolve("disk.img"), random(MIB, 8));
    TorrentFactory.Created two = TorrentFactory.create(image, List.of(), List.of(), 0);
    assertThat(two.pieces()).isEqualTo(64);
    SwarmSession seeder = start("stripe-seeder");
    await(seeder.add(two.torrent(), root, new SwarmSession.AddOptions(256 * 1024, true)));
    await(seeder.finished(two.infoHash()));

    // WHEN a peer that takes stripe 1 of 4 (pieces 16..31) has fetched 8 pieces
    SwarmSession peer = start("stripe-peer");
    await(peer.add(two.torrent(), dir.resolve("peer"), new SwarmSession.AddOptions(0, true, new PieceStripe(1, 4))));
    await(peer.connectPeer(two.infoHash(), "127.0.0.1", seeder.listenPort()));
    BitSet have = new BitSet();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (have.cardinality() < 8 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      have = await(peer.havePieces(two.infoHash()));
    }

    // THEN they are all from its stripe (rarest first would put three in four elsewhere)
    assertThat(have.cardinality()).isGreaterThanOrEqualTo(8);
    assertThat(have.stream().filter(p -> p < 16 || p > 31).boxed().toList()).as("pieces outside 16..31").isEmpty();
    // AND it still gets every piece
    await(peer.finished(two.infoHash()));
    assertThat(await(peer.havePieces(two.infoHash())).cardinality()).isEqualTo(64);
  }

  @Test
  void perTorrentUploadCapHoldsForLoopbackPeers() throws IOException {
    // GIVEN an 8 MiB image seeded with a 2 MiB/s cap on that torrent
    long cap = 2L * MIB;
    Path root = Files.createDirectories(dir.resolve("capped"));
    Path image = Files.createDirectories(root.resolve("eight"));
    Files.write(image.resolve("disk.img"), random(8 * MIB, 3));
    TorrentFactory.Created eight = TorrentFactory.create(image, List.of(), List.of(), 0);
    SwarmSession seeder = start("capped-seeder");
    await(seeder.add(eight.torrent(), root, new SwarmSession.AddOptions(cap, true)));
    await(seeder.finished(eight.infoHash()));
    SwarmSession peer = start("capped-peer");
    await(peer.add(eight.torrent(), dir.resolve("peer")));

    // WHEN a peer on 127.0.0.1 downloads it
    long started = System.nanoTime();
    await(peer.connectPeer(eight.infoHash(), "127.0.0.1", seeder.listenPort()));
    await(peer.finished(eight.infoHash()));
    double seconds = (System.nanoTime() - started) / 1e9;
    double rate = eight.totalSize() / seconds;
    LOG.info("MEASURED: 8 MiB under a 2 MiB/s per-torrent cap in {} s = {} MiB/s",
        String.format("%.2f", seconds), String.format("%.2f", rate / MIB));

    // THEN it takes about 4 s (the first second's quota may burst), not the fraction of a second
    // loopback needs uncapped; and it does complete
    assertThat(seconds).isGreaterThanOrEqualTo(3.0);
    assertThat(rate).isLessThanOrEqualTo(cap * 1.05);
    assertSameFiles(image, dir.resolve("peer").resolve("eight"));
  }

  @Test
  void sessionWideDownloadLimitHoldsForLoopbackPeers() throws IOException {
    // GIVEN a seeder without limits and a peer whose whole session may download 2 MiB/s
    Path root = Files.createDirectories(dir.resolve("limited"));
    Path image = Files.createDirectories(root.resolve("six"));
    Files.write(image.resolve("disk.img"), random(6 * MIB, 4));
    TorrentFactory.Created six = TorrentFactory.create(image, List.of(), List.of(), 0);
    SwarmSession seeder = start("fast-seeder");
    await(seeder.add(six.torrent(), root));
    await(seeder.finished(six.infoHash()));
    SwarmSession peer = track(await(SwarmSession.start(vertx,
        new SwarmSession.Options("127.0.0.1", 0, false, 0, 2L * MIB, "slow-peer"))));
    await(peer.add(six.torrent(), dir.resolve("peer")));

    // WHEN it downloads 6 MiB from 127.0.0.1
    long started = System.nanoTime();
    await(peer.connectPeer(six.infoHash(), "127.0.0.1", seeder.listenPort()));
    await(peer.finished(six.infoHash()));
    double seconds = (System.nanoTime() - started) / 1e9;
    LOG.info("MEASURED: 6 MiB under a 2 MiB/s session download limit in {} s", String.format("%.2f", seconds));

    // THEN the limit holds although the peer is local (about 3 s; 2 s at the very least)
    assertThat(seconds).isGreaterThanOrEqualTo(2.0);
  }

  @Test
  void downloadsFromWebSeedAloneAndCountsItUnderItsUrl() throws IOException {
    // GIVEN a web seed serving <seedRoot>/<name>/<file> at /seed/ and a torrent that names it
    HttpServer http = webSeed(seedRoot);
    String url = "http://127.0.0.1:" + http.actualPort() + "/seed/";
    Path small = Files.createDirectories(seedRoot.resolve("small"));
    Files.write(small.resolve("initrd"), random(3 * MIB + 12_345, 5));
    Files.write(small.resolve("vmlinuz"), random(KERNEL_SIZE, 6));
    TorrentFactory.Created torrent = TorrentFactory.create(small, List.of(), List.of(url), 0);
    SwarmSession peer = start("web-peer");

    try {
      // WHEN a session with no BitTorrent peer at all adds it
      String hash = await(peer.add(torrent.torrent(), dir.resolve("peer")));
      await(peer.finished(hash));

      // THEN every byte came from the web seed, counted under its URL
      assertSameFiles(small, dir.resolve("peer").resolve("small"));
      assertThat(await(peer.bytesFromPeers(hash)))
          .containsExactly(Map.entry(new PeerSource.WebSeed(url), torrent.totalSize()));
    } finally {
      await(http.close());
    }
  }

  @Test
  void webSeedsHeldBackUntilAddedAsFallback() throws Exception {
    // GIVEN a torrent with a web seed, added with webSeeds=false
    HttpServer http = webSeed(seedRoot);
    String url = "http://127.0.0.1:" + http.actualPort() + "/seed/";
    Path small = Files.createDirectories(seedRoot.resolve("fallback"));
    Files.write(small.resolve("initrd"), random(MIB, 7));
    TorrentFactory.Created torrent = TorrentFactory.create(small, List.of(), List.of(url), 0);
    SwarmSession peer = start("fallback-peer");
    try {
      String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"), new SwarmSession.AddOptions(0, false)));

      // WHEN nothing else happens for a while, THEN nothing is downloaded
      Thread.sleep(1500);
      TorrentStatus waiting = await(peer.status(hash));
      assertThat(waiting.getState()).isEqualTo("downloading");
      assertThat(waiting.getTotalDownloaded()).isZero();
      assertThat(await(peer.bytesFromPeers(hash))).isEmpty();

      // WHEN the caller adds the web seed as a fallback, THEN the download completes from it
      await(peer.addWebSeed(hash, url));
      await(peer.finished(hash));
      assertSameFiles(small, dir.resolve("peer").resolve("fallback"));
      assertThat(await(peer.bytesFromPeers(hash))).containsOnlyKeys(new PeerSource.WebSeed(url));
    } finally {
      await(http.close());
    }
  }

  @Test
  void removeKeepsOrDeletesFilesAndFailsPendingFinished() throws IOException {
    // GIVEN a torrent seeded from files that must survive, and one that never finds a peer
    Path root = Files.createDirectories(dir.resolve("keep"));
    Path image = Files.createDirectories(root.resolve("img"));
    Files.write(image.resolve("a.bin"), random(200_000, 8));
    TorrentFactory.Created kept = TorrentFactory.create(image, List.of(), List.of(), 0);
    SwarmSession session = start("remover");
    await(session.add(kept.torrent(), root));
    await(session.finished(kept.infoHash()));
    Path other = dir.resolve("lonely");
    await(session.add(big.torrent(), other));
    Future<Void> neverFinished = session.finished(big.infoHash());

    // WHEN the first is removed keeping files, the second deleting them
    await(session.remove(kept.infoHash(), false));
    await(session.remove(big.infoHash(), true));

    // THEN the kept files are intact, the other's are gone, and nothing is left in the session
    assertSameFiles(image, root.resolve("img"));
    assertThat(other.resolve("big")).doesNotExist();
    assertThatThrownBy(() -> await(neverFinished)).hasMessageContaining("removed");
    assertThatThrownBy(() -> await(session.status(kept.infoHash()))).hasMessageContaining("no torrent");
    assertThat(await(session.statusAll())).isEmpty();
  }

  @Test
  void finishedFailsAndStatusSaysErrorWhenTheDownloadCannotBeStored() throws IOException {
    // GIVEN a seeder, and a peer whose save path is a file where a folder should be
    SwarmSession seeder = start("seeder");
    await(seeder.add(big.torrent(), seedRoot));
    await(seeder.finished(big.infoHash()));
    Path notAFolder = Files.write(dir.resolve("not-a-folder"), new byte[] {1});
    SwarmSession peer = start("broken-peer");
    String hash = await(peer.add(big.torrent(), notAFolder));
    Future<Void> finished = peer.finished(hash);

    // WHEN it gets data to write
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));

    // THEN finished() fails and the status carries the error
    assertThatThrownBy(() -> await(finished)).hasMessageContaining("failed");
    TorrentStatus status = await(peer.status(hash));
    assertThat(status.getState()).isEqualTo("error");
    assertThat(status.getError()).isNotEmpty();
  }

  @Test
  void addingTheSameTorrentTwiceIsHarmlessAndGarbageIsRefused() {
    SwarmSession session = start("twice");
    String first = await(session.add(big.torrent(), seedRoot));
    String second = await(session.add(big.torrent(), seedRoot));
    assertThat(second).isEqualTo(first);
    assertThat(session.infoHashes()).containsExactly(first);
    assertThatThrownBy(() -> await(session.add(new byte[] {'x'}, seedRoot))).hasMessageContaining("torrent");
  }

  @Test
  void closeFailsPendingFinishedAndRefusesFurtherCalls() {
    // GIVEN a download that cannot progress (no peer)
    SwarmSession session = start("closing");
    String hash = await(session.add(big.torrent(), dir.resolve("nowhere")));
    Future<Void> finished = session.finished(hash);

    // WHEN the session closes
    await(session.close());

    // THEN the waiter learns it, and the session refuses work
    assertThatThrownBy(() -> await(finished)).hasMessageContaining("closed");
    assertThatThrownBy(() -> await(session.add(big.torrent(), seedRoot))).hasMessageContaining("closed");
    await(session.close()); // idempotent
  }

  @Test
  void requestQueueOptionsReachTheLibtorrentSessionAndZeroKeepsLibtorrentsDefaults() {
    // GIVEN one session with both request queues set and one with neither
    SwarmSession tuned = track(await(SwarmSession.start(vertx,
        SwarmSession.Options.loopback("tuned").withRequestQueues(8, 1))));
    SwarmSession plain = start("plain");

    // THEN libtorrent itself reports the configured values for the first ...
    assertThat(await(tuned.intSetting(settings_pack.int_types.max_allowed_in_request_queue))).isEqualTo(8);
    assertThat(await(tuned.intSetting(settings_pack.int_types.request_queue_time))).isEqualTo(1);
    // ... and its own defaults (2000 requests, 3 s) for the second
    assertThat(await(plain.intSetting(settings_pack.int_types.max_allowed_in_request_queue))).isEqualTo(2000);
    assertThat(await(plain.intSetting(settings_pack.int_types.request_queue_time))).isEqualTo(3);
    // AND each setting is independent of the other
    SwarmSession seederLike = track(await(SwarmSession.start(vertx,
        SwarmSession.Options.loopback("seeder-like").withRequestQueues(16, 0))));
    assertThat(await(seederLike.intSetting(settings_pack.int_types.max_allowed_in_request_queue))).isEqualTo(16);
    assertThat(await(seederLike.intSetting(settings_pack.int_types.request_queue_time))).isEqualTo(3);
  }

  @Test
  void negativeRequestQueueOptionsAreRefused() {
    assertThatThrownBy(() -> SwarmSession.Options.loopback("x").withRequestQueues(-1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRequestsPerPeer must be >= 0");
    assertThatThrownBy(() -> SwarmSession.Options.loopback("x").withRequestQueues(0, -2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestQueueSeconds must be >= 0");
  }

  // ------------------------------------------------------------------ helpers

  private SwarmSession start(String name) {
    return track(await(SwarmSession.start(vertx, SwarmSession.Options.loopback(name))));
  }

  private SwarmSession track(SwarmSession session) {
    sessions.add(session);
    assertThat(session.listenPort()).isPositive();
    return session;
  }

  private static HttpServer webSeed(Path root) {
    Router router = Router.router(vertx);
    router.route("/seed/*").handler(StaticHandler.create(FileSystemAccess.ROOT, root.toString())
        .setCachingEnabled(false));
    return await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  static void assertSameFiles(Path expected, Path actual) throws IOException {
    try (var files = Files.walk(expected)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path copy = actual.resolve(expected.relativize(file).toString());
        assertThat(copy).exists();
        assertThat(Files.mismatch(file, copy)).as("first differing byte of %s", copy).isEqualTo(-1L);
      }
    }
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }
}
