package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.Prometheus;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.MalformedPacketException;
import io.boottorrent.tftp.protocol.Netascii;
import io.boottorrent.tftp.protocol.TftpCodec;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TransferMode;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of read requests that never ACK (what spoofed RRQs are to the server) drives the transfer
 * caps past their edge: {@value #CLIENTS} source addresses of 127.0.0.0/8 (all of it is loopback on
 * Linux, so many addresses need no namespace) × {@value #PORTS_PER_CLIENT} ports each, against
 * {@code maxTransfers} {@value #MAX_TRANSFERS} and {@code maxTransfersPerClient} {@value #PER_CLIENT}.
 * Exactly the caps' worth start; every other request gets ERROR 0 from port 69's socket; the process's
 * open descriptors grow by two per running transfer at most and come back once the silent transfers
 * time out; real clients (atftp, tftp-hpa) are told "server busy" while the caps are full and get the
 * file byte-identical after. Two floods in a row: nothing leaks from the first. Silent requests for
 * the largest windows hold no window; silent netascii requests for one big file read it once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TftpFloodTest {
  static final int MAX_TRANSFERS = 200;
  static final int PER_CLIENT = 4;
  static final int CLIENTS = 60;
  static final int PORTS_PER_CLIENT = 8;
  static final int SIZE = 1024 * 1024;
  static final String FILE = "undionly.kpxe";
  static final String TEXT_FILE = "menu.txt";
  static final int TEXT_SIZE = 16 * 1024 * 1024;

  @TempDir Path dir;
  private Vertx vertx;
  private TftpServerFixture server;
  private Path source;

  @BeforeEach
  void start() throws Exception {
    vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    // a silent transfer holds its socket and file for 4 + 8 s (timeoutMs, one retry), long enough for
    // the whole flood to arrive while the first transfers still run (on 2 busy cores), short enough for the test
    server = new TftpServerFixture(vertx, dir.resolve("data"), List.of(), t -> t.put("bindHost", "0.0.0.0")
        .put("timeoutMs", 4000).put("retries", 1)
        .put("maxTransfers", MAX_TRANSFERS).put("maxTransfersPerClient", PER_CLIENT));
    source = ExternalClients.randomFile(server.root, FILE, SIZE, 13);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    vertx.close().await();
  }

  @Test
  void aFloodOfSilentReadRequestsGetsTheCapsWorthOfTransfersAndDescriptorsComeBack() throws Exception {
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    String tftpHpa = ExternalClients.require(ExternalClients.TFTP_HPA, "tftp-hpa");
    System.gc();
    long fdsBefore = openDescriptors();
    long rssBefore = rssKiB();
    for (int round = 1; round <= 2; round++) {
      // WHEN 480 read requests from 60 addresses arrive together and none of them is ever answered
      List<Flooder> flood = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        for (int p = 0; p < PORTS_PER_CLIENT; p++) {
          flood.add(new Flooder(InetAddress.getByName("127.0.1." + (c + 1))));
        }
      }
      long fdsWithFlooders = openDescriptors();
      ReadRequest rrq = new ReadRequest(FILE, TransferMode.OCTET);
      Map<Flooder, Received> answers = exchange(flood, rrq, server.port(), Duration.ofSeconds(30));
      Map<String, Integer> started = new HashMap<>();
      Map<String, Integer> busyByMessage = new HashMap<>();
      Set<Integer> tids = new HashSet<>();
      for (Flooder f : flood) {
        Received first = answers.get(f);
        if (first.packet() instanceof Data data) {
          assertThat(data.block()).isEqualTo(1);
          assertThat(first.port()).as("a transfer answers from its own TID").isNotEqualTo(server.port());
          tids.add(first.port());
          started.merge(f.host(), 1, Integer::sum);
        } else {
          ErrorPacket error = (ErrorPacket) first.packet();
          assertThat(error.code()).isEqualTo(ErrorCode.NOT_DEFINED.code());
          assertThat(first.port()).as("a refusal comes from the request port").isEqualTo(server.port());
          busyByMessage.merge(error.message(), 1, Integer::sum);
        }
      }
      long fdsDuringFlood = openDescriptors();
      long rssDuringFlood = rssKiB();

      // THEN exactly the total cap's worth of transfers started, none of any address above its cap
      int running = started.values().stream().mapToInt(Integer::intValue).sum();
      assertThat(running).isEqualTo(MAX_TRANSFERS);
      assertThat(tids).hasSize(MAX_TRANSFERS);
      assertThat(started.values()).allMatch(n -> n <= PER_CLIENT);
      assertThat(busyByMessage).containsOnlyKeys(
          "server busy: 200 transfers running (tftp.maxTransfers), try again later",
          "too many transfers from your address: 4 running (tftp.maxTransfersPerClient), try again later");
      assertThat(busyByMessage.values().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(CLIENTS * PORTS_PER_CLIENT - MAX_TRANSFERS);
      int resent = flood.stream().mapToInt(f -> f.resent).sum();
      // AND the server holds at most a socket and a file per transfer (plus a few for the JVM's own use)
      long serverGrowth = fdsDuringFlood - fdsWithFlooders;
      assertThat(serverGrowth).as("descriptors the server opened for the flood").isLessThanOrEqualTo(2L * MAX_TRANSFERS + 16);

      // AND while the caps are full, real clients are told the server is busy, and why
      Path busyCopy = dir.resolve("busy-" + round + ".bin");
      Proc.Result busy = ExternalClients.run(List.of(atftp, "--get", "-r", FILE, "-l", busyCopy.toString(),
          "127.0.0.1", Integer.toString(server.port())), dir, 30);
      assertThat(busy.exit()).as(busy.output()).isNotZero();
      assertThat(busy.output()).contains("server busy");
      Map<String, Double> counted = Prometheus.parse(Meters.prometheus(vertx).orElseThrow().scrape());
      System.out.printf("round %d: %d transfers started, refused %s; /proc/self/fd %d before, %d with %d flooder"
          + " sockets, %d during the flood (+%d by the server); VmRSS %d KiB before, %d KiB during; %d RRQs resent"
          + " (dropped by the kernel); boottorrent_tftp_refused_busy_total total=%.0f client=%.0f%n", round, running,
          busyByMessage.values(),
          fdsBefore, fdsWithFlooders, flood.size(), fdsDuringFlood, serverGrowth, rssBefore, rssDuringFlood, resent,
          Prometheus.value(counted, "boottorrent_tftp_refused_busy_total{cap=\"total\"}"),
          Prometheus.value(counted, "boottorrent_tftp_refused_busy_total{cap=\"client\"}"));

      // WHEN the silent transfers have timed out (the flooders close their ports)
      flood.forEach(Flooder::close);
      Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(),
          Map.of("boottorrent_tftp_transfers_active", 0.0), Duration.ofSeconds(30));

      // THEN atftp and tftp-hpa get the file byte-identical
      Path atftpCopy = dir.resolve("atftp-" + round + ".bin");
      Proc.Result a = ExternalClients.run(List.of(atftp, "--get", "-r", FILE, "-l", atftpCopy.toString(),
          "--option", "blksize 1428", "127.0.0.1", Integer.toString(server.port())), dir, 60);
      assertThat(a.exit()).as(a.output()).isZero();
      assertThat(Files.mismatch(source, atftpCopy)).isEqualTo(-1L);
      Path hpaCopy = dir.resolve("tftp-hpa-" + round + ".bin");
      Proc.Result h = ExternalClients.run(List.of(tftpHpa, "-m", "binary", "127.0.0.1", Integer.toString(server.port()),
          "-c", "get", FILE, hpaCopy.toString()), dir, 60);
      assertThat(h.exit()).as(h.output()).isZero();
      assertThat(Files.mismatch(source, hpaCopy)).isEqualTo(-1L);

      // AND the descriptors are back where they were (sockets close once their last packet is out)
      long fdsAfter = awaitDescriptorsAtMost(fdsBefore + 8, Duration.ofSeconds(10));
      System.gc();
      long rssAfter = rssKiB();
      System.out.printf("round %d: after the flood /proc/self/fd %d (before %d), VmRSS %d KiB (before %d)%n", round,
          fdsAfter, fdsBefore, rssAfter, rssBefore);
      assertThat(fdsAfter).isLessThanOrEqualTo(fdsBefore + 8);
      // a transfer's read-ahead is 256 KiB: 200 of them are 50 MiB of heap at most; the JVM keeps what it grew
      assertThat(rssAfter - rssBefore).as("VmRSS growth, KiB").isLessThan(256 * 1024);
    }
    Map<String, Double> counted = Prometheus.parse(Meters.prometheus(vertx).orElseThrow().scrape());
    assertThat(Prometheus.value(counted, "boottorrent_tftp_refused_busy_total{cap=\"total\"}")
        + Prometheus.value(counted, "boottorrent_tftp_refused_busy_total{cap=\"client\"}"))
        .as("every refusal counted (a resent RRQ may be refused twice), atftp's two included").isGreaterThanOrEqualTo(2.0 * (CLIENTS * PORTS_PER_CLIENT - MAX_TRANSFERS) + 2);
  }

  @Test
  void silentRequestsForTheLargestWindowsGetAnOptionAckAndNoDataSoTheyHoldNoWindowInMemory() throws Exception {
    // (octet: what firmware asks for; netascii in the next test)
    System.gc();
    long rssBefore = rssKiB();
    // WHEN 200 silent requests (50 addresses x 4 ports) ask for 64 blocks of 65464 bytes at a time: a
    // window of 4 MiB each, 800 MiB if it were sent to the (spoofed) senders
    List<Flooder> flood = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      for (int p = 0; p < PER_CLIENT; p++) {
        flood.add(new Flooder(InetAddress.getByName("127.0.2." + (c + 1))));
      }
    }
    ReadRequest rrq = new ReadRequest(FILE, TransferMode.OCTET,
        TransferOptions.of("blksize", "65464", "windowsize", "64"));
    Map<Flooder, Received> answers = exchange(flood, rrq, server.port(), Duration.ofSeconds(30));
    long rssDuring = rssKiB();

    // THEN each gets an OACK and no DATA: nothing is read or sent before the client's ACK 0 proves it is
    // at its address (a blind spoofer never sees the OACK's port), so no window is held
    assertThat(answers.values()).allMatch(r -> r.packet() instanceof OptionAck);
    Thread.sleep(1000);
    int more = 0;
    for (Flooder f : flood) {
      for (Received r = f.poll(); r != null; r = f.poll()) {
        assertThat(r.packet()).as("only OACKs (resent after the timeout)").isInstanceOf(OptionAck.class);
        more++;
      }
    }
    System.out.printf("200 silent RRQs for windowsize 64 x blksize 65464: 200 OACKs (+%d resent), no DATA;"
        + " VmRSS %d KiB before, %d KiB with the transfers waiting%n", more, rssBefore, rssDuring);
    assertThat(rssDuring - rssBefore).as("VmRSS growth, KiB").isLessThan(128 * 1024);
    flood.forEach(Flooder::close);
    Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(),
        Map.of("boottorrent_tftp_transfers_active", 0.0), Duration.ofSeconds(30));
  }

  @Test
  void silentNetasciiRequestsForOneBigFileReadItOnceAndARealClientGetsItConverted() throws Exception {
    String tftpHpa = ExternalClients.require(ExternalClients.TFTP_HPA, "tftp-hpa");
    // GIVEN a 16 MiB text file with LFs, CRs and CR LFs: its netascii length is known only by reading all of it
    Path text = server.root.resolve(TEXT_FILE);
    byte[] content = text(TEXT_SIZE, 17);
    Files.write(text, content);
    long encoded = Netascii.encodedLength(content, 0, content.length);
    System.gc();
    long rssBefore = rssKiB();
    long measuredBefore = server.verticle.netasciiMeasurements();
    // WHEN 200 silent netascii RRQs (50 addresses x 4 ports) arrive in two bursts of 100: without options
    // (the server sends DATA 1 at once), then asking for tsize and blksize 1428 (an OACK first)
    List<Flooder> flood = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      for (int p = 0; p < PER_CLIENT; p++) {
        flood.add(new Flooder(InetAddress.getByName("127.0.3." + (c + 1))));
      }
    }
    List<Flooder> plain = new ArrayList<>();
    List<Flooder> withOptions = new ArrayList<>();
    for (int i = 0; i < flood.size(); i++) {
      (i % 2 == 0 ? plain : withOptions).add(flood.get(i));
    }
    long startNanos = System.nanoTime();
    Map<Flooder, Received> answers = new HashMap<>(exchange(plain, new ReadRequest(TEXT_FILE, TransferMode.NETASCII),
        server.port(), Duration.ofSeconds(60)));
    answers.putAll(exchange(withOptions, new ReadRequest(TEXT_FILE, TransferMode.NETASCII,
        TransferOptions.of("tsize", "0", "blksize", "1428")), server.port(), Duration.ofSeconds(60)));
    long answeredMs = (System.nanoTime() - startNanos) / 1_000_000;
    long rssDuring = rssKiB();
    long measured = server.verticle.netasciiMeasurements() - measuredBefore;
    System.out.printf("200 silent netascii RRQs for a %d MiB text file (%d bytes on the wire): all answered in %d ms;"
        + " whole-file reads %d; VmRSS %d KiB before, %d KiB with the transfers waiting (+%d KiB)%n",
        TEXT_SIZE >> 20, encoded, answeredMs, measured, rssBefore, rssDuring, rssDuring - rssBefore);

    // THEN each got its first packet: DATA 1 with the first 512 converted bytes, or an OACK of blksize
    // and no tsize (in netascii the size on the wire is not the file's, as in tftp-hpa)
    byte[] wire = netascii(content, 0, 2048);
    for (Flooder f : plain) {
      Data data = (Data) answers.get(f).packet();
      assertThat(data.block()).isEqualTo(1);
      assertThat(data.payload()).isEqualTo(Arrays.copyOf(wire, 512));
    }
    for (Flooder f : withOptions) {
      OptionAck oack = (OptionAck) answers.get(f).packet();
      assertThat(oack.options().values()).containsExactly(Map.entry("blksize", "1428"));
    }
    // AND the file was read once to learn its length, not once per request; the heap did not grow with them
    assertThat(measured).as("whole-file reads for 200 RRQs of one file").isEqualTo(1);
    assertThat(rssDuring - rssBefore).as("VmRSS growth, KiB").isLessThan(96 * 1024);

    // WHEN the silent transfers have timed out (they hold the whole total cap) and tftp-hpa gets the
    // file in netascii ("ascii") mode
    flood.forEach(Flooder::close);
    Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(),
        Map.of("boottorrent_tftp_transfers_active", 0.0), Duration.ofSeconds(30));
    Path copy = dir.resolve("text-copy.txt");
    Proc.Result h = ExternalClients.run(List.of(tftpHpa, "-m", "ascii", "127.0.0.1", Integer.toString(server.port()),
        "-c", "get", TEXT_FILE, copy.toString()), dir, 120);
    // THEN it converts back to the file's bytes, and the length was not measured again
    assertThat(h.exit()).as(h.output()).isZero();
    assertThat(Files.mismatch(text, copy)).isEqualTo(-1L);
    assertThat(server.verticle.netasciiMeasurements() - measuredBefore).isEqualTo(1);
  }

  /** Text of LFs, CRs (some in CR LF pairs) and letters, like a config file with mixed line ends. */
  private static byte[] text(int size, long seed) {
    Random random = new Random(seed);
    byte[] alphabet = "abcdefgh ijklmnop\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return bytes;
  }

  /** The netascii encoding (RFC 764: LF as CR LF, CR as CR NUL) of {@code bytes[from, from+len)}. */
  private static byte[] netascii(byte[] bytes, int from, int len) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < from + len; i++) {
      if (bytes[i] == '\n') {
        out.write('\r');
        out.write('\n');
      } else if (bytes[i] == '\r') {
        out.write('\r');
        out.write(0);
      } else {
        out.write(bytes[i]);
      }
    }
    return out.toByteArray();
  }

  private static long awaitDescriptorsAtMost(long limit, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long now = openDescriptors();
    while (now > limit && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = openDescriptors();
    }
    return now;
  }

  static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  static long rssKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new AssertionError("no VmRSS in /proc/self/status");
  }

  record Received(TftpPacket packet, int port) {}

  /**
   * Sends {@code request} from every flooder at once and collects each one's first answer, sending
   * the request again each second to those without one, as a client does: a burst of hundreds of RRQs
   * overflows the request socket's receive buffer, and the kernel drops some.
   */
  static Map<Flooder, Received> exchange(List<Flooder> flood, TftpPacket request, int port, Duration timeout)
      throws Exception {
    Map<Flooder, Received> answers = new HashMap<>();
    List<Flooder> pending = new ArrayList<>(flood);
    for (Flooder f : pending) {
      f.send(request, port);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    long resendAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (!pending.isEmpty()) {
      boolean any = false;
      for (var it = pending.iterator(); it.hasNext(); ) {
        Flooder f = it.next();
        Received r = f.poll();
        if (r != null) {
          answers.put(f, r);
          it.remove();
          any = true;
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(pending.size() + " RRQs got no answer in " + timeout.toSeconds() + " s");
      }
      if (System.nanoTime() - resendAt > 0) {
        for (Flooder f : pending) {
          f.send(request, port);
          f.resent++;
        }
        resendAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      }
      if (!any) {
        Thread.sleep(10);
      }
    }
    return answers;
  }

  /** One flooding port: sends a request and reads the first answer, never acknowledges anything. */
  static final class Flooder implements AutoCloseable {
    private final DatagramChannel channel;
    private final InetAddress address;
    private final ByteBuffer buffer = ByteBuffer.allocate(2048);
    int resent;

    Flooder(InetAddress address) throws IOException {
      this.address = address;
      channel = DatagramChannel.open().bind(new InetSocketAddress(address, 0));
      channel.configureBlocking(false);
    }

    String host() {
      return address.getHostAddress();
    }

    void send(TftpPacket packet, int port) throws IOException {
      channel.send(ByteBuffer.wrap(TftpCodec.encode(packet)), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    /** The next datagram received, or null. */
    Received poll() throws IOException {
      buffer.clear();
      InetSocketAddress from = (InetSocketAddress) channel.receive(buffer);
      if (from == null) {
        return null;
      }
      try {
        return new Received(TftpCodec.decode(buffer.array(), 0, buffer.position()), from.getPort());
      } catch (MalformedPacketException e) {
        throw new AssertionError("server sent a malformed packet: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
