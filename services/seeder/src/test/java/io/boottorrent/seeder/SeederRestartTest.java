package io.boottorrent.seeder;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.swarm.SwarmSession;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeder restarted on the catalog's payload (issue 13, "Faults"): it seeds again without re-hashing
 * the image. The image is {@code -Dfaults.seederRestartMiB} MiB (1024 by default, the size),
 * and the test prints the restart-to-seeding time next to what a full hash check of the same files
 * costs (a seeder on hard links of them in its own data dir: the check every start did before).
 */
@Tag("faults")
@ExtendWith(VertxExtension.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class SeederRestartTest {
  private static final long MIB = 1 << 20;
  private static final long IMAGE_BYTES = Long.getLong("faults.seederRestartMiB", 1024) * MIB;

  @TempDir Path dir;
  private Vertx vertx;
  private ImageManifest image;

  @BeforeEach
  void catalog(Vertx vertx) throws IOException {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    // GIVEN an image stored the catalog's way (payload/<name>/<file>, hashed at import, then its manifest)
    Path folder = Files.createDirectories(dir.resolve("catalog/payload/big"));
    writeRandom(folder.resolve("disk.img"), IMAGE_BYTES, 13);
    TorrentFactory.Created created = TorrentFactory.create(folder, List.of(), List.of(), 0);
    image = ImageManifest.newBuilder().setName("big").setInfoHash(created.infoHash())
        .setTotalSize(created.totalSize()).setPieceLength(created.pieceLength())
        .addFiles(ImageFile.newBuilder().setRole("disk").setPath("disk.img").setSize(IMAGE_BYTES))
        .setCreatedAtMs(System.currentTimeMillis())
        .setTorrent(ByteString.copyFrom(created.torrent())).build();
    vertx.eventBus().consumer(Addresses.IMAGE_LIST, m -> m.reply(ImageList.newBuilder().addImages(image).build()));
  }

  @Test
  void aRestartedSeederSeedsTheCatalogsPayloadAtOnceAndServesItWhole() throws Exception {
    // WHEN a seeder on the catalog's data dir starts, is stopped, and starts again
    Start first = start(dir.resolve("catalog"), null);
    await(vertx.undeploy(first.deployment()));
    Start again = start(dir.resolve("catalog"), null);
    // AND, for comparison, a seeder that has to check the same files (hard links in its own data dir)
    Path own = Files.createDirectories(dir.resolve("own/payload/big"));
    Files.createLink(own.resolve("disk.img"), dir.resolve("catalog/payload/big/disk.img"));
    Start checked = start(dir.resolve("catalog"), dir.resolve("own"));
    System.out.printf(Locale.ROOT, "seeder restart on a %d MiB image: seeding %.2f s after the start "
        + "(first start %.2f s), in seed mode: %s; a full hash check of the same files: %.2f s (seed mode: %s)%n",
        IMAGE_BYTES / MIB, again.seconds(), first.seconds(), again.seedMode(), checked.seconds(), checked.seedMode());

    // THEN the restarted seeder is in seed mode (no hash check), the checking one is not
    assertThat(again.seedMode()).as("restarted seeder in seed mode").isTrue();
    assertThat(checked.seedMode()).as("own data dir: checked").isFalse();
    assertThat(again.sawChecking()).as("restarted seeder went through 'checking'").isFalse();

    // AND a leecher gets the whole image from the restarted seeder, byte for byte (pieces hashed lazily)
    await(vertx.undeploy(checked.deployment()));
    SwarmSession leecher = await(SwarmSession.start(vertx, SwarmSession.Options.loopback("leecher")));
    try {
      Path into = dir.resolve("leecher");
      String hash = await(leecher.add(image.getTorrent().toByteArray(), into));
      await(leecher.connectPeer(hash, "127.0.0.1", again.seeder().listenPort()));
      long started = System.nanoTime();
      await(leecher.finished(hash), TimeUnit.MINUTES.toMillis(5));
      System.out.printf(Locale.ROOT, "leecher downloaded %d MiB from the restarted seeder in %.1f s%n",
          IMAGE_BYTES / MIB, (System.nanoTime() - started) / 1e9);
      assertThat(Files.mismatch(into.resolve("big/disk.img"), dir.resolve("catalog/payload/big/disk.img")))
          .isEqualTo(-1L);
      // every piece a peer asked for was hashed and passed: still in seed mode, still seeding
      TorrentStatus served = await(again.seeder().swarm().status(hash));
      assertThat(served.getState()).isEqualTo("seeding");
      assertThat(served.getTotalUploaded()).isGreaterThanOrEqualTo(IMAGE_BYTES);
    } finally {
      await(leecher.close());
    }
  }

  private record Start(String deployment, SeederVerticle seeder, double seconds, boolean seedMode,
      boolean sawChecking) {}

  /** Deploys a seeder and measures the time until it seeds the image. */
  private Start start(Path dataDir, Path ownDataDir) throws Exception {
    JsonObject config = TestConfig.loopback(dataDir);
    config.getJsonObject("seeder").put("statusIntervalMs", 60_000)
        .put("dataDir", ownDataDir == null ? "" : ownDataDir.toString());
    SeederVerticle seeder = new SeederVerticle(SeederOptions.fromSection(config.getJsonObject("seeder")),
        ProcessOptions.fromTree(config));
    long started = System.nanoTime();
    String deployment = await(vertx.deployVerticle(seeder));
    await(seeder.catalogSynced());
    boolean checking = false;
    long deadline = started + TimeUnit.MINUTES.toNanos(4);
    while (true) {
      TorrentStatus t = await(seeder.swarm().status(image.getInfoHash()));
      checking |= t.getState().equals("checking");
      if (t.getState().equals("seeding") && t.getProgress() == 1.0) {
        break;
      }
      assertThat(System.nanoTime()).as("seeding; last state " + t.getState() + " " + t.getProgress()).isLessThan(deadline);
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    return new Start(deployment, seeder, seconds, await(seeder.swarm().inSeedMode(image.getInfoHash())), checking);
  }

  static void writeRandom(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= block.length) {
        for (int i = 0; i < block.length; i += 8) {
          long v = random.nextLong();
          for (int b = 0; b < 8; b++) {
            block[i + b] = (byte) (v >>> (8 * b));
          }
        }
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return await(future, 60_000);
  }

  private static <T> T await(Future<T> future, long millis) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
  }
}
