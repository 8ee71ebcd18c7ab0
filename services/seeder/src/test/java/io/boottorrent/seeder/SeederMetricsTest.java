package io.boottorrent.seeder;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.TrackerOptions;
import io.boottorrent.tracker.TrackerVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeder's meters: bytes uploaded per image while a second seeder downloads the image from the
 * first through our tracker, on a Vert.x with metrics as a service process has it, read from the
 * Prometheus text /metrics serves.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SeederMetricsTest {
  private static final int SIZE = 3 * 1024 * 1024 + 5;

  @TempDir Path catalogDir;
  @TempDir Path ownDir;

  @Test
  void uploadedBytesPerImageFollowTheSeedersStatusesAndTorrentsAreAGauge() throws Exception {
    Vertx vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    try {
      // GIVEN a tracker, an image on the catalog's disk, and a seeder on the catalog's files
      TrackerVerticle tracker = new TrackerVerticle(TrackerOptions.fromSection(
          TestConfig.section("tracker").put("httpPort", 0).put("host", "127.0.0.1")));
      vertx.deployVerticle(tracker).await();
      ImageManifest image = storeImage("metered", "http://127.0.0.1:" + tracker.actualPort() + "/announce");
      vertx.eventBus().consumer(Addresses.IMAGE_LIST,
          request -> request.reply(ImageList.newBuilder().addImages(image).build()));
      Map<String, Long> uploadedBy = new ConcurrentHashMap<>();
      vertx.eventBus().<SeederStatus>consumer(Addresses.SEEDER_STATUS, m -> uploadedBy.put(m.body().getSeederId(),
          m.body().getTorrentsList().stream().mapToLong(TorrentStatus::getTotalUploaded).sum()));
      SeederVerticle first = deploy(vertx, config("first", null));
      first.catalogSynced().await();
      eventually(() -> scraped(vertx, "boottorrent_seeder_torrents") == 1.0);
      eventually(() -> scraped(vertx, "boottorrent_seeder_uploaded_bytes_total{image=\"metered\"}") == 0.0);

      // WHEN a second seeder with its own empty data dir fetches the image from the first
      SeederVerticle second = deploy(vertx, config("second", ownDir));
      eventually(() -> second.status().await().getTorrentsList().stream()
          .anyMatch(t -> t.getState().equals("seeding")));

      // THEN the image's counter reaches what the seeders' statuses report they uploaded: the image at least
      eventually(() -> scraped(vertx, "boottorrent_seeder_uploaded_bytes_total{image=\"metered\"}") >= SIZE);
      eventually(() -> uploadedBy.size() == 2 && scraped(vertx, "boottorrent_seeder_uploaded_bytes_total{image=\"metered\"}")
          == uploadedBy.values().stream().mapToLong(Long::longValue).sum());

      // WHEN the catalog removes the image THEN the gauge drops to 0
      vertx.eventBus().publish(Addresses.IMAGE_REMOVED, ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED)
          .setImage(ImageManifest.newBuilder().setName("metered").setInfoHash(image.getInfoHash())).build());
      eventually(() -> scraped(vertx, "boottorrent_seeder_torrents") == 0.0);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void eachStatusAddsWhatEveryTorrentUploadedSinceTheLastOne() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SeederMetrics metrics = new SeederMetrics(registry, () -> 0);
    metrics.observe(List.of(torrent("aa", "a", 100), torrent("bb", "b", 0)));
    metrics.observe(List.of(torrent("aa", "a", 250), torrent("bb", "b", 7)));
    assertThat(uploaded(registry, "a")).isEqualTo(250);
    assertThat(uploaded(registry, "b")).isEqualTo(7);
    // a torrent removed and added again starts from 0
    metrics.observe(List.of(torrent("bb", "b", 7)));
    metrics.observe(List.of(torrent("aa", "a", 40), torrent("bb", "b", 7)));
    assertThat(uploaded(registry, "a")).isEqualTo(290);
    assertThat(uploaded(registry, "b")).isEqualTo(7);
  }

  private static TorrentStatus torrent(String hash, String name, long uploaded) {
    return TorrentStatus.newBuilder().setInfoHash(hash).setName(name).setTotalUploaded(uploaded).build();
  }

  private static double uploaded(SimpleMeterRegistry registry, String image) {
    return registry.get("boottorrent.seeder.uploaded").tag("image", image).counter().count();
  }

  private ImageManifest storeImage(String name, String announce) throws Exception {
    Path folder = Files.createDirectories(catalogDir.resolve("payload").resolve(name));
    byte[] bytes = new byte[SIZE];
    new Random(7).nextBytes(bytes);
    Files.write(folder.resolve("disk.img"), bytes);
    TorrentFactory.Created created = TorrentFactory.create(folder, List.of(announce), List.of(), 0);
    return ImageManifest.newBuilder().setName(name).setInfoHash(created.infoHash())
        .setTotalSize(created.totalSize()).setPieceLength(created.pieceLength())
        .addFiles(ImageFile.newBuilder().setRole("disk").setPath("disk.img").setSize(SIZE))
        .addTrackers(announce).setTorrent(ByteString.copyFrom(created.torrent())).build();
  }

  private JsonObject config(String id, Path ownDataDir) {
    JsonObject config = TestConfig.loopback(catalogDir);
    config.getJsonObject("seeder").put("id", id).put("statusIntervalMs", 200).put("listenPort", Ports.freeTcp())
        .put("dataDir", ownDataDir == null ? "" : ownDataDir.toString());
    return config;
  }

  private static SeederVerticle deploy(Vertx vertx, JsonObject config) {
    SeederVerticle seeder = new SeederVerticle(SeederOptions.fromSection(config.getJsonObject("seeder")),
        ProcessOptions.fromTree(config));
    vertx.deployVerticle(seeder).await();
    return seeder;
  }

  private static double scraped(Vertx vertx, String series) {
    String text = Meters.prometheus(vertx).orElseThrow().scrape();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private static void eventually(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 40 s");
      }
      Thread.sleep(100);
    }
  }
}
