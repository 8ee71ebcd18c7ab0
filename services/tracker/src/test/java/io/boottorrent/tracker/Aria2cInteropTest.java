package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;
import static io.boottorrent.tracker.TrackerHttp.integer;
import static io.boottorrent.tracker.TrackerHttp.scrapeFile;
import static io.boottorrent.tracker.protocol.AnnounceQuery.escape;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.core.InfoHash;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.tracker.protocol.Bencode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real BitTorrent client against our tracker: an aria2c seeder and an aria2c leecher that find each
 * other only through it (skipped through {@link Gate} without aria2c). Everything stays on 127.0.0.1:
 * DHT, local peer discovery and peer exchange are off, and the torrent names no tracker but ours.
 */
@ExtendWith(VertxExtension.class)
class Aria2cInteropTest {
  private static final int PIECE = 16 * 1024;
  private static final int ANNOUNCE_SECONDS = 5;
  /** Also loopback (Linux routes all of 127/8 to lo): an address of the seeder's that it is not listed under. */
  private static final String NAMED_ADDRESS = "127.0.0.2";

  @TempDir Path dir;
  private final List<Proc.Running> processes = new ArrayList<>();

  @Test
  @Timeout(value = 50, unit = TimeUnit.SECONDS)
  void anAria2cLeecherDownloadsFromAnAria2cSeederFoundThroughOurTracker(Vertx vertx) throws Exception {
    String aria2c = Gate.requireCommand("aria2c", "aria2").toString();
    // GIVEN a single-file torrent of 200 KiB, a catalog image, and our tracker that torrent announces to
    SingleFile torrentOf = SingleFile.of("payload.bin", 200 * 1024, 7);
    byte[] payload = torrentOf.payload();
    Path seedDir = Files.createDirectories(dir.resolve("seed"));
    Files.write(seedDir.resolve("payload.bin"), payload);
    byte[] info = torrentOf.info();
    byte[] infoHash = torrentOf.infoHash();
    FakeCatalog.serving(vertx, infoHash);
    JsonObject config = TestConfig.loopback(dir);
    TrackerVerticle verticle = new TrackerVerticle(TrackerOptions.fromSection(config.getJsonObject("tracker")));
    await(vertx.deployVerticle(verticle));
    await(verticle.catalogHeard());
    TrackerHttp tracker = new TrackerHttp(vertx, verticle.actualPort());
    Path torrent = dir.resolve("payload.torrent");
    Files.write(torrent, torrentFile("http://127.0.0.1:" + verticle.actualPort() + "/announce", info));
    String scrape = "info_hash=" + escape(infoHash);

    try {
      // WHEN aria2c seeds the complete file
      start(aria2c, "seeder", seedDir, torrent, "--seed-ratio=0.0", "--check-integrity=true");

      // THEN the tracker lists it as a seed
      awaitScrape(tracker, scrape, infoHash, "complete", 1);

      // WHEN a second aria2c downloads into an empty folder, seeds for a second, and exits
      // (with --seed-time=0 aria2c would skip event=completed and only send stopped)
      Path leechDir = Files.createDirectories(dir.resolve("leech"));
      Proc.Result leecher = start(aria2c, "leecher", leechDir, torrent, "--seed-time=0.02")
          .finish(Duration.ofSeconds(40));

      // THEN it got the whole file from the seeder
      assertThat(leecher.exit()).as("leecher exit code; output:%n%s", leecher.output()).isZero();
      assertThat(Files.readAllBytes(leechDir.resolve("payload.bin"))).isEqualTo(payload);

      // AND its completed event was counted, and its stopped event took it out of the swarm
      BDict file = scrapeFile(tracker.scrape(scrape), infoHash);
      assertThat(integer(file, "downloaded")).isEqualTo(1);
      assertThat(integer(file, "complete")).as("only the seeder is left").isEqualTo(1);
      assertThat(integer(file, "incomplete")).isZero();
    } finally {
      processes.forEach(p -> p.stop(Duration.ofSeconds(2)));
    }
  }

  @Test
  @Timeout(value = 40, unit = TimeUnit.SECONDS)
  void anAria2cAnnouncingATorrentThatIsNoCatalogImageIsToldSoAndNotListed(Vertx vertx) throws Exception {
    String aria2c = Gate.requireCommand("aria2c", "aria2").toString();
    // GIVEN our tracker, whose catalog has one image, and a torrent that is not it
    SingleFile torrentOf = SingleFile.of("stranger.bin", 50 * 1024, 8);
    byte[] payload = torrentOf.payload();
    byte[] info = torrentOf.info();
    byte[] infoHash = torrentOf.infoHash();
    FakeCatalog.serving(vertx, AnnounceQuery.id(1));
    TrackerVerticle verticle = new TrackerVerticle(TrackerOptions.fromSection(
        TestConfig.loopback(dir).getJsonObject("tracker")));
    await(vertx.deployVerticle(verticle));
    await(verticle.catalogHeard());
    Path torrent = dir.resolve("stranger.torrent");
    Files.write(torrent, torrentFile("http://127.0.0.1:" + verticle.actualPort() + "/announce", info));
    Path seedDir = Files.createDirectories(dir.resolve("stranger"));
    Files.write(seedDir.resolve("stranger.bin"), payload);
    Path log = dir.resolve("stranger-aria2c.log");

    try {
      // WHEN aria2c seeds it (giving up after 3 s without a peer)
      Proc.Result result = start(aria2c, "stranger", seedDir, torrent, "--seed-ratio=0.0", "--check-integrity=true",
          "--bt-stop-timeout=3", "--seed-time=0.05", "--log=" + log, "--log-level=info")
          .finish(Duration.ofSeconds(30));

      // THEN aria2c got our bencoded failure reason, and the tracker holds no swarm for it
      assertThat(Files.readString(log)).as("aria2c's log; output:%n%s", result.output())
          .contains("Tracker returned failure reason: info_hash " + new InfoHash(infoHash).hex()
              + " is not a catalog image");
      TrackerHttp tracker = new TrackerHttp(vertx, verticle.actualPort());
      assertThat(TrackerHttp.text(tracker.scrape("info_hash=" + escape(infoHash)), "failure reason"))
          .endsWith("is not a catalog image");
    } finally {
      processes.forEach(p -> p.stop(Duration.ofSeconds(2)));
    }
  }

  /**
   * Issue 14: the tracker never hands a peer its own entry. A real client seeds while the swarm holds
   * two stale entries of it (the peer ids of earlier runs at its listen port: at the address it
   * announces from, and at the address it names with {@code ip=}, which the tracker does not believe
   * but which is its own all the same) and one bait leecher, a socket of this test. Over four announce
   * intervals aria2c connects to the bait (so it does connect to the leechers it is handed), and never to
   * its own listen port.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anAria2cSeederIsNeverHandedItsOwnEntryAndNeverConnectsToItself(Vertx vertx) throws Exception {
    String aria2c = Gate.requireCommand("aria2c", "aria2").toString();
    // GIVEN a catalog image and our tracker asking for an announce every 5 s
    SingleFile torrentOf = SingleFile.of("self.bin", 64 * 1024, 9);
    byte[] payload = torrentOf.payload();
    Path seedDir = Files.createDirectories(dir.resolve("self"));
    Files.write(seedDir.resolve("self.bin"), payload);
    byte[] info = torrentOf.info();
    byte[] infoHash = torrentOf.infoHash();
    FakeCatalog.serving(vertx, infoHash);
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("tracker").put("interval", ANNOUNCE_SECONDS).put("minInterval", ANNOUNCE_SECONDS);
    TrackerVerticle verticle = new TrackerVerticle(TrackerOptions.fromSection(config.getJsonObject("tracker")));
    await(vertx.deployVerticle(verticle));
    await(verticle.catalogHeard());
    TrackerHttp tracker = new TrackerHttp(vertx, verticle.actualPort());
    Path torrent = dir.resolve("self.torrent");
    Files.write(torrent, torrentFile("http://127.0.0.1:" + verticle.actualPort() + "/announce", info));
    int seederPort = Ports.freeTcp();

    // AND the swarm holds the seeder's stale entries and a bait leecher
    tracker.announce(AnnounceQuery.of(infoHash, AnnounceQuery.id(501), seederPort).event("started").build());
    tracker.from(NAMED_ADDRESS)
        .announce(AnnounceQuery.of(infoHash, AnnounceQuery.id(502), seederPort).event("started").build());
    try (ServerSocket bait = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      AtomicInteger baitConnections = new AtomicInteger();
      Thread acceptor = new Thread(() -> {
        while (!bait.isClosed()) {
          try (Socket accepted = bait.accept()) {
            baitConnections.incrementAndGet();
          } catch (IOException closed) {
            return;
          }
        }
      }, "bait-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
      tracker.announce(AnnounceQuery.of(infoHash, AnnounceQuery.id(503), bait.getLocalPort()).event("started").build());
      String scrape = "info_hash=" + escape(infoHash);
      assertThat(integer(scrapeFile(tracker.scrape(scrape), infoHash), "incomplete")).isEqualTo(3);

      Path log = dir.resolve("self-aria2c.log");
      try {
        // WHEN aria2c seeds on that port, naming 127.0.0.2 as its address, for four announce intervals
        start(aria2c, "self-seeder", seedDir, torrent, "--listen-port=" + seederPort, "--bt-external-ip=" + NAMED_ADDRESS,
            "--seed-ratio=0.0", "--check-integrity=true", "--log=" + log, "--log-level=info");
        awaitScrape(tracker, scrape, infoHash, "complete", 1);
        Thread.sleep(4 * ANNOUNCE_SECONDS * 1000L);

        // THEN it announced again and again, connected to the bait, and never to its own port
        String aria2cLog = Files.readString(log);
        assertThat(count(aria2cLog, "Creating tracker request group")).as("aria2c's announces").isGreaterThanOrEqualTo(3);
        assertThat(baitConnections.get()).as("connections to the bait leecher; aria2c log:%n%s", aria2cLog).isPositive();
        assertThat(aria2cLog.lines().filter(line -> line.contains("Connecting to ") && line.endsWith(":" + seederPort)))
            .as("aria2c connecting to its own listen port " + seederPort).isEmpty();
        // AND the stale entries were there all along to be handed out (only not to it)
        assertThat(integer(scrapeFile(tracker.scrape(scrape), infoHash), "incomplete")).isEqualTo(3);
      } finally {
        processes.forEach(p -> p.stop(Duration.ofSeconds(2)));
      }
    }
  }

  private static long count(String text, String needle) {
    return text.lines().filter(line -> line.contains(needle)).count();
  }

  private Proc.Running start(String aria2c, String name, Path workDir, Path torrent, String... extra)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(aria2c,
        "--dir=" + workDir,
        "--listen-port=" + Ports.freeTcp(),
        "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
        "--bt-tracker-connect-timeout=5", "--bt-stop-timeout=30",
        "--console-log-level=notice", "--summary-interval=0", "--no-conf=true", "--file-allocation=none"));
    command.addAll(Arrays.asList(extra));
    command.add(torrent.toString());
    Proc.Running process = Proc.command(command).name(name).log(dir.resolve(name + ".log")).start();
    processes.add(process);
    return process;
  }

  private static void awaitScrape(TrackerHttp tracker, String query, byte[] infoHash, String key, long atLeast)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    long value;
    while ((value = integer(scrapeFile(tracker.scrape(query), infoHash), key)) < atLeast
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }
    assertThat(value).as(key).isGreaterThanOrEqualTo(atLeast);
  }

  private static byte[] pieceHashes(byte[] payload) throws NoSuchAlgorithmException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int offset = 0; offset < payload.length; offset += PIECE) {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      sha1.update(payload, offset, Math.min(PIECE, payload.length - offset));
      out.writeBytes(sha1.digest());
    }
    return out.toByteArray();
  }

  /** The metainfo file: {@code announce} then the already-encoded info dictionary, keys in order. */
  private static byte[] torrentFile(String announce, byte[] info) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("d8:announce" + announce.length() + ":" + announce + "4:info").getBytes());
    out.writeBytes(info);
    out.write('e');
    return out.toByteArray();
  }

  /** A one-file torrent's random payload, its bencoded info dictionary and that dictionary's SHA-1. */
  private record SingleFile(byte[] payload, byte[] info, byte[] infoHash) {
    static SingleFile of(String name, int size, long seed) throws Exception {
      byte[] payload = new byte[size];
      new Random(seed).nextBytes(payload);
      byte[] info = Bencode.encode(BDict.builder()
          .put("length", payload.length)
          .put("name", name)
          .put("piece length", PIECE)
          .put("pieces", pieceHashes(payload))
          .build());
      return new SingleFile(payload, info, MessageDigest.getInstance("SHA-1").digest(info));
    }
  }
}
