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
 * retrying ..." six times, then "tftp: aborting"). The same storm runs twice, against a server with
 * fixed windows ({@code tftp.congestionControl: false}) and one with paced windows
 * ({@link io.boottorrent.tftp.protocol.CongestionWindow}): the paced one must lose no client either,
 * and send fewer datagrams into the full queue. To measure other shapes:
 * {@code -Dtftp.congestion.clients=N -Dtftp.congestion.kib=K -Dtftp.congestion.bps=B -Dtftp.congestion.queueMs=Q}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600)
class CongestedTransfersTest {
  private static final Logger LOG = LoggerFactory.getLogger(CongestedTransfersTest.class);
  static final int SIZE = Integer.getInteger("tftp.congestion.kib", 1024) * 1024;
  static final String FILE = "image-1m.bin";

  /** The timeout and retries of boottorrent-defaults.yaml, as in the benchmark; windows as configured. */
  private static ServedFile served(boolean congestionControl) {
    return new ServedFile(FILE, SIZE, 7440, tftp -> {
      JsonObject defaults = TestConfig.section("tftp");
      tftp.put("timeoutMs", defaults.getValue("timeoutMs")).put("retries", defaults.getValue("retries"))
          .put("congestionControl", congestionControl);
      // the clients stand for 32 machines but all reach the server from the relays' 127.0.0.1
      tftp.put("maxTransfersPerClient", 1000);
    });
  }

  @RegisterExtension
  static final ServedFile FIXED = served(false);
  @RegisterExtension
  static final ServedFile PACED = served(true);

  private static List<String> atftp(String binary, int port, Path dest) {
    return List.of(binary, "--get", "-r", FILE, "-l", dest.toString(), "--option", "blksize 1428",
        "--option", "windowsize 8", "--tftp-timeout", "1", "127.0.0.1", Integer.toString(port));
  }

  /** One storm's outcome: clients that failed, and what the uplink carried and dropped. */
  private record Storm(List<String> failures, long slowestMillis, long delivered, long dropped) {
    long sent() {
      return delivered + dropped;
    }
  }

  @Test
  void manyWindowedTransfersThroughOneShapedUplinkAllCompleteByteIdenticalAndPacedWindowsResendLess()
      throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    // GIVEN one 20 Mbit/s uplink with a 20 ms queue (tail drop) between the server and every client,
    // as tbf shapes it in the boot-storm benchmark: 32 windows of 8 x 1428 bytes do not fit in it
    // WHEN 32 atftp clients fetch the file at once, from a server with fixed windows, then from one
    // that paces them
    Storm fixed = storm(atftp, FIXED, "fixed windows");
    Storm paced = storm(atftp, PACED, "paced windows");
    // THEN every transfer completes, byte-identical, although the uplink really dropped
    assertThat(fixed.failures()).as("failed transfers, fixed windows").isEmpty();
    assertThat(paced.failures()).as("failed transfers, paced windows").isEmpty();
    assertThat(fixed.dropped()).as("datagrams dropped at the full queue, fixed windows").isPositive();
    // AND pacing sends fewer datagrams (fewer resent blocks) and loses fewer at the queue
    assertThat(paced.dropped()).as("datagrams dropped, paced vs fixed").isLessThan(fixed.dropped());
    assertThat(paced.sent()).as("datagrams sent, paced vs fixed").isLessThan(fixed.sent());
  }

  private Storm storm(String atftp, ServedFile served, String label) throws Exception {
    int clients = Integer.getInteger("tftp.congestion.clients", 32);
    long bitsPerSecond = Long.getLong("tftp.congestion.bps", 20_000_000L);
    int queueMs = Integer.getInteger("tftp.congestion.queueMs", 20);
    List<LossyRelay> relays = new ArrayList<>();
    List<Proc.Running> started = new ArrayList<>();
    try (Bottleneck uplink = new Bottleneck(bitsPerSecond, queueMs)) {
      for (int i = 0; i < clients; i++) {
        LossyRelay relay = new LossyRelay(served.server().port(), uplink, LossyRelay.LOSSLESS);
        relays.add(relay);
        Path dest = served.dir().resolve("congested-" + i + ".bin");
        started.add(ExternalClients.start(atftp(atftp, relay.port(), dest), served.dir()));
      }
      List<String> failures = new ArrayList<>();
      long slowest = 0;
      for (int i = 0; i < clients; i++) {
        Proc.Result run = started.get(i).finish(Duration.ofSeconds(240));
        slowest = Math.max(slowest, run.elapsed().toMillis());
        Path dest = served.dir().resolve("congested-" + i + ".bin");
        if (run.exit() != 0) {
          failures.add("client " + i + " exit " + run.exit() + " after " + run.elapsed().toMillis() + " ms: "
              + lastLines(run.output(), 3));
        } else if (Files.mismatch(served.source(), dest) != -1L) {
          failures.add("client " + i + ": copy differs from the source");
        }
      }
      LOG.info("{}: {} clients x {} KiB through {} Mbit/s + {} ms queue: slowest {} ms; {}; {} failed", label,
          clients, SIZE / 1024, bitsPerSecond / 1e6, queueMs, slowest, uplink, failures.size());
      return new Storm(failures, slowest, uplink.delivered.get(), uplink.dropped.get());
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
