package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.tftp.TestClient.Download;
import io.boottorrent.tftp.TestClient.Received;
import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.Netascii;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TftpPacket.WriteRequest;
import io.boottorrent.tftp.protocol.TransferMode;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The verticle on 127.0.0.1 driven by {@link TestClient}: negotiation, TIDs, retransmission,
 * duplicate and stray packets, path refusals, fallback roots, netascii, rollover, concurrency.
 */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class TftpVerticleTest {
  @TempDir
  Path dir;
  private TftpServerFixture server;

  private TftpServerFixture start(Vertx vertx, Consumer<JsonObject> tweak) throws Exception {
    return start(vertx, List.of(), tweak);
  }

  private TftpServerFixture start(Vertx vertx, List<Path> fallbackRoots, Consumer<JsonObject> tweak) throws Exception {
    server = new TftpServerFixture(vertx, dir.resolve("data"), fallbackRoots, tweak);
    return server;
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static byte[] bytes(int size, int seed) {
    byte[] b = new byte[size];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }

  private Path put(String name, byte[] content) throws Exception {
    Path file = server.root.resolve(name);
    Files.createDirectories(file.getParent());
    return Files.write(file, content);
  }

  @Test
  void negotiatesOptionsAnswersTsizeAndServesFromANewTid(Vertx vertx) throws Exception {
    // GIVEN a 100000-byte file
    start(vertx, t -> {});
    byte[] content = bytes(100_000, 1);
    put("boot/ipxe.efi", content);
    try (TestClient client = new TestClient(server.port())) {
      // WHEN a UEFI-like client asks with tsize, blksize and windowsize
      Download download = client.get("boot/ipxe.efi",
          TransferOptions.of("tsize", "0", "blksize", "1468", "windowsize", "4"));
      // THEN the OACK carries the real size, the accepted values, and the transfer comes from a new port
      assertThat(download.optionAck()).hasValue(new OptionAck(
          TransferOptions.of("tsize", "100000", "blksize", "1468", "windowsize", "4")));
      assertThat(download.tid()).isNotEqualTo(server.port());
      assertThat(download.bytes()).isEqualTo(content);
    }
    // AND a boot event reports the transfer
    BootEvent event = server.nextEvent(5);
    assertThat(event.getStage()).isEqualTo(BootStage.TFTP_TRANSFER);
    assertThat(event.getIp()).isEqualTo("127.0.0.1");
    assertThat(event.getMessage()).matches("boot/ipxe\\.efi 100000 bytes in \\d+ ms");
    assertThat(event.getBytesDone()).isEqualTo(100_000);
    assertThat(event.getBytesTotal()).isEqualTo(100_000);
  }

  @Test
  void aSizeProbeIsReportedAsSuchNotAsAFailedTransfer(Vertx vertx) throws Exception {
    // GIVEN a file
    start(vertx, t -> {});
    put("snponly.efi", bytes(3000, 3));
    try (TestClient client = new TestClient(server.port())) {
      // WHEN a client asks for tsize and ends the transfer on the OACK, as OVMF's PXE does first
      client.sendRequest(new ReadRequest("snponly.efi", TransferMode.OCTET, TransferOptions.of("tsize", "0", "blksize", "1468")));
      Received oack = client.expect(5000);
      assertThat(oack.packet()).isEqualTo(new OptionAck(TransferOptions.of("tsize", "3000", "blksize", "1468")));
      client.send(ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "got the size"), oack.port());
      // THEN no DATA follows
      assertThat(client.receive(1500)).isEmpty();
    }
    // AND the boot event says it was a size probe, not a failure
    BootEvent event = server.nextEvent(5);
    assertThat(event.getStage()).isEqualTo(BootStage.TFTP_TRANSFER);
    assertThat(event.getMessage()).startsWith("snponly.efi size probe (tsize 3000)").doesNotContain("failed");
    assertThat(event.getBytesTotal()).isEqualTo(3000);
  }

  @Test
  void aLeadingSlashAsPxeFirmwareSendsItIsRelativeToTheRoot(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    byte[] content = bytes(1500, 2);
    put("pxelinux.0", content);
    try (TestClient client = new TestClient(server.port())) {
      assertThat(client.get("/pxelinux.0", TransferOptions.NONE).bytes()).isEqualTo(content);
      assertThat(client.get("//./pxelinux.0", TransferOptions.NONE).bytes()).isEqualTo(content);
    }
  }

  @Test
  void anAbsolutePathNeverReachesTheRealFileSystem(Vertx vertx) throws Exception {
    // GIVEN /etc/passwd exists on this machine but not under the root
    start(vertx, t -> {});
    try (TestClient client = new TestClient(server.port())) {
      // WHEN a client asks for /etc/passwd THEN it is looked up as <root>/etc/passwd: not found
      assertThatThrownBy(() -> client.get("/etc/passwd", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    }
  }

  @ParameterizedTest(name = "{0} -> ERROR {1}")
  @CsvSource(delimiter = '|', value = {
      "../outside/secret.txt        | ACCESS_VIOLATION",
      "boot/../../outside/secret.txt| ACCESS_VIOLATION",
      "/../outside/secret.txt       | ACCESS_VIOLATION",
      "boot\\..\\..\\outside\\secret.txt | ACCESS_VIOLATION",
      "escape-link                  | ACCESS_VIOLATION",
      "dir-link/secret.txt          | ACCESS_VIOLATION",
      "missing.bin                  | FILE_NOT_FOUND",
      "boot                         | FILE_NOT_FOUND",
      "/                            | FILE_NOT_FOUND"})
  void refusesNamesThatLeaveTheRootOrNameNoFile(String name, ErrorCode expected, Vertx vertx) throws Exception {
    // GIVEN a secret next to the root, a symlink to it and a directory symlink out of the root
    start(vertx, t -> {});
    Path outside = Files.createDirectories(dir.resolve("data/outside"));
    Files.writeString(outside.resolve("secret.txt"), "secret");
    put("boot/ok.txt", "ok".getBytes(StandardCharsets.US_ASCII));
    Files.createSymbolicLink(server.root.resolve("escape-link"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(server.root.resolve("dir-link"), outside);
    try (TestClient client = new TestClient(server.port())) {
      // WHEN the name is requested THEN the expected ERROR comes back and no data
      assertThatThrownBy(() -> client.get(name.trim(), TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(expected));
    }
    // AND the refusal is reported as a failed transfer
    assertThat(server.nextEvent(5).getMessage()).startsWith(name.trim() + " failed: ");
  }

  @Test
  void aControlCharacterInTheNameIsAnAccessViolation(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    put("a", new byte[] {1});
    try (TestClient client = new TestClient(server.port())) {
      assertThatThrownBy(() -> client.get("a\u0001", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
    }
  }

  @Test
  void aSymlinkInsideTheRootIsServed(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    byte[] content = bytes(700, 3);
    Path target = put("images/kernel-6.1", content);
    Files.createSymbolicLink(server.root.resolve("vmlinuz"), target);
    try (TestClient client = new TestClient(server.port())) {
      assertThat(client.get("vmlinuz", TransferOptions.NONE).bytes()).isEqualTo(content);
    }
  }

  @Test
  void filesAbsentFromTheRootComeFromTheFallbackRootsLikeDebiansIpxeFolder(Vertx vertx) throws Exception {
    // GIVEN a fallback root laid out like Debian's /usr/lib/ipxe: a real file, and ipxe.efi as a
    // symlink to a file elsewhere (/boot/ipxe.efi there, a file root of its own as in the defaults),
    // plus a directory symlink and a file symlink out of the roots
    Path ipxe = Files.createDirectories(dir.resolve("usr-lib-ipxe"));
    Path boot = Files.createDirectories(dir.resolve("boot"));
    byte[] undionly = bytes(74213, 4);
    byte[] efi = bytes(1_000_001, 5);
    Files.write(ipxe.resolve("undionly.kpxe"), undionly);
    Files.write(boot.resolve("ipxe.efi"), efi);
    Files.createSymbolicLink(ipxe.resolve("ipxe.efi"), boot.resolve("ipxe.efi"));
    Files.createSymbolicLink(ipxe.resolve("bootdir"), boot);
    Files.write(boot.resolve("other.efi"), efi);
    Files.createSymbolicLink(ipxe.resolve("other.efi"), boot.resolve("other.efi"));
    start(vertx, List.of(dir.resolve("no-such-folder"), ipxe, boot.resolve("ipxe.efi")), t -> {});
    try (TestClient client = new TestClient(server.port())) {
      // WHEN firmware asks for the iPXE binaries THEN both are served without copying
      assertThat(client.get("undionly.kpxe", TransferOptions.NONE).bytes()).isEqualTo(undionly);
      assertThat(client.get("/ipxe.efi", TransferOptions.of("blksize", "1468")).bytes()).isEqualTo(efi);
      // BUT a path through a directory symlink leading out of the roots is refused (bootdir/ipxe.efi
      // would be served: its real path is a root)
      assertThatThrownBy(() -> client.get("bootdir/other.efi", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
      // AND so is a file symlink to a file that is in no root
      assertThatThrownBy(() -> client.get("other.efi", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
    }
  }

  @Test
  void grubCfgIsTheCatalogsGrubConfigAndTheSecureBootChainComesFromDebiansPackages(Vertx vertx) throws Exception {
    // GIVEN a catalog on the bus answering catalog.boot.script
    io.boottorrent.proto.Codecs.registerAll(vertx.eventBus());
    vertx.eventBus().<io.boottorrent.proto.BootScriptRequest>consumer(io.boottorrent.proto.Addresses.BOOT_SCRIPT,
        m -> m.reply(io.boottorrent.proto.BootScript.newBuilder().setText("linux /vmlinuz " + m.body().getKind() + "\n")
            .build())).completion().await();
    start(vertx, t -> {});
    // (a new client, so a new port, per request, as real clients do: a request from the port of a
    // transfer whose final ACK is still on its way counts as a repeat of that transfer's RRQ)
    // WHEN GRUB asks for its config beside itself, or in its prefix THEN it gets the catalog's
    assertThat(text(get("grub.cfg", TransferMode.OCTET, TransferOptions.NONE))).isEqualTo("linux /vmlinuz grub\n");
    assertThat(text(get("/grub/grub.cfg", TransferMode.OCTET, TransferOptions.of("blksize", "8"))))
        .isEqualTo("linux /vmlinuz grub\n");
    assertThat(text(get("grub.cfg", TransferMode.NETASCII, TransferOptions.NONE))).isEqualTo("linux /vmlinuz grub\r\n");
    // AND an operator's own grub.cfg in the root wins
    put("grub.cfg", "mine".getBytes(StandardCharsets.US_ASCII));
    assertThat(text(get("grub.cfg", TransferMode.OCTET, TransferOptions.NONE))).isEqualTo("mine");
    // AND shim and GRUB are Debian's signed binaries under the names shim loads (when installed)
    for (var e : TftpVerticle.SECURE_BOOT_FILES.entrySet()) {
      if (Files.isRegularFile(e.getValue())) {
        assertThat(get(e.getKey(), TransferMode.OCTET, TransferOptions.of("blksize", "1468")))
            .as(e.getKey()).isEqualTo(Files.readAllBytes(e.getValue()));
      }
    }
  }

  private byte[] get(String file, TransferMode mode, TransferOptions options) {
    try (TestClient client = new TestClient(server.port())) {
      return client.get(file, mode, options).bytes();
    }
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  @Test
  void withoutACatalogGrubCfgIsNotFoundSayingWhy(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("secureBootChain", true));
    try (TestClient client = new TestClient(server.port())) {
      assertThatThrownBy(() -> client.get("grub.cfg", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class, e -> {
            assertThat(e.error.errorCode()).isEqualTo(ErrorCode.FILE_NOT_FOUND);
            assertThat(e.error.message()).startsWith("grub.cfg comes from the catalog, which did not answer");
          });
    }
    server.close();
    start(vertx, t -> t.put("secureBootChain", false));
    try (TestClient client = new TestClient(server.port())) {
      assertThatThrownBy(() -> client.get("shimx64.efi", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    }
  }

  @Test
  void theRootWinsOverTheFallbackRoots(Vertx vertx) throws Exception {
    Path fallback = Files.createDirectories(dir.resolve("fallback"));
    Files.writeString(fallback.resolve("undionly.kpxe"), "from fallback");
    start(vertx, List.of(fallback), t -> {});
    put("undionly.kpxe", "from root".getBytes(StandardCharsets.US_ASCII));
    try (TestClient client = new TestClient(server.port())) {
      assertThat(new String(client.get("undionly.kpxe", TransferOptions.NONE).bytes(), StandardCharsets.US_ASCII))
          .isEqualTo("from root");
    }
  }

  @Test
  void writeRequestsAreRefusedWithAccessViolation(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new WriteRequest("upload.bin", TransferMode.OCTET, TransferOptions.NONE));
      Received reply = client.expect(2000);
      assertThat(reply.packet()).isInstanceOfSatisfying(ErrorPacket.class,
          e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
    }
    assertThat(Files.exists(server.root.resolve("upload.bin"))).isFalse();
  }

  @Test
  void malformedRequestsGetIllegalOperationAndBadOptionsGetOptionNegotiationError(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    try (TestClient client = new TestClient(server.port())) {
      client.sendRaw(new byte[] {0, 1, 'f', 'i', 'l', 'e'}, server.port()); // no NUL, no mode
      assertThat(((ErrorPacket) client.expect(2000).packet()).errorCode()).isEqualTo(ErrorCode.ILLEGAL_OPERATION);
      client.sendRaw(new byte[] {0, 9, 0, 0}, server.port()); // unknown opcode
      assertThat(((ErrorPacket) client.expect(2000).packet()).errorCode()).isEqualTo(ErrorCode.ILLEGAL_OPERATION);
      client.sendRaw(TftpCodecBytes.rrq("f", "octet", "blksize", "4"), server.port());
      ErrorPacket badOption = (ErrorPacket) client.expect(2000).packet();
      assertThat(badOption.errorCode()).isEqualTo(ErrorCode.OPTION_NEGOTIATION);
      assertThat(badOption.message()).contains("blksize 4 is outside 8..65464");
      client.send(new Ack(1), server.port()); // an ACK to the request port
      assertThat(((ErrorPacket) client.expect(2000).packet()).errorCode()).isEqualTo(ErrorCode.ILLEGAL_OPERATION);
      client.sendRequest(new ReadRequest("x", TransferMode.MAIL));
      assertThat(((ErrorPacket) client.expect(2000).packet()).errorCode()).isEqualTo(ErrorCode.ILLEGAL_OPERATION);
      // an ERROR sent to the request port is never answered (no error ping-pong)
      client.send(ErrorPacket.of(ErrorCode.NOT_DEFINED, "hello"), server.port());
      assertThat(client.receive(300)).isEmpty();
    }
  }

  @Test
  void aPacketFromAnUnknownTidGetsError5AndDoesNotDisturbTheTransfer(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 2000));
    byte[] content = bytes(2000, 6);
    put("f.bin", content);
    try (TestClient client = new TestClient(server.port()); TestClient stranger = new TestClient(server.port())) {
      // GIVEN a lockstep transfer in progress: DATA 1 received from the server's TID
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      Received data1 = client.expect(2000);
      assertThat(data1.packet()).isEqualTo(new Data(1, java.util.Arrays.copyOf(content, 512)));
      int tid = data1.port();
      // WHEN another port sends an ACK to that TID
      stranger.send(new Ack(1), tid);
      // THEN the stranger gets ERROR 5 from the TID
      Received rebuff = stranger.expect(2000);
      assertThat(rebuff.port()).isEqualTo(tid);
      assertThat(rebuff.packet()).isInstanceOfSatisfying(ErrorPacket.class,
          e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_TID));
      // AND the real client sees nothing of it and completes the transfer
      assertThat(client.receive(200)).isEmpty();
      byte[] rest = finishLockstep(client, tid, 1, 512);
      assertThat(concat(java.util.Arrays.copyOf(content, 512), rest)).isEqualTo(content);
    }
  }

  @Test
  void duplicateAcksDoNotTriggerDuplicateData(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 3000));
    put("f.bin", bytes(3000, 7));
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      Received data1 = client.expect(2000);
      // WHEN ACK 1 arrives three times (a client retransmitting its ACK)
      client.send(new Ack(1), data1.port());
      client.send(new Ack(1), data1.port());
      client.send(new Ack(1), data1.port());
      // THEN DATA 2 comes exactly once (no Sorcerer's Apprentice), nothing else before the timeout
      assertThat(client.expect(2000).packet()).isInstanceOfSatisfying(Data.class, d -> assertThat(d.block()).isEqualTo(2));
      assertThat(client.receive(500)).isEmpty();
    }
  }

  @Test
  void aClientReAckingThroughALossBurstGetsItsWindowBeforeItGivesUp(Vertx vertx) throws Exception {
    // GIVEN a base timeout of 200 ms: the server's own resends of a lost window come after 200, 400,
    // 800, 1600 ms (backoff), i.e. 0.2, 0.6, 1.4 and 3.0 s after the window
    start(vertx, t -> t.put("timeoutMs", 200).put("retries", 5));
    byte[] content = bytes(16 * 512, 13);
    put("f.bin", content);
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET,
          TransferOptions.of("blksize", "512", "windowsize", "4")));
      int tid = client.expect(2000).port();
      client.send(new Ack(0), tid);
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      for (int block = 1; block <= 4; block++) {
        Data data = (Data) client.expect(2000).packet();
        assertThat(data.block()).isEqualTo(block);
        got.writeBytes(data.payload());
      }
      client.send(new Ack(4), tid);
      long windowSent = System.nanoTime();
      // WHEN everything to the client is lost for 1.5 s (window 5..8 and every resend in that time)
      // while the client, like atftp with a 300 ms timeout, repeats ACK 4 at each of its timeouts
      // and gives up after the sixth (at 1.8 s)
      long nextAckMs = 300;
      for (long elapsed = 0; elapsed < 1500; elapsed = (System.nanoTime() - windowSent) / 1_000_000) {
        client.receive((int) Math.max(1, Math.min(nextAckMs, 1500) - elapsed)); // lost
        if ((System.nanoTime() - windowSent) / 1_000_000 >= nextAckMs && nextAckMs < 1500) {
          client.send(new Ack(4), tid);
          nextAckMs += 300;
        }
      }
      client.send(new Ack(4), tid); // its fifth timeout, at 1.5 s: the loss is over
      // THEN that repeated ACK brings block 5 at once, before the client would give up
      Received next = client.expect(250);
      assertThat(next.packet()).isInstanceOfSatisfying(Data.class, d -> assertThat(d.block()).isEqualTo(5));
      // AND the transfer completes from there, byte-identical
      got.writeBytes(((Data) next.packet()).payload());
      long inOrder = 5;
      while (true) {
        Data data = (Data) client.expect(2000).packet();
        if (data.block() != inOrder + 1) {
          continue; // a copy of a resent block
        }
        inOrder++;
        got.writeBytes(data.payload());
        if (data.length() < 512) {
          client.send(new Ack(data.block()), tid);
          break;
        }
        if (inOrder % 4 == 0) {
          client.send(new Ack(data.block()), tid);
        }
      }
      assertThat(got.toByteArray()).isEqualTo(content);
    }
    assertThat(server.nextEvent(5).getMessage()).startsWith("f.bin 8192 bytes in ");
  }

  @Test
  void aRepeatedRrqAfterALostOackBringsTheOackAgainBeforeTheBackedOffTimer(Vertx vertx) throws Exception {
    // GIVEN a base timeout of 300 ms: the server's own OACK resends come 0.3, 0.9, 2.1 s after the first
    start(vertx, t -> t.put("timeoutMs", 300).put("retries", 5));
    put("f.bin", bytes(1000, 14));
    try (TestClient client = new TestClient(server.port())) {
      ReadRequest rrq = new ReadRequest("f.bin", TransferMode.OCTET, TransferOptions.of("blksize", "512"));
      client.sendRequest(rrq);
      Received oack = client.expect(2000);
      long firstOack = System.nanoTime();
      // WHEN the OACK and its first resend are lost, and the client asks again at 1.2 s
      while (client.receive((int) Math.max(1, 1200 - (System.nanoTime() - firstOack) / 1_000_000)).isPresent()) {
        // lost
      }
      client.sendRequest(rrq);
      // THEN the OACK comes again at once, from the transfer's TID (no second transfer)
      assertThat(client.expect(250)).isEqualTo(oack);
    }
  }

  @Test
  void anUnackedBlockIsRetransmittedAfterTheTimeout(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 300));
    byte[] content = bytes(1000, 8);
    put("f.bin", content);
    try (TestClient client = new TestClient(server.port())) {
      // GIVEN DATA 1 received and not acknowledged
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      Received first = client.expect(2000);
      long receivedAt = System.nanoTime();
      // WHEN the server's timeout passes THEN DATA 1 comes again, from the same TID
      Received again = client.expect(3000);
      long waitedMs = (System.nanoTime() - receivedAt) / 1_000_000;
      assertThat(again).isEqualTo(first);
      assertThat(waitedMs).isGreaterThanOrEqualTo(250);
      // AND acknowledging it resumes the transfer
      byte[] rest = finishLockstep(client, first.port(), 1, 512);
      assertThat(concat(((Data) first.packet()).payload(), rest)).isEqualTo(content);
    }
  }

  @Test
  void theServerGivesUpWithErrorAfterItsRetriesAndReportsTheFailure(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 100).put("retries", 2));
    put("f.bin", bytes(1000, 9));
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      // THEN DATA 1 three times (first + 2 retries), the waits doubling (100 ms, then 200 ms), then ERROR 0
      long[] at = new long[3];
      for (int i = 0; i < 3; i++) {
        assertThat(client.expect(2000).packet()).isInstanceOfSatisfying(Data.class,
            d -> assertThat(d.block()).isEqualTo(1));
        at[i] = System.nanoTime();
      }
      assertThat((at[1] - at[0]) / 1_000_000).isGreaterThanOrEqualTo(80);
      assertThat((at[2] - at[1]) / 1_000_000).isGreaterThanOrEqualTo(180);
      assertThat(client.expect(2000).packet()).isInstanceOfSatisfying(ErrorPacket.class, e -> {
        assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_DEFINED);
        assertThat(e.message()).isEqualTo("timed out");
      });
      assertThat(client.receive(400)).isEmpty();
    }
    BootEvent event = server.nextEvent(5);
    assertThat(event.getMessage()).startsWith("f.bin failed: timed out after 2 retries");
  }

  @Test
  void anUnansweredOackIsRetransmittedAndTheClientMayRejectIt(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 200));
    put("f.bin", bytes(1000, 10));
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET, TransferOptions.of("blksize", "1024")));
      Received oack = client.expect(2000);
      assertThat(oack.packet()).isInstanceOf(OptionAck.class);
      assertThat(client.expect(2000)).isEqualTo(oack);
      // WHEN the client refuses the options with ERROR 8 THEN the server stops sending
      client.send(ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "no thanks"), oack.port());
      assertThat(client.receive(500)).isEmpty();
    }
    assertThat(server.nextEvent(5).getMessage()).contains("f.bin failed: client sent ERROR 8").contains("no thanks");
  }

  @Test
  void aRetransmittedRrqDoesNotStartASecondTransfer(Vertx vertx) throws Exception {
    start(vertx, t -> t.put("timeoutMs", 150));
    put("f.bin", bytes(1000, 11));
    try (TestClient client = new TestClient(server.port())) {
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
      Set<Integer> ports = new HashSet<>();
      for (Optional<Received> r = client.receive(500); r.isPresent(); r = client.receive(500)) {
        ports.add(r.get().port());
        if (ports.size() > 1 || r.get().packet() instanceof ErrorPacket) {
          break;
        }
      }
      assertThat(ports).hasSize(1);
    }
  }

  @Test
  void windowedTransferWithSmallBlocksRollsTheBlockNumberOver(Vertx vertx) throws Exception {
    // GIVEN 70001 blocks of 16 bytes: block numbers must wrap 65535 -> 0
    start(vertx, t -> {});
    byte[] content = bytes(16 * 70_000, 12);
    put("big.bin", content);
    try (TestClient client = new TestClient(server.port())) {
      Download download = client.get("big.bin", TransferOptions.of("blksize", "16", "windowsize", "64"));
      assertThat(download.bytes()).isEqualTo(content);
    }
    assertThat(server.nextEvent(5).getMessage()).startsWith("big.bin " + content.length + " bytes in ");
  }

  @Test
  void netasciiModeConvertsLineEndsAcrossBlockBoundaries(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    String text = "line one\nline two\r\nbare\rcr\n".repeat(50);
    put("menu.txt", text.getBytes(StandardCharsets.US_ASCII));
    try (TestClient client = new TestClient(server.port())) {
      // WHEN read in netascii with 8-byte blocks in windows of 3 (expansions straddle blocks)
      Download download = client.get("menu.txt", TransferMode.NETASCII,
          TransferOptions.of("blksize", "8", "windowsize", "3", "tsize", "0"));
      // THEN the wire bytes are the RFC 764 encoding, and decode back to the file
      byte[] expectedWire = text.replace("\r", "\r\0").replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII);
      assertThat(download.bytes()).isEqualTo(expectedWire);
      Netascii.Decoder decoder = new Netascii.Decoder();
      assertThat(new String(decoder.decode(download.bytes()), StandardCharsets.US_ASCII)).isEqualTo(text);
      // AND tsize is not answered in netascii mode
      assertThat(download.optionAck().orElseThrow().options().tsize()).isEmpty();
    }
  }

  @Test
  void backToBackRequestsFromOnePortEachGetTheirFile(Vertx vertx) throws Exception {
    // GIVEN two files and a client that sends its next RRQ from the same port right after its final
    // ACK (that ACK and the RRQ reach different sockets, possibly on different event loops)
    start(vertx, t -> {});
    byte[] a = bytes(1500, 21);
    byte[] b = bytes(2100, 22);
    put("a.bin", a);
    put("b.bin", b);
    try (TestClient client = new TestClient(server.port())) {
      for (int i = 0; i < 20; i++) {
        // WHEN it asks for a, b, a, b... THEN every request is a new transfer with the right bytes
        boolean even = i % 2 == 0;
        assertThat(client.get(even ? "a.bin" : "b.bin", i % 4 < 2 ? TransferOptions.NONE
            : TransferOptions.of("blksize", "1024", "windowsize", "2")).bytes()).isEqualTo(even ? a : b);
      }
    }
  }

  @Test
  void undeployingEndsRunningTransfersWithAnError(Vertx vertx) throws Exception {
    // GIVEN transfers waiting for their clients on several transfer loops
    start(vertx, t -> t.put("timeoutMs", 5000).put("transferLoops", 3));
    put("f.bin", bytes(10_000, 23));
    List<TestClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        TestClient client = new TestClient(server.port());
        clients.add(client);
        client.sendRequest(new ReadRequest("f.bin", TransferMode.OCTET));
        assertThat(client.expect(2000).packet()).isInstanceOf(Data.class);
      }
      // WHEN the verticle is undeployed
      server.close();
      server = null;
      // THEN each client is told (ERROR 0) instead of being left to time out
      for (TestClient client : clients) {
        assertThat(client.expect(2000).packet()).isInstanceOfSatisfying(ErrorPacket.class, e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_DEFINED);
          assertThat(e.message()).isEqualTo("server shutting down");
        });
      }
    } finally {
      clients.forEach(TestClient::close);
    }
  }

  @Test
  void manyTransfersRunConcurrentlyEachOnItsOwnTid(Vertx vertx) throws Exception {
    start(vertx, t -> {});
    byte[] content = bytes(300_000, 13);
    put("shared.bin", content);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Download>> downloads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        TransferOptions options = i % 2 == 0
            ? TransferOptions.of("blksize", "1428", "windowsize", "8")
            : TransferOptions.NONE;
        downloads.add(pool.submit(() -> {
          try (TestClient client = new TestClient(server.port())) {
            return client.get("shared.bin", options);
          }
        }));
      }
      Set<Integer> tids = new HashSet<>();
      for (Future<Download> f : downloads) {
        Download d = f.get();
        assertThat(d.bytes()).isEqualTo(content);
        tids.add(d.tid());
      }
      assertThat(tids).hasSize(8);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Acks {@code block} and then every following block until the short one; returns their bytes. */
  private static byte[] finishLockstep(TestClient client, int tid, int block, int blksize) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    client.send(new Ack(block), tid);
    while (true) {
      TftpPacket p = client.expect(3000).packet();
      Data data = (Data) p;
      if (data.block() != ((block + 1) & 0xFFFF)) {
        continue; // a retransmission of an earlier block
      }
      block = data.block();
      out.writeBytes(data.payload());
      client.send(new Ack(block), tid);
      if (data.length() < blksize) {
        return out.toByteArray();
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Raw request bytes, for requests the records refuse to build. */
  static final class TftpCodecBytes {
    static byte[] rrq(String... fields) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.write(0);
      out.write(1);
      for (String f : fields) {
        out.writeBytes(f.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
      }
      return out.toByteArray();
    }
  }
}
