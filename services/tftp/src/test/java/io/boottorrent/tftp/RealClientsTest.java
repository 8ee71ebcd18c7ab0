package io.boottorrent.tftp;

import io.boottorrent.testsupport.Proc;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real TFTP clients fetch a 16 MiB random file from the verticle on loopback and must get it
 * byte-identical: tftp-hpa (RFC 1350 only, 512-byte lockstep), atftp (with and without
 * blksize/windowsize), curl (default options and {@code --tftp-blksize 1468}). A test is skipped
 * when its client is not installed (Debian packages tftp-hpa, atftp, curl).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class RealClientsTest {
  private static final Logger LOG = LoggerFactory.getLogger(RealClientsTest.class);
  static final int SIZE = 16 * 1024 * 1024;
  static final String FILE = "image-16m.bin";

  @RegisterExtension
  static final ServedFile SERVED = new ServedFile(FILE, SIZE, 16,
      tftp -> tftp.put("timeoutMs", 1000));


  @Test
  void tftpHpaFetchesA16MiBFileByteIdenticalInLockstep() throws Exception {
    String tftp = ExternalClients.require(ExternalClients.TFTP_HPA, "tftp-hpa");
    // GIVEN a 16 MiB file in the root
    Path dest = SERVED.dir().resolve("tftp-hpa.bin");
    // WHEN tftp-hpa (no option support: 512-byte blocks, one ACK per block) gets it
    Proc.Result run = ExternalClients.run(
        List.of(tftp, "-m", "binary", "127.0.0.1", port(), "-c", "get", FILE, dest.toString()),
        SERVED.dir(), 100);
    // THEN the copy is byte-identical and the transfer is reported
    assertFetched("tftp-hpa", run, dest);
  }

  @Test
  void atftpWithBlksizeAndWindowsizeFetchesA16MiBFileByteIdentical() throws Exception {
    // WHEN atftp asks for 1428-byte blocks in windows of 8 (RFC 2348 + RFC 7440)
    atftp("atftp blksize 1428 windowsize 8", "atftp-options.bin",
        "--option", "blksize 1428", "--option", "windowsize 8");
  }

  @Test
  void atftpWithoutOptionsFetchesA16MiBFileByteIdentical() throws Exception {
    atftp("atftp", "atftp-plain.bin");
  }

  /** atftp with {@code options} gets the file into {@code destName}: byte-identical and reported. */
  private void atftp(String label, String destName, String... options) throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    Path dest = SERVED.dir().resolve(destName);
    List<String> command = new java.util.ArrayList<>(List.of(atftp, "--get", "-r", FILE, "-l", dest.toString()));
    command.addAll(List.of(options));
    command.addAll(List.of("127.0.0.1", port()));
    assertFetched(label, ExternalClients.run(command, SERVED.dir(), 100), dest);
  }

  @Test
  void curlWithDefaultOptionsFetchesA16MiBFileByteIdentical() throws Exception {
    String curl = ExternalClients.require(ExternalClients.CURL, "curl");
    Path dest = SERVED.dir().resolve("curl.bin");
    Proc.Result run = ExternalClients.run(List.of(curl, "-s", "-S",
        "tftp://127.0.0.1:" + SERVED.server().port() + "/" + FILE, "-o", dest.toString()), SERVED.dir(), 100);
    assertFetched("curl", run, dest);
  }

  @Test
  void curlWithBlksize1468FetchesA16MiBFileByteIdentical() throws Exception {
    String curl = ExternalClients.require(ExternalClients.CURL, "curl");
    Path dest = SERVED.dir().resolve("curl-1468.bin");
    Proc.Result run = ExternalClients.run(List.of(curl, "-s", "-S", "--tftp-blksize", "1468",
        "tftp://127.0.0.1:" + SERVED.server().port() + "/" + FILE, "-o", dest.toString()), SERVED.dir(), 100);
    assertFetched("curl --tftp-blksize 1468", run, dest);
  }

  private static String port() {
    return Integer.toString(SERVED.server().port());
  }

  private void assertFetched(String client, Proc.Result run, Path dest) throws Exception {
    assertThat(run.exit()).as("%s exit code; output:%n%s", client, run.output()).isZero();
    assertThat(dest).exists();
    assertThat(Files.size(dest)).as("%s copy size", client).isEqualTo(SIZE);
    assertThat(Files.mismatch(SERVED.source(), dest)).as("%s copy: first differing byte", client).isEqualTo(-1L);
    BootEvent event = SERVED.server().nextEvent(10);
    assertThat(event.getStage()).isEqualTo(BootStage.TFTP_TRANSFER);
    assertThat(event.getIp()).isEqualTo("127.0.0.1");
    assertThat(event.getMessage()).startsWith(FILE + " " + SIZE + " bytes in ");
    LOG.info("{}: 16 MiB in {} ms (client wall time); server: {}", client, run.elapsed().toMillis(), event.getMessage());
  }
}
