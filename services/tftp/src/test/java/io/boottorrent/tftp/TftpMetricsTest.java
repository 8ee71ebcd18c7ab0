package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Prometheus;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tftp.TestClient.Received;
import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TftpPacket.WriteRequest;
import io.boottorrent.tftp.protocol.TransferMode;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TFTP meters after real transfers on 127.0.0.1, on a Vert.x with metrics as a service process has
 * it, read from the Prometheus text /metrics serves.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TftpMetricsTest {
  @TempDir Path dir;
  private Vertx vertx;
  private TftpServerFixture server;

  @BeforeEach
  void start() throws Exception {
    vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    // a base timeout far above a loopback round trip: only the silent client below makes the server resend
    server = new TftpServerFixture(vertx, dir.resolve("data"), List.of(),
        t -> t.put("timeoutMs", 1000).put("retries", 1));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    vertx.close().await();
  }

  @Test
  void transfersByOutcomeBytesResentBlocksAndActiveTransfersAreCounted() throws Exception {
    put("a.bin", 10_000);
    put("f.bin", 1000);
    put("snponly.efi", 3000);
    try (TestClient client = new TestClient(server.port())) {
      // WHEN a file is downloaded 3 times (512-byte blocks)
      for (int i = 0; i < 3; i++) {
        assertThat(client.get("a.bin", TransferOptions.NONE).bytes()).hasSize(10_000);
      }
    }
    try (TestClient prober = new TestClient(server.port())) {
      // AND a client only asks for a size, as OVMF does first (from a port of its own: a request right
      // after it from the same port could be taken for a repeat of the probe's RRQ)
      prober.sendRequest(new ReadRequest("snponly.efi", TransferMode.OCTET, TransferOptions.of("tsize", "0")));
      Received oack = prober.expect(5000);
      assertThat(oack.packet()).isInstanceOf(OptionAck.class);
      prober.send(ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "got the size"), oack.port());
    }
    try (TestClient client = new TestClient(server.port())) {
      // AND a missing file and a write are refused
      client.sendRequest(new ReadRequest("missing.bin", TransferMode.OCTET));
      assertThat(client.expect(5000).packet()).isInstanceOf(ErrorPacket.class);
      client.sendRequest(new WriteRequest("up.bin", TransferMode.OCTET, TransferOptions.NONE));
      assertThat(client.expect(5000).packet()).isInstanceOf(ErrorPacket.class);
    }
    try (TestClient silent = new TestClient(server.port())) {
      // AND a client goes silent after DATA 1: the server sends it once more, then gives up
      silent.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      assertThat(silent.expect(5000).packet()).isInstanceOf(Data.class);
      assertThat(scraped("boottorrent_tftp_transfers_active")).isEqualTo(1.0);
      assertThat(silent.expect(5000).packet()).isInstanceOf(Data.class);
      assertThat(silent.expect(5000).packet()).isInstanceOf(ErrorPacket.class);
    }

    // THEN (the end of a transfer is counted right after its last packet: poll briefly)
    Map<String, Double> expected = Map.of(
        "boottorrent_tftp_transfers_total{outcome=\"sent\"}", 3.0,
        "boottorrent_tftp_transfers_total{outcome=\"size_probe\"}", 1.0,
        "boottorrent_tftp_transfers_total{outcome=\"refused\"}", 2.0,
        "boottorrent_tftp_transfers_total{outcome=\"failed\"}", 1.0,
        "boottorrent_tftp_sent_bytes_total", 3 * 10_000.0 + 2 * 512,
        "boottorrent_tftp_retransmitted_blocks_total", 1.0,
        "boottorrent_tftp_transfers_active", 0.0);
    assertThat(Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(), expected,
        Duration.ofSeconds(5))).isEqualTo(expected);
  }

  private void put(String name, int size) throws Exception {
    byte[] content = new byte[size];
    new Random(size).nextBytes(content);
    Files.createDirectories(server.root);
    Files.write(server.root.resolve(name), content);
  }

  private double scraped(String series) {
    return Prometheus.value(Prometheus.parse(Meters.prometheus(vertx).orElseThrow().scrape()), series);
  }


}
