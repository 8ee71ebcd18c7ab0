package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent's boot against a stub catalog that speaks the REST API in protobuf. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentBootTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<BootEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A catalog that assigns {@code image} (with its manifest in the menu) and serves {@code torrent} for it. */
  private String catalog(ImageManifest image, byte[] torrent) {
    return StubCatalog.start(vertx, "127.0.0.1", "52:54:00:00:00:01", image, torrent, events, requests);
  }

  private TorrentFactory.Created torrentOf(String name, byte seed) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("src-" + seed).resolve(name));
    Files.write(folder.resolve("vmlinuz"), new byte[] {seed, 1, 2, 3});
    return TorrentFactory.create(folder, List.of("http://127.0.0.1:1/announce"), List.of(), 0);
  }

  @Test
  void aTorrentThatIsNotTheManifestsFailsTheBootBeforeAnyDownloadAndTheManifestIsFetchedOnce() throws Exception {
    // GIVEN an assignment whose manifest names one torrent, and a catalog that serves another for it
    TorrentFactory.Created named = torrentOf("img", (byte) 1);
    TorrentFactory.Created served = torrentOf("img", (byte) 2);
    ImageManifest manifest = ImageManifest.newBuilder().setName("img").setKind(ImageKind.EXEC)
        .setInfoHash(named.infoHash()).setTotalSize(named.totalSize()).build();
    String url = catalog(manifest, served.torrent());

    // WHEN the agent boots
    AgentOptions options = AgentOptions.fromSection(TestConfig.section("agent").put("catalogUrl", url)
        .put("mac", "52:54:00:00:00:01").put("workDir", dir.resolve("work").toString()).put("launcher", "none")
        .put("interactive", false).put("listenHost", "127.0.0.1"));
    AgentVerticle agent = new AgentVerticle(options, null, new PrintStream(OutputStream.nullOutputStream()));
    vertx.deployVerticle(agent).await();
    Throwable failure = agent.result().transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();

    // THEN it refuses, naming both hashes, reports a FAILED boot for that image, and downloaded nothing
    assertThat(failure).hasMessage("the .torrent of img has info-hash " + served.infoHash()
        + ", but its manifest names " + named.infoHash() + ": refusing to download");
    assertThat(events).extracting(BootEvent::getStage)
        .containsExactly(BootStage.AGENT_STARTED, BootStage.IMAGE_CHOSEN, BootStage.FAILED);
    assertThat(events.get(2).getImage()).isEqualTo("img");
    assertThat(events.get(2).getMessage()).contains("refusing to download");
    assertThat(dir.resolve("work/img")).doesNotExist();
    // AND the manifest came with the assignment: only the .torrent was asked for
    assertThat(requests).filteredOn(r -> r.startsWith("GET")).containsExactly(
        "GET /api/v1/boot/52%3A54%3A00%3A00%3A00%3A01", "GET /api/v1/images/img/torrent");
  }
}
