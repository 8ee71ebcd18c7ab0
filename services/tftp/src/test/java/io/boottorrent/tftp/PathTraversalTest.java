package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.PathVariants;
import io.boottorrent.testsupport.PathVariants.Lab;
import io.boottorrent.testsupport.PathVariants.Outcome;
import io.boottorrent.testsupport.PathVariants.Variant;
import io.boottorrent.testsupport.PathVariants.Where;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link PathVariants} variant against the real TFTP server: as a raw RRQ (the name's bytes as
 * they are, NUL included) and through tftp-hpa and atftp. A served variant must bring exactly the file
 * inside the root; a refused one the RFC 1350 error code (1 FILE_NOT_FOUND, 2 ACCESS_VIOLATION) and
 * an error message naming no server path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PathTraversalTest {
  private static final Pattern HPA_ERROR = Pattern.compile("Error code (\\d+)");
  /** atftp prints the server's message, not its code: the test compares it with the raw RRQ's answer. */
  private static final Pattern ATFTP_ERROR = Pattern.compile("error received from server <(.*)>");

  @TempDir static Path dir;
  Vertx vertx;
  TftpServerFixture server;
  Lab lab;

  @BeforeAll
  void start() throws Exception {
    Gate.requireRoot("the hard-link variants need a file of another owner (chown)");
    vertx = Vertx.vertx();
    lab = PathVariants.lab(dir, "tftp", "the boot file inside the root\n".getBytes(StandardCharsets.US_ASCII));
    server = new TftpServerFixture(vertx, dir, List.of(), tftp -> {});
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  static List<Variant> variants() {
    return PathVariants.ALL;
  }

  @ParameterizedTest(name = "raw RRQ {0}")
  @MethodSource("variants")
  void rawReadRequest(Variant v) throws Exception {
    String name = v.request(PathVariants.FILE, lab.parent());
    Outcome expected = v.expected(Where.TFTP);
    try (TestClient client = new TestClient(server.port())) {
      if (expected == Outcome.SERVED) {
        assertThat(client.get(name, TransferOptions.NONE).bytes()).as(v.label()).isEqualTo(lab.servedBytes(v));
        return;
      }
      TftpPacket.ErrorPacket error = refusal(v, name);
      assertThat(Integer.toString(error.code())).as("%s: %s", v.label(), error.message())
          .isEqualTo(expected.cell(Where.TFTP).replace("error ", ""));
      assertThat(error.message()).as(v.label()).doesNotContain(dir.toString()).doesNotContain(PathVariants.SECRET.trim());
    }
  }

  /** The ERROR a raw RRQ for {@code name} gets (the name's bytes as they are, then octet mode). */
  private TftpPacket.ErrorPacket refusal(Variant v, String name) {
    try (TestClient client = new TestClient(server.port())) {
      ByteArrayOutputStream rrq = new ByteArrayOutputStream();
      rrq.writeBytes(new byte[] {0, 1});
      rrq.writeBytes(PathVariants.bytes(name));
      rrq.write(0);
      rrq.writeBytes("octet".getBytes(StandardCharsets.US_ASCII));
      rrq.write(0);
      client.sendRaw(rrq.toByteArray(), server.port());
      TftpPacket answer = client.expect(10_000).packet();
      assertThat(answer).as(v.label()).isInstanceOf(TftpPacket.ErrorPacket.class);
      return (TftpPacket.ErrorPacket) answer;
    }
  }

  /** argv cannot carry a NUL; tftp-hpa reads "get a:b" as host a, file b. */
  static List<Variant> hpaVariants() {
    return PathVariants.ALL.stream().filter(v -> !v.request().contains("\0") && !v.request().contains(":")).toList();
  }

  /** argv cannot carry a NUL; atftp cuts a name at 255 characters (it would ask for another name). */
  static List<Variant> atftpVariants() {
    return PathVariants.ALL.stream().filter(v -> !v.request().contains("\0") && v.request().length() < 255).toList();
  }

  @ParameterizedTest(name = "tftp-hpa {0}")
  @MethodSource("hpaVariants")
  void tftpHpa(Variant v) throws Exception {
    String tftp = ExternalClients.require(ExternalClients.TFTP_HPA, "tftp-hpa");
    String name = v.request(PathVariants.FILE, lab.parent());
    Path dest = dir.resolve("hpa.out");
    Files.deleteIfExists(dest);
    Proc.Result run = ExternalClients.run(List.of(tftp, "-m", "binary", "127.0.0.1",
        Integer.toString(server.port()), "-c", "get", name, dest.toString()), dir, 60);
    check(v, run.output(), HPA_ERROR, dest, m -> "error " + m.group(1));
  }

  @ParameterizedTest(name = "atftp {0}")
  @MethodSource("atftpVariants")
  void atftp(Variant v) throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    String name = v.request(PathVariants.FILE, lab.parent());
    Path dest = dir.resolve("atftp.out");
    Files.deleteIfExists(dest);
    Proc.Result run = ExternalClients.run(List.of(atftp, "--trace", "--get", "-r", name, "-l", dest.toString(),
        "127.0.0.1", Integer.toString(server.port())), dir, 60);
    // atftp shows the message only: it must be the one the raw RRQ of that name gets, whose code is checked
    check(v, run.output(), ATFTP_ERROR, dest, m -> {
      TftpPacket.ErrorPacket raw = refusal(v, name);
      return m.group(1).equals(raw.message()) ? "error " + raw.code() : "message '" + m.group(1) + "'";
    });
  }

  private void check(Variant v, String output, Pattern error, Path dest,
      java.util.function.Function<Matcher, String> cell) throws Exception {
    Outcome expected = v.expected(Where.TFTP);
    Matcher m = error.matcher(output);
    if (expected == Outcome.SERVED) {
      assertThat(m.find()).as("%s: %s", v.label(), output).isFalse();
      assertThat(Files.readAllBytes(dest)).as(v.label()).isEqualTo(lab.servedBytes(v));
    } else {
      assertThat(m.find()).as("%s: an ERROR in %s", v.label(), output).isTrue();
      assertThat(cell.apply(m)).as("%s: %s", v.label(), output).isEqualTo(expected.cell(Where.TFTP));
      assertThat(output).as(v.label()).doesNotContain(PathVariants.SECRET.trim());
      assertThat(!Files.exists(dest) || Files.size(dest) == 0).as("%s: nothing written", v.label()).isTrue();
    }
  }
}
