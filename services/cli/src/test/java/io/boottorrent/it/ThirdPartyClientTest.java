package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.Verifier;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real BitTorrent clients from Debian against our tracker and seeder, on loopback only (DHT, LPD and
 * port mapping off so nothing leaves the machine). The torrent has no web seed, so the bytes can only
 * come from our seeder through peers our tracker handed out.
 */
class ThirdPartyClientTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aria2AnnouncesToOurTrackerAndDownloadsFromOurSeeder() throws Exception {
    Path aria2c = Gate.requireCommand("aria2c", "aria2; `make test` does it as root");
    try (Stack stack = new Stack(dir, 0, false)) {
      // GIVEN an image whose torrent lists only our tracker
      ImageManifest image = stack.addImage("aria", 16L << 20);
      assertThat(image.getWebSeedsList()).isEmpty();
      Path torrent = dir.resolve("aria.torrent");
      Files.write(torrent, HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(stack.catalogUrl() + "/api/v1/images/aria/torrent")).build(),
          HttpResponse.BodyHandlers.ofByteArray()).body());
      waitUntilSeeding(stack, image.getInfoHash());

      // WHEN aria2c downloads it (150 s at most: a timeout kills it and fails the test with its output)
      Path out = Files.createDirectories(dir.resolve("aria2"));
      List<String> command = new ArrayList<>(List.of(aria2c.toString(), "--dir=" + out,
          // seed ~1 s: with --seed-time=0 aria2c skips event=completed and only sends stopped
          "--seed-time=0.02",
          "--listen-port=" + Ports.freeTcp(), "--bt-stop-timeout=90", "--summary-interval=0",
          "--console-log-level=warn", "--check-integrity=true", torrent.toString()));
      command.addAll(1, StandardClientsTest.ARIA2_LAB_ONLY);
      Proc.Result aria = Proc.command(command).log(dir.resolve("aria2.log")).exec(Duration.ofSeconds(150));

      // THEN it completed with the catalog's exact bytes
      assertThat(aria.exit()).as(aria.output()).isZero();
      assertThat(Verifier.verify(image, out.resolve("aria"))).isEmpty();
      // AND our tracker saw it complete, AND our seeder served the bytes
      String scrape = new String(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
              "http://127.0.0.1:" + stack.config.getJsonObject("tracker").getInteger("httpPort")
                  + "/scrape?info_hash=" + percent(image.getInfoHash()))).build(),
          HttpResponse.BodyHandlers.ofByteArray()).body(), StandardCharsets.ISO_8859_1);
      assertThat(scrape).contains("10:downloadedi1e");
      assertThat(seederUploaded(stack, image.getInfoHash())).isGreaterThanOrEqualTo(image.getTotalSize());
    }
  }

  static void waitUntilSeeding(Stack stack, String infoHash) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      boolean seeding = stack.seeder.status().await().getTorrentsList().stream()
          .anyMatch(t -> t.getInfoHash().equals(infoHash) && "seeding".equals(t.getState()));
      if (seeding) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("seeder did not start seeding " + infoHash);
  }

  static long seederUploaded(Stack stack, String infoHash) {
    return stack.seeder.status().await().getTorrentsList().stream()
        .filter(t -> t.getInfoHash().equals(infoHash)).mapToLong(TorrentStatus::getTotalUploaded).sum();
  }

  static String percent(String hex) {
    StringBuilder out = new StringBuilder();
    for (byte b : HexFormat.of().parseHex(hex)) {
      out.append('%').append(String.format("%02X", b & 0xff));
    }
    return out.toString();
  }
}
