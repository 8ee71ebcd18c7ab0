package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.Libtorrent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.SessionManager;
import org.libtorrent4j.SessionParams;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.Sha1Hash;
import org.libtorrent4j.TorrentHandle;
import org.libtorrent4j.TorrentInfo;
import org.libtorrent4j.swig.settings_pack;

/**
 * The web seed against a real BEP 19 client: a libtorrent session with no peers at all (the
 * tracker in the torrent is not running) must download a whole image from the catalog alone.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class WebSeedDownloadTest {
  @TempDir Path dir;

  @Test
  void libtorrentDownloadsAnImageFromTheWebSeedAlone(Vertx vertx) throws Exception {
    // GIVEN a catalog with a multi-file image whose sizes are not piece multiples
    Codecs.registerAll(vertx.eventBus());
    JsonObject config = TestConfig.loopback(dir.resolve("catalog"));
    Path imports = dir.resolve("catalog/import");
    byte[] kernel = writeRandom(imports.resolve("vmlinuz"), 300 * 1024 + 123, 21);
    byte[] initrd = writeRandom(imports.resolve("initrd"), 900 * 1024 + 77, 22);
    CatalogVerticle catalog = Fixtures.catalog(config);
    vertx.deployVerticle(catalog).await(30, TimeUnit.SECONDS);
    WebClient client = WebClient.create(vertx);
    AddImageRequest request = AddImageRequest.newBuilder().setName("webseeded").setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString()).setInitrd(imports.resolve("initrd").toString())
        .setPieceLength(32 * 1024).build();
    HttpResponse<Buffer> added = client.post(catalog.actualPort(), "127.0.0.1", "/api/v1/images")
        .putHeader("Content-Type", "application/json").putHeader("Authorization", TestTokens.bearer(dir.resolve("catalog")))
        .sendBuffer(Buffer.buffer(Json.print(request)))
        .await(30, TimeUnit.SECONDS);
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);
    ImageManifest manifest = Json.parse(added.bodyAsString(), ImageManifest.newBuilder()).build();
    byte[] torrent = client.get(catalog.actualPort(), "127.0.0.1", "/api/v1/images/webseeded/torrent").send()
        .await(30, TimeUnit.SECONDS).bodyAsBuffer().getBytes();

    // WHEN a libtorrent session on loopback (no DHT, LSD, UPnP or NAT-PMP) downloads the torrent
    Libtorrent.ensureLoaded();
    SettingsPack settings = new SettingsPack()
        .listenInterfaces("127.0.0.1:" + Ports.freeTcp())
        .setBoolean(settings_pack.bool_types.enable_dht.swigValue(), false)
        .setBoolean(settings_pack.bool_types.enable_lsd.swigValue(), false)
        .setBoolean(settings_pack.bool_types.enable_upnp.swigValue(), false)
        .setBoolean(settings_pack.bool_types.enable_natpmp.swigValue(), false);
    SessionManager session = new SessionManager(false);
    Path downloads = Files.createDirectories(dir.resolve("agent"));
    try {
      session.start(new SessionParams(settings));
      TorrentInfo info = TorrentInfo.bdecode(torrent);
      session.download(info, downloads.toFile());
      TorrentHandle handle = session.find(Sha1Hash.parseHex(manifest.getInfoHash()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while ((handle == null || !handle.status().isSeeding()) && System.nanoTime() < deadline) {
        Thread.sleep(200);
        if (handle == null) {
          handle = session.find(Sha1Hash.parseHex(manifest.getInfoHash()));
        }
      }
      // THEN the download completes (libtorrent verified every piece hash) with identical files
      assertThat(handle).isNotNull();
      assertThat(handle.status().isSeeding()).as("state " + handle.status().state()).isTrue();
    } finally {
      session.stop();
    }
    assertThat(Files.readAllBytes(downloads.resolve("webseeded/vmlinuz"))).isEqualTo(kernel);
    assertThat(Files.readAllBytes(downloads.resolve("webseeded/initrd"))).isEqualTo(initrd);
    // AND the catalog counted at least the whole image as served by the web seed
    JsonObject stats = client.get(catalog.actualPort(), "127.0.0.1", "/api/v1/stats").send()
        .await(30, TimeUnit.SECONDS).bodyAsJsonObject();
    assertThat(stats.getJsonObject("webSeedBytes").getLong("webseeded")).isGreaterThanOrEqualTo(manifest.getTotalSize());
  }
}
