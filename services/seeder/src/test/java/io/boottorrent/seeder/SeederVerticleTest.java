package io.boottorrent.seeder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.TrackerOptions;
import io.boottorrent.tracker.TrackerVerticle;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.tracker.protocol.BInt;
import io.boottorrent.tracker.protocol.BValue;
import io.boottorrent.tracker.protocol.Bencode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.swig.settings_pack;

/** SeederVerticle against a fake catalog on the event bus and real libtorrent sessions on 127.0.0.1. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SeederVerticleTest {
  private static final int MIB = 1024 * 1024;

  @TempDir Path catalogDir;
  private Vertx vertx;
  /** What the fake catalog answers on catalog.image.list. */
  private final List<ImageManifest> catalog = new CopyOnWriteArrayList<>();
  private final List<SeederStatus> published = new CopyOnWriteArrayList<>();

  @BeforeEach
  void eventBus(Vertx vertx) {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    vertx.eventBus().<SeederStatus>consumer(Addresses.SEEDER_STATUS, m -> published.add(m.body()));
  }

  @Test
  void seedsCatalogImagesOnceTheLateCatalogAnswersAndPublishesStatus() throws Exception {
    // GIVEN an image stored the catalog's way in the shared data dir, and no catalog running yet
    ImageManifest demo = storeImage("demo", List.of(), 2 * MIB + 7, 1);
    SeederVerticle seeder = deploy(config(catalogDir, null, 200));
    assertThat(seeder.listenPort()).isPositive();

    // WHEN the catalog comes up a little later
    Thread.sleep(600);
    assertThat(seeder.catalogSynced().isComplete()).isFalse();
    serveCatalog();
    catalog.add(demo);

    // THEN the seeder asks again, adds the image and seeds it straight from the catalog's files
    await(seeder.catalogSynced());
    SeederStatus status = eventually(seeder::status, s -> torrent(s, "demo").map(SeederVerticleTest::seeding).orElse(false));
    TorrentStatus torrent = torrent(status, "demo").orElseThrow();
    assertThat(torrent.getInfoHash()).isEqualTo(demo.getInfoHash());
    assertThat(torrent.getProgress()).isEqualTo(1.0);
    assertThat(torrent.getTotalDownloaded()).isZero();
    assertThat(status.getSeederId()).isEqualTo(seeder.seederId()).isNotBlank();
    assertThat(status.getListenPort()).isEqualTo(seeder.listenPort());
    assertThat(status.getAddressesList()).containsExactly("127.0.0.1");
    // AND publishes the same on seeder.status
    SeederStatus message = eventually(() -> Future.succeededFuture(List.copyOf(published)),
        all -> all.stream().anyMatch(s -> torrent(s, "demo").map(SeederVerticleTest::seeding).orElse(false)))
        .stream().filter(s -> torrent(s, "demo").isPresent()).findFirst().orElseThrow();
    assertThat(message.getSeederId()).isEqualTo(seeder.seederId());
    assertThat(message.getListenPort()).isEqualTo(seeder.listenPort());
    assertThat(message.getTimestampMs()).isPositive();
  }

  @Test
  void seederSessionGetsTheConfiguredRequestQueueAndLeavesTheAgentsSettingAlone() {
    // GIVEN the product defaults (seeder.maxRequestsPerPeer 0: libtorrent's, agent.requestQueueSeconds 1)
    JsonObject config = config(catalogDir, null, 200);
    assertThat(config.getJsonObject("seeder").getInteger("maxRequestsPerPeer")).isZero();
    SeederVerticle seeder = deploy(config);

    // THEN the seeder's libtorrent session accepts (and advertises as reqq) libtorrent's 2000 queued
    // requests per peer, which standard clients need (StandardClientsTest), and keeps libtorrent's own
    // request_queue_time (3 s): agent.requestQueueSeconds is the agents' business
    assertThat(await(seeder.swarm().intSetting(settings_pack.int_types.max_allowed_in_request_queue))).isEqualTo(2000);
    assertThat(await(seeder.swarm().intSetting(settings_pack.int_types.request_queue_time))).isEqualTo(3);

    // AND another value (8: agents only, the boot-storm benchmark's) is passed through as it is
    JsonObject eight = config.copy();
    eight.getJsonObject("seeder").put("listenPort", 0).put("maxRequestsPerPeer", 8);
    SeederVerticle other = deploy(eight);
    assertThat(await(other.swarm().intSetting(settings_pack.int_types.max_allowed_in_request_queue))).isEqualTo(8);
  }

  @Test
  void aSeederPublishesItsPublicHostAndASpecificListenAddress() {
    assertThat(SeederVerticle.addresses("10.0.0.1", "0.0.0.0")).containsExactly("10.0.0.1");
    assertThat(SeederVerticle.addresses("boot.example", "10.0.0.1")).containsExactly("boot.example", "10.0.0.1");
    assertThat(SeederVerticle.addresses("10.0.0.1", "10.0.0.1")).containsExactly("10.0.0.1");
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> SeederOptions.fromSection(TestConfig.section("seeder").put("maxRequestsPerPeer", -1)))
        .hasMessage("seeder.maxRequestsPerPeer: expected an integer >= 0, got -1");
    assertThatThrownBy(() -> SeederOptions.fromSection(TestConfig.section("seeder").put("statusIntervalMs", 0)))
        .hasMessage("seeder.statusIntervalMs: expected an integer >= 1, got 0");
    assertThatThrownBy(() -> SeederOptions.fromSection(TestConfig.section("seeder").put("uploadLimit", "fast")))
        .hasMessageStartingWith("seeder.uploadLimit: expected an integer >= 0");
    assertThat(SeederOptions.fromSection(TestConfig.section("seeder")).id()).isEmpty();
  }

  @Test
  void followsCatalogEventsAndNeverDeletesTheCatalogsFiles() throws Exception {
    // GIVEN a seeder sharing the catalog's data dir, synced with an empty catalog
    serveCatalog();
    SeederVerticle seeder = deploy(config(catalogDir, null, 200));
    await(seeder.catalogSynced());
    assertThat(await(seeder.status()).getTorrentsList()).isEmpty();

    // WHEN the catalog announces a new image
    ImageManifest extra = storeImage("extra", List.of(), 300_000, 2);
    vertx.eventBus().publish(Addresses.IMAGE_ADDED,
        ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(extra).build());

    // THEN it is seeded
    eventually(seeder::status, s -> torrent(s, "extra").map(SeederVerticleTest::seeding).orElse(false));

    // WHEN the catalog removes it (a REMOVED event carries only name and info-hash)
    vertx.eventBus().publish(Addresses.IMAGE_REMOVED, ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED)
        .setImage(ImageManifest.newBuilder().setName("extra").setInfoHash(extra.getInfoHash())).build());

    // THEN the seeder stops seeding it but leaves the files to the catalog
    eventually(seeder::status, s -> s.getTorrentsCount() == 0);
    assertThat(catalogDir.resolve("payload/extra/disk.img")).exists().hasSize(300_000);
  }

  @Test
  void seederWithItsOwnDataDirDownloadsFromTheFirstThenSeedsAndDeletesOnRemoval() throws Exception {
    // GIVEN our tracker, an image whose torrent names it (and no web seed), and a seeder on the catalog's files
    TrackerVerticle tracker = new TrackerVerticle(TrackerOptions.fromSection(
        TestConfig.section("tracker").put("httpPort", 0).put("host", "127.0.0.1")));
    await(vertx.deployVerticle(tracker));
    String announce = "http://127.0.0.1:" + tracker.actualPort() + "/announce";
    ImageManifest image = storeImage("scale", List.of(announce), 6 * MIB + 1, 3);
    catalog.add(image);
    serveCatalog();
    SeederVerticle first = deploy(config(catalogDir, null, 300));
    eventually(first::status, s -> torrent(s, "scale").map(SeederVerticleTest::seeding).orElse(false));

    // WHEN a second seeder starts with its own, empty data dir
    Path own = catalogDir.resolveSibling(catalogDir.getFileName() + "-own");
    JsonObject secondConfig = config(catalogDir, own, 300);
    secondConfig.getJsonObject("seeder").put("listenPort", Ports.freeTcp()).put("id", "seeder-2");
    SeederVerticle second = deploy(secondConfig);
    assertThat(second.seederId()).isEqualTo("seeder-2");
    assertThat(second.payloadDir()).isEqualTo(own.toAbsolutePath().normalize().resolve("payload"));

    // THEN it finds the first through the tracker, downloads the image and seeds it, byte for byte
    SeederStatus status = eventually(second::status,
        s -> torrent(s, "scale").map(SeederVerticleTest::seeding).orElse(false));
    assertThat(torrent(status, "scale").orElseThrow().getTotalDownloaded()).isGreaterThanOrEqualTo(6 * MIB + 1);
    assertThat(Files.mismatch(catalogDir.resolve("payload/scale/disk.img"), own.resolve("payload/scale/disk.img")))
        .isEqualTo(-1L);
    // AND the tracker counts both as seeds of the image (the second re-announces once it completes)
    eventually(() -> vertx.executeBlocking(() -> scrapeComplete(tracker.actualPort(), image.getInfoHash())),
        complete -> complete == 2);
    TorrentStatus served = eventually(first::status,
        s -> torrent(s, "scale").orElseThrow().getTotalUploaded() >= 6 * MIB + 1).getTorrents(0);
    assertThat(served.getTotalUploaded()).isGreaterThanOrEqualTo(6 * MIB + 1);

    // WHEN the catalog removes the image
    vertx.eventBus().publish(Addresses.IMAGE_REMOVED, ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED)
        .setImage(ImageManifest.newBuilder().setName("scale").setInfoHash(image.getInfoHash())).build());

    // THEN the second seeder deletes its own copy, the first leaves the catalog's in place
    eventually(second::status, s -> s.getTorrentsCount() == 0);
    eventually(first::status, s -> s.getTorrentsCount() == 0);
    eventually(() -> Future.succeededFuture(Files.exists(own.resolve("payload/scale"))), exists -> !exists);
    assertThat(catalogDir.resolve("payload/scale/disk.img")).exists().hasSize(6 * MIB + 1);
  }

  // ------------------------------------------------------------------ helpers

  /** Writes payload/<name>/{disk.img, vmlinuz} under the catalog's data dir and builds its manifest. */
  private ImageManifest storeImage(String name, List<String> trackers, int size, long seed) throws IOException {
    Path folder = Files.createDirectories(catalogDir.resolve("payload").resolve(name));
    Files.write(folder.resolve("disk.img"), random(size, seed));
    Files.write(folder.resolve("vmlinuz"), random(10_001, seed + 100));
    TorrentFactory.Created created = TorrentFactory.create(folder, trackers, List.of(), 0);
    return ImageManifest.newBuilder()
        .setName(name)
        .setInfoHash(created.infoHash())
        .setTotalSize(created.totalSize())
        .setPieceLength(created.pieceLength())
        .addFiles(ImageFile.newBuilder().setRole("disk").setPath("disk.img").setSize(size))
        .addFiles(ImageFile.newBuilder().setRole("kernel").setPath("vmlinuz").setSize(10_001))
        .addAllTrackers(trackers)
        .setTorrent(ByteString.copyFrom(created.torrent()))
        .build();
  }

  private void serveCatalog() {
    vertx.eventBus().consumer(Addresses.IMAGE_LIST,
        request -> request.reply(ImageList.newBuilder().addAllImages(catalog).build()));
  }

  /** The tracker's {@code complete} count for one info-hash, from a BEP 48 scrape. Blocking. */
  private static long scrapeComplete(int trackerPort, String infoHash) throws Exception {
    StringBuilder escaped = new StringBuilder();
    for (byte b : java.util.HexFormat.of().parseHex(infoHash)) {
      escaped.append('%').append(String.format("%02X", b & 0xff));
    }
    java.net.http.HttpResponse<byte[]> response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://127.0.0.1:" + trackerPort + "/scrape?info_hash=" + escaped)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    BDict files = (BDict) ((BDict) Bencode.decode(response.body())).get("files").orElseThrow();
    BValue file = files.entries().values().stream().findFirst().orElse(null);
    return file == null ? 0 : ((BInt) ((BDict) file).get("complete").orElseThrow()).value();
  }

  private JsonObject config(Path dataDir, Path ownDataDir, int statusIntervalMs) {
    JsonObject config = TestConfig.loopback(dataDir);
    config.getJsonObject("seeder")
        .put("statusIntervalMs", statusIntervalMs)
        .put("dataDir", ownDataDir == null ? "" : ownDataDir.toString());
    return config;
  }

  private SeederVerticle deploy(JsonObject config) {
    SeederVerticle seeder = new SeederVerticle(SeederOptions.fromSection(config.getJsonObject("seeder")),
        ProcessOptions.fromTree(config));
    await(vertx.deployVerticle(seeder));
    return seeder;
  }

  private static Optional<TorrentStatus> torrent(SeederStatus status, String name) {
    return status.getTorrentsList().stream().filter(t -> t.getName().equals(name)).findFirst();
  }

  private static boolean seeding(TorrentStatus t) {
    return t.getState().equals("seeding") && t.getProgress() == 1.0;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Polls until {@code done} holds; fails with the last value seen after 30 s. */
  private static <T> T eventually(Supplier<Future<T>> probe, Predicate<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    T last = null;
    while (System.nanoTime() < deadline) {
      last = await(probe.get());
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("condition not met within 30 s; last value: " + last);
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }
}
