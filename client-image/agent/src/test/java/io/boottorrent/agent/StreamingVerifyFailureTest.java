package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streamed qemu image whose whole-file SHA-256 is not the manifest's: the guest is already running
 * when the download completes, so the agent stops QEMU and the boot FAILs, loudly. The image is a boot
 * sector that loops forever (QEMU never exits by itself), served by a stub catalog and its web seed;
 * the manifest's info-hash is right (every piece checks out), its SHA-256 is not.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StreamingVerifyFailureTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<BootEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aStreamedImageThatFailsVerificationStopsQemuAndFailsTheBoot() throws Exception {
    Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    // GIVEN a 2 MiB disk whose boot sector is "jmp $" (a guest that runs until it is stopped)
    Path folder = Files.createDirectories(dir.resolve("seed/looper"));
    byte[] disk = new byte[2 << 20];
    disk[0] = (byte) 0xEB;
    disk[1] = (byte) 0xFE;
    disk[510] = 0x55;
    disk[511] = (byte) 0xAA;
    Files.write(folder.resolve("disk.img"), disk);
    ImageManifest.Builder manifest = ImageManifest.newBuilder().setName("looper").setKind(ImageKind.QEMU)
        .setTotalSize(disk.length).addAllArgs(List.of("-display", "none", "-monitor", "none", "-serial", "null",
            "-nic", "none"))
        .addFiles(ImageFile.newBuilder().setRole("disk").setPath("disk.img").setSize(disk.length)
            .setSha256("00".repeat(32)));
    // AND a boot profile of its torrent in the catalog, recorded by another machine: three pieces
    AtomicReference<BootProfile> profile = new AtomicReference<>();
    String url = StubCatalogWithSeed.start(vertx, dir.resolve("seed"), manifest, folder, events, requests, profile,
        hash -> BootProfile.newBuilder().setImage("looper").setInfoHash(hash).addAllPieces(List.of(0, 5, 1))
            .addAllReadAtMs(List.of(900, 950, 2000)).setRecordedBy("52:54:00:00:00:09").build());

    // WHEN an agent streams it (web seed from the start: there is no tracker)
    AgentOptions options = AgentOptions.fromSection(TestConfig.section("agent").put("catalogUrl", url)
        .put("mac", "52:54:00:00:00:01").put("workDir", dir.resolve("work").toString()).put("launcher", "qemu")
        .put("qemuAccel", "tcg").put("streaming", "on").put("webSeedFallbackSeconds", 0)
        .put("interactive", false).put("listenHost", "127.0.0.1"));
    java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
    AgentVerticle agent = new AgentVerticle(options, null, new PrintStream(console, true));
    vertx.deployVerticle(agent).await();
    Throwable failure = agent.result().transform(ar -> Future.succeededFuture(ar.cause())).await();

    // THEN the boot failed on verification, after QEMU had started, and QEMU is gone
    assertThat(failure).isNotNull();
    assertThat(failure.getMessage()).contains("image looper failed verification");
    List<BootStage> stages = events.stream().map(BootEvent::getStage).filter(s -> s != BootStage.DOWNLOAD_PROGRESS)
        .toList();
    assertThat(stages).containsSubsequence(BootStage.DOWNLOAD_STARTED, BootStage.STREAM_STARTED, BootStage.LAUNCHING,
        BootStage.DOWNLOAD_COMPLETE, BootStage.FAILED).doesNotContain(BootStage.VERIFIED);
    assertThat(ProcessHandle.current().children().filter(p -> p.info().command().orElse("").contains("qemu"))
        .filter(ProcessHandle::isAlive)).as("QEMU children still alive").isEmpty();
    // AND it asked for the profile's pieces it did not have at the add (the web seed may have sent some
    // by then), and posted no profile of its own: the catalog had one for this torrent
    assertThat(console.toString()).containsPattern("boot profile of looper \\(recorded by 52:54:00:00:00:09\\): "
        + "asking for [0-3] of its 3 pieces before the guest reads them");
    assertThat(requests).contains("GET /api/v1/images/looper/boot-profile")
        .doesNotContain("POST /api/v1/images/looper/boot-profile");
  }

  /** The stub catalog serving {@code seedRoot} as its web seed, and a torrent and manifest that name it. */
  static final class StubCatalogWithSeed {
    static String start(Vertx vertx, Path seedRoot, ImageManifest.Builder manifest, Path folder,
        List<BootEvent> events, List<String> requests) throws Exception {
      return start(vertx, seedRoot, manifest, folder, events, requests, new AtomicReference<>(), hash -> null);
    }

    /** With {@code profile} set to what {@code profileOf} makes of the torrent's info-hash (null: none). */
    static String start(Vertx vertx, Path seedRoot, ImageManifest.Builder manifest, Path folder,
        List<BootEvent> events, List<String> requests, AtomicReference<BootProfile> profile,
        java.util.function.Function<String, BootProfile> profileOf) throws Exception {
      // the torrent names the web seed's URL, so the port comes first
      int port;
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      String base = "http://127.0.0.1:" + port;
      TorrentFactory.Created torrent = TorrentFactory.create(folder, List.of(), List.of(base + "/seed/"), 0);
      ImageManifest image = manifest.setInfoHash(torrent.infoHash()).setPieceLength(torrent.pieceLength())
          .addWebSeeds(base + "/seed/").build();
      profile.set(profileOf.apply(torrent.infoHash()));
      return StubCatalog.start(vertx, "127.0.0.1", port, "52:54:00:00:00:01", image, torrent.torrent(), events,
          requests, seedRoot, profile);
    }
  }
}
