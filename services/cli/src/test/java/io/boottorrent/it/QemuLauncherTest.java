package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The qemu launcher for real: an agent fetches a {@code qemu} image (a raw disk whose boot sector
 * prints a marker on the serial port and powers the VM off) through the swarm, verifies it and runs
 * it with QEMU; the marker arrives and QEMU exits 0. TCG ({@code agent.qemuAccel: tcg}): KVM guests
 * hang on this build machine even though /dev/kvm exists.
 */
class QemuLauncherTest {
  static final String MARKER = "BOOTTORRENT-QEMU-LAUNCHER-OK";

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void agentRunsTheDownloadedDiskImageWithQemu() throws Exception {
    Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    try (Stack stack = new Stack(dir, 0, false)) {
      // GIVEN a qemu image: the disk, plus arguments that put the serial port into a file
      Path src = Files.createDirectories(dir.resolve("data/import/bootsector"));
      Files.write(src.resolve("disk.img"), bootSector(MARKER));
      Path serial = dir.resolve("serial.txt");
      AddImageRequest request = AddImageRequest.newBuilder().setName("bootsector").setKind(ImageKind.QEMU)
          .setDisk(src.resolve("disk.img").toString())
          .addArgs("-serial").addArgs("file:" + serial).addArgs("-no-reboot").build();
      HttpResponse<String> added = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(stack.catalogUrl() + "/api/v1/images"))
              .header("Content-Type", "application/json").header("Authorization", stack.bearer())
              .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(added.statusCode()).as(added.body()).isEqualTo(201);

      // WHEN an agent boots it with the launcher chosen by the image's kind
      AgentResult result = stack.agent(1, new JsonObject().put("launcher", "auto").put("qemuAccel", "tcg")
          .put("image", "bootsector").put("seedSeconds", 0)).toCompletionStage().toCompletableFuture()
          .get(150, TimeUnit.SECONDS);

      // THEN QEMU ran the downloaded disk: the boot sector's marker is on its serial port, exit status 0
      assertThat(result.launcher()).isEqualTo("qemu");
      assertThat(result.exitCode()).isZero();
      assertThat(Files.readString(serial, StandardCharsets.ISO_8859_1)).contains(MARKER);
    } finally {
      // a QEMU that never powered off would outlive the test: the launcher waits for it on a worker
      ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").contains("qemu-system"))
          .forEach(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * A raw disk whose BIOS boot sector (16-bit real mode at 0x7c00): writes {@code text} to COM1 (port 0x3f8), then
   * powers the machine off through the ACPI PM1a control port QEMU's PIIX4 has at 0x604
   * (SLP_EN), which ends QEMU with status 0.
   */
  static byte[] bootSector(String text) {
    byte[] code = {
        (byte) 0xFA,                         // 0: cli
        0x31, (byte) 0xC0,                   // 1: xor ax, ax
        (byte) 0x8E, (byte) 0xD8,            // 3: mov ds, ax
        (byte) 0xBE, 0x1D, 0x7C,             // 5: mov si, 0x7c00 + 29 (the text)
        (byte) 0xBA, (byte) 0xF8, 0x03,      // 8: mov dx, 0x3f8
        (byte) 0xAC,                         // 11: lodsb
        (byte) 0x84, (byte) 0xC0,            // 12: test al, al
        0x74, 0x03,                          // 14: jz 19
        (byte) 0xEE,                         // 16: out dx, al
        (byte) 0xEB, (byte) 0xF8,            // 17: jmp 11
        (byte) 0xBA, 0x04, 0x06,             // 19: mov dx, 0x604
        (byte) 0xB8, 0x00, 0x20,             // 22: mov ax, 0x2000
        (byte) 0xEF,                         // 25: out dx, ax
        (byte) 0xF4,                         // 26: hlt
        (byte) 0xEB, (byte) 0xFE,            // 27: jmp 27
    };
    byte[] sector = new byte[1 << 20]; // SeaBIOS does not boot a one-sector virtio disk: padded to 1 MiB
    System.arraycopy(code, 0, sector, 0, code.length);
    byte[] message = (text + "\r\n").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(message, 0, sector, code.length, message.length); // at 29, zero-terminated by the padding
    sector[510] = 0x55;
    sector[511] = (byte) 0xAA;
    return sector;
  }
}
