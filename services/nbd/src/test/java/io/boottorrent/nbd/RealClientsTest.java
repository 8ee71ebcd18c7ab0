package io.boottorrent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server against real NBD clients (qemu-img, qemu-io, nbdinfo, nbdcopy, nbdsh): a 4 MiB random
 * image must come out byte for byte, writes must be refused, and a slow read must not hold back a
 * fast one behind it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RealClientsTest {
  static final int SIZE = 4 << 20;
  @TempDir
  Path dir;
  Vertx vertx;
  Path image;
  byte[] bytes;
  FileBlockSource file;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    // a multiple of 512: qemu's NBD client rounds an export's size up to a sector and then fails
    // reading the tail (found here); odd offsets and lengths are nbdsh's to test
    bytes = new byte[SIZE + 3 * 512];
    new Random(15).nextBytes(bytes);
    image = dir.resolve("image.raw");
    Files.write(image, bytes);
    file = get(FileBlockSource.open(vertx, image.toString()));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  record Run(int exit, String output) {}

  static Run run(String... command) throws IOException, InterruptedException {
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    // nbdsh runs "env python3": Debian's, which has python3-libnbd, not another one earlier on the PATH
    b.environment().put("PATH", "/usr/bin:/bin:" + System.getenv().getOrDefault("PATH", ""));
    Process p = b.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  NbdServer tcp(BlockSource source) throws Exception {
    return get(NbdServer.tcp(vertx, "boot", source, 0).start());
  }

  @Test
  @DisplayName("qemu-img info sees a raw export of the image's exact size")
  void qemuImgInfo() throws Exception {
    String qemuImg = Gate.requireCommand("qemu-img", "qemu-utils").toString();
    NbdServer server = tcp(file);
    Run r = run(qemuImg, "info", "--output=json", server.uri());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("\"virtual-size\": " + bytes.length).contains("\"format\": \"raw\"");
  }

  @Test
  @DisplayName("qemu-img convert and nbdcopy copy the whole export byte for byte")
  void wholeExportCopiesExactly() throws Exception {
    String qemuImg = Gate.requireCommand("qemu-img", "qemu-utils").toString();
    String nbdcopy = Gate.requireCommand("nbdcopy", "libnbd-bin").toString();
    NbdServer server = tcp(file);
    Path viaQemu = dir.resolve("qemu.raw");
    Run r = run(qemuImg, "convert", "-f", "raw", "-O", "raw", server.uri(), viaQemu.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(Files.readAllBytes(viaQemu)).isEqualTo(bytes);
    Path viaNbdcopy = dir.resolve("nbdcopy.raw");
    r = run(nbdcopy, server.uri(), viaNbdcopy.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(Files.readAllBytes(viaNbdcopy)).isEqualTo(bytes);
    assertThat(server.bytesServed()).isGreaterThanOrEqualTo(2L * bytes.length);
    assertThat(server.readsInFlight()).isZero();
  }

  @Test
  @DisplayName("nbdinfo --list names the export; nbdinfo shows its size, read-only, multi-conn")
  void nbdinfo() throws Exception {
    String nbdinfo = Gate.requireCommand("nbdinfo", "libnbd-bin").toString();
    NbdServer server = tcp(file);
    Run list = run(nbdinfo, "--list", "nbd://127.0.0.1:" + server.port());
    assertThat(list.exit()).as(list.output()).isZero();
    assertThat(list.output()).contains("export=\"boot\"");
    Run info = run(nbdinfo, "--json", server.uri());
    assertThat(info.exit()).as(info.output()).isZero();
    assertThat(info.output().replace(" ", "")).contains("\"export-size\":" + bytes.length)
        .contains("\"is_read_only\":true").contains("\"can_multi_conn\":true").contains("\"can_flush\":true")
        .contains("\"can_zero\":false");
  }

  @Test
  @DisplayName("nbdsh reads at odd offsets and lengths, the last byte included, over TCP and a Unix socket")
  void oddReads() throws Exception {
    String nbdsh = Gate.requireCommand("nbdsh", "libnbd-bin").toString();
    NbdServer server = tcp(file);
    NbdServer unix = get(NbdServer.unix(vertx, "boot", file, dir.resolve("nbd.sock").toString()).start());
    long[][] cuts = {{0, 1}, {1, 511}, {4095, 4097}, {bytes.length - 1, 1}, {12345, 1 << 20}, {bytes.length - 777, 777}};
    for (NbdServer s : List.of(server, unix)) {
      StringBuilder script = new StringBuilder("import hashlib\n");
      for (long[] c : cuts) {
        script.append("print(hashlib.sha256(h.pread(").append(c[1]).append(", ").append(c[0]).append(")).hexdigest())\n");
      }
      Run r = run(nbdsh, "-u", s.uri(), "-c", script.toString());
      assertThat(r.exit()).as(s.uri() + ": " + r.output()).isZero();
      StringBuilder expected = new StringBuilder();
      for (long[] c : cuts) {
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(bytes, (int) c[0], (int) c[1]);
        expected.append(java.util.HexFormat.of().formatHex(sha.digest())).append('\n');
      }
      assertThat(r.output()).as(s.uri()).isEqualTo(expected.toString());
    }
    assertThat(unix.uri()).startsWith("nbd+unix:///boot?socket=");
    assertThat(unix.socketPath()).contains(dir.resolve("nbd.sock"));
    assertThat(server.socketPath()).isEmpty();
  }

  @Test
  @DisplayName("writes are refused (qemu-io), and reading past the end is an error, not data")
  void writesRefusedAndOutOfRange() throws Exception {
    String qemuIo = Gate.requireCommand("qemu-io", "qemu-utils").toString();
    String nbdsh = Gate.requireCommand("nbdsh", "libnbd-bin").toString();
    NbdServer server = tcp(file);
    Run w = run(qemuIo, "-f", "raw", "-c", "write -P 0x55 0 4096", server.uri());
    // qemu opens a read-only export read-write only to fail: the export says READ_ONLY
    assertThat(w.exit()).isNotZero();
    assertThat(w.output()).contains("Permission denied");
    // libnbd checks ranges itself; strict_mode 0 makes it send what we say, so the server answers
    Run r = run(nbdsh, "-u", server.uri(), "-c", "h.set_strict_mode(0)\n"
        + "try:\n  h.pread(512, " + (bytes.length - 100) + ")\n  print('READ')\nexcept nbd.Error as e:\n  print('ERRNO', e.errno)\n"
        + "try:\n  h.pwrite(b'x' * 4096, 0)\n  print('WROTE')\nexcept nbd.Error as e:\n  print('ERRNO', e.errno)\n"
        + "print(h.pread(4, 0).hex())\n");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("ERRNO EINVAL\n").contains("ERRNO EPERM\n")
        .endsWith(java.util.HexFormat.of().formatHex(bytes, 0, 4) + "\n");
    assertThat(Files.readAllBytes(image)).isEqualTo(bytes);
  }

  @Test
  @DisplayName("a read delayed 2 s does not hold back a later read of another region (out-of-order replies)")
  void slowReadDoesNotBlockFastRead() throws Exception {
    String nbdsh = Gate.requireCommand("nbdsh", "libnbd-bin").toString();
    // reads of the first MiB wait 2 s (a piece still downloading); the rest is served at once
    BlockSource slow = new BlockSource() {
      public long size() {
        return file.size();
      }

      public Future<Buffer> read(long offset, int length) {
        if (offset >= 1 << 20) {
          return file.read(offset, length);
        }
        Promise<Buffer> p = Promise.promise();
        vertx.setTimer(2000, t -> file.read(offset, length).onComplete(p));
        return p.future();
      }
    };
    NbdServer server = tcp(slow);
    ConcurrentLinkedQueue<NbdServer.ReadEvent> events = new ConcurrentLinkedQueue<>();
    server.onRead(events::add);
    // one connection, both commands in flight; the order in which they complete is printed
    String script = String.join("\n",
        "import time",
        "slow = nbd.Buffer(4096)",
        "fast = nbd.Buffer(4096)",
        "c1 = h.aio_pread(slow, 0)",
        "c2 = h.aio_pread(fast, 2 << 20)",
        "order = []",
        "while len(order) < 2:",
        "  h.poll(-1)",
        "  for name, c in (('slow', c1), ('fast', c2)):",
        "    if name not in order and h.aio_command_completed(c):",
        "      order.append(name)",
        "print(' '.join(order))",
        "print(slow.to_bytearray()[:8].hex(), fast.to_bytearray()[:8].hex())",
        "");
    Run r = run(nbdsh, "-u", server.uri(), "-c", script);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).isEqualTo("fast slow\n" + java.util.HexFormat.of().formatHex(bytes, 0, 8) + " "
        + java.util.HexFormat.of().formatHex(bytes, 2 << 20, (2 << 20) + 8) + "\n");
    assertThat(events).extracting(NbdServer.ReadEvent::offset).containsExactly(2L << 20, 0L);
    assertThat(events.stream().filter(e -> e.offset() == 0).findFirst().orElseThrow().took().toMillis())
        .isGreaterThanOrEqualTo(1900);
  }

  @Test
  @DisplayName("a failing read is EIO for that request only; the connection goes on")
  void failedReadIsEio() throws Exception {
    String nbdsh = Gate.requireCommand("nbdsh", "libnbd-bin").toString();
    BlockSource failing = new BlockSource() {
      public long size() {
        return file.size();
      }

      public Future<Buffer> read(long offset, int length) {
        return offset == 0 ? Future.failedFuture("piece 0 failed its hash check") : file.read(offset, length);
      }
    };
    NbdServer server = tcp(failing);
    Run r = run(nbdsh, "-u", server.uri(), "-c",
        "try:\n  h.pread(512, 0)\n  print('READ')\nexcept nbd.Error as e:\n  print('ERRNO', e.errno)\n"
        + "print(h.pread(4, 4096).hex())\n");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).isEqualTo("ERRNO EIO\n" + java.util.HexFormat.of().formatHex(bytes, 4096, 4100) + "\n");
  }
}
