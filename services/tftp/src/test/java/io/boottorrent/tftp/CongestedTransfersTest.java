package io.boottorrent.tftp;

import io.boottorrent.testsupport.Proc;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Windowed transfers (atftp, blksize 1428, windowsize 8, its timeout 1 s: the boot-storm client)
 * through congestion, with the server's default timeout and retries. No netem here: the loss comes
 * from {@link LossyRelay} links on loopback. A congested transfer must slow down, never die.
 *
 * <p>The uplink is 20 Mbit/s like the benchmark's, with a 20 ms queue instead of 50 ms, so that
 * 32 transfers of 1 MiB (about 20 s) meet the congestion that the benchmark's 16 MiB ones met over
 * minutes. Before repeated ACKs were answered, 3 of 4 runs lost 2 or 3 clients here ("timeout:
 * retrying ..." six times, then "tftp: aborting"). To measure other shapes:
 * {@code -Dtftp.congestion.clients=N -Dtftp.congestion.kib=K -Dtftp.congestion.bps=B -Dtftp.congestion.queueMs=Q}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class CongestedTransfersTest {
  private static final Logger LOG = LoggerFactory.getLogger(CongestedTransfersTest.class);
  static final int SIZE = Integer.getInteger("tftp.congestion.kib", 1024) * 1024;
  static final String FILE = "image-1m.bin";

  /** The timeout and retries of boottorrent-defaults.yaml, as in the benchmark. */
  @RegisterExtension
  static final ServedFile SERVED = new ServedFile(FILE, SIZE, 7440, tftp -> {
    JsonObject defaults = TestConfig.section("tftp");
    tftp.put("timeoutMs", defaults.getValue("timeoutMs")).put("retries", defaults.getValue("retries"));
    // the clients stand for 32 machines but all reach the server from the relays' 127.0.0.1
    tftp.put("maxTransfersPerClient", 1000);
  });

  private static List<String> atftp(String binary, int port, Path dest) {
    return List.of(binary, "--get", "-r", FILE, "-l", dest.toString(), "--option", "blksize 1428",
        "--option", "windowsize 8", "--tftp-timeout", "1", "127.0.0.1", Integer.toString(port));
  }

  @Test
  void manyWindowedTransfersThroughOneShapedUplinkWithASmallQueueAllCompleteByteIdentical() throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    int clients = Integer.getInteger("tftp.congestion.clients", 32);
    long bitsPerSecond = Long.getLong("tftp.congestion.bps", 20_000_000L);
    int queueMs = Integer.getInteger("tftp.congestion.queueMs", 20);
    // GIVEN one 20 Mbit/s uplink with a 20 ms queue (tail drop) between the server and every client,
    // as tbf shapes it in the boot-storm benchmark: 32 windows of 8 x 1428 bytes do not fit in it
    List<LossyRelay> relays = new ArrayList<>();
    List<Proc.Running> started = new ArrayList<>();
    try (Bottleneck uplink = new Bottleneck(bitsPerSecond, queueMs)) {
      // WHEN 32 atftp clients fetch the file at once
      for (int i = 0; i < clients; i++) {
        LossyRelay relay = new LossyRelay(SERVED.server().port(), uplink, LossyRelay.LOSSLESS);
        relays.add(relay);
        Path dest = SERVED.dir().resolve("congested-" + i + ".bin");
        started.add(ExternalClients.start(atftp(atftp, relay.port(), dest), SERVED.dir()));
      }
      List<String> failures = new ArrayList<>();
      long slowest = 0;
      for (int i = 0; i < clients; i++) {
        Proc.Result run = started.get(i).finish(Duration.ofSeconds(240));
        slowest = Math.max(slowest, run.elapsed().toMillis());
        Path dest = SERVED.dir().resolve("congested-" + i + ".bin");
        if (run.exit() != 0) {
          failures.add("client " + i + " exit " + run.exit() + " after " + run.elapsed().toMillis() + " ms: "
              + lastLines(run.output(), 3));
        } else if (Files.mismatch(SERVED.source(), dest) != -1L) {
          failures.add("client " + i + ": copy differs from the source");
        }
      }
      LOG.info("{} clients x {} KiB through {} Mbit/s + {} ms queue: slowest {} ms; {}; {} failed",
          clients, SIZE / 1024, bitsPerSecond / 1e6, queueMs, slowest, uplink, failures.size());
      // THEN every transfer completes, byte-identical, although the uplink really dropped
      assertThat(failures).as("failed transfers").isEmpty();
      assertThat(uplink.dropped.get()).as("datagrams dropped at the full queue").isPositive();
    } finally {
      relays.forEach(LossyRelay::close);
      started.forEach(s -> s.stop(Duration.ofSeconds(1)));
    }
  }

  private static String lastLines(String output, int n) {
    String[] lines = output.strip().split("\n");
    return String.join(" | ", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
  }
}
