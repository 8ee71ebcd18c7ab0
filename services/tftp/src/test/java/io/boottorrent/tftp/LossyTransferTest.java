package io.boottorrent.tftp;

import io.boottorrent.testsupport.Proc;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfers under ~5% packet loss in both directions. The kernel here has no netem: loss is
 * emulated by {@link LossyRelay}, a UDP relay between the real client and the server that drops 5%
 * of the datagrams each way (fixed seed) and relays the server's per-transfer TID ports.
 *
 * <p>atftp with blksize 1428 and windowsize 8 always runs. The lockstep clients (curl, tftp-hpa)
 * recover every loss through a server timeout, which makes 16 MiB slow: they run only with
 * {@code -Dtftp.lossBenchmark=true}, to measure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class LossyTransferTest {
  private static final Logger LOG = LoggerFactory.getLogger(LossyTransferTest.class);
  static final double LOSS = 0.05;
  static final int SIZE = 16 * 1024 * 1024;
  static final String FILE = "image-16m.bin";

  // A short base retransmission timeout: on loopback a round trip is well under a millisecond.
  // With the backoff, 8 retries wait 40 ms x (1+2+4+8+16+32+32+32+32) = 6.3 s, which outlasts
  // atftp's own timeout (1 s here): after a lost extra ACK atftp ignores repeated windows until
  // our resends pause longer than its timeout.
  @RegisterExtension
  static final ServedFile SERVED = new ServedFile(FILE, SIZE, 5,
      tftp -> tftp.put("timeoutMs", 40).put("retries", 8));

  @Test
  void atftpWithWindowsGetsA16MiBFileByteIdenticalThroughFivePercentLoss() throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    Path dest = SERVED.dir().resolve("atftp-lossy.bin");
    try (LossyRelay relay = new LossyRelay(SERVED.server().port(), LOSS, 20260101L)) {
      // WHEN atftp fetches through the relay (loss emulated there, 5% each way)
      Proc.Result run = ExternalClients.run(List.of(atftp, "--get", "-r", FILE, "-l", dest.toString(),
          "--option", "blksize 1428", "--option", "windowsize 8", "--tftp-timeout", "1",
          "127.0.0.1", Integer.toString(relay.port())),
          SERVED.dir(), 240);
      // THEN the copy is byte-identical although packets were really dropped both ways
      assertLossyCopy("atftp blksize 1428 windowsize 8", run, relay, dest);
    }
  }

  @Test
  void curlGetsA16MiBFileByteIdenticalThroughFivePercentLoss() throws Exception {
    String curl = lockstepClient(ExternalClients.CURL, "curl");
    lossyFetch("curl --tftp-blksize 1468", "curl-lossy.bin", 20260102L, (port, dest) -> List.of(curl, "-s", "-S",
        "--tftp-blksize", "1468", "tftp://127.0.0.1:" + port + "/" + FILE, "-o", dest.toString()));
  }

  @Test
  void tftpHpaGetsA16MiBFileByteIdenticalThroughFivePercentLoss() throws Exception {
    String tftp = lockstepClient(ExternalClients.TFTP_HPA, "tftp-hpa");
    lossyFetch("tftp-hpa", "tftp-hpa-lossy.bin", 20260103L, (port, dest) -> List.of(tftp, "-m", "binary",
        "127.0.0.1", Integer.toString(port), "-c", "get", FILE, dest.toString()));
  }

  /** A lockstep client (one block per round trip): only with {@code -Dtftp.lossBenchmark=true}, to measure. */
  private static String lockstepClient(String binary, String debianPackage) {
    Assumptions.assumeTrue(Boolean.getBoolean("tftp.lossBenchmark"),
        "lockstep clients under loss are slow; run with -Dtftp.lossBenchmark=true to measure");
    return ExternalClients.require(binary, debianPackage);
  }

  /** {@code command} (given the relay's port and the copy's path) fetches the file through 5% loss each way. */
  private void lossyFetch(String label, String destName, long seed, BiFunction<Integer, Path, List<String>> command)
      throws Exception {
    Path dest = SERVED.dir().resolve(destName);
    try (LossyRelay relay = new LossyRelay(SERVED.server().port(), LOSS, seed)) {
      assertLossyCopy(label, ExternalClients.run(command.apply(relay.port(), dest), SERVED.dir(), 280), relay, dest);
    }
  }

  private void assertLossyCopy(String client, Proc.Result run, LossyRelay relay, Path dest) throws Exception {
    // (the server's own verdict is logged, not asserted: if the client's final ACK is dropped the
    // client has the file but the server cannot know it)
    LOG.info("{} under {}% loss: 16 MiB in {} ms; {}", client, (int) (LOSS * 100), run.elapsed().toMillis(), relay);
    assertThat(run.exit()).as("%s exit code; output:%n%s", client, run.output()).isZero();
    assertThat(Files.size(dest)).isEqualTo(SIZE);
    assertThat(Files.mismatch(SERVED.source(), dest)).as("%s copy: first differing byte", client).isEqualTo(-1L);
    assertThat(relay.transfersSeen()).isEqualTo(1);
    assertThat(relay.toServerDropped.get()).as("ACKs dropped").isPositive();
    assertThat(relay.toClientDropped.get()).as("DATA dropped").isPositive();
    double rate = (double) (relay.toServerDropped.get() + relay.toClientDropped.get())
        / (relay.toServer.get() + relay.toServerDropped.get() + relay.toClient.get() + relay.toClientDropped.get());
    assertThat(rate).as("overall drop rate").isBetween(0.03, 0.07);
    BootEvent event = SERVED.server().events.poll(30, java.util.concurrent.TimeUnit.SECONDS);
    LOG.info("{}: server event '{}'", client, event == null ? "none yet" : event.getMessage());
    SERVED.server().events.clear();
  }
}
