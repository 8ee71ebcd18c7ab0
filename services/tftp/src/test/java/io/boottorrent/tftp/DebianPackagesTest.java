package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path rule with the embedded defaults against Debian's real packages: ipxe's
 * {@code /usr/lib/ipxe/ipxe.efi} is a symlink to {@code /boot/ipxe.efi} (a file root in the defaults),
 * shim-signed's and grub-efi-amd64-signed's files are served under the names shim loads.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DebianPackagesTest {
  @TempDir Path dir;

  @Test
  void theDefaultsServeDebiansIpxeSymlinksAndTheSecureBootChainAndNothingElseOfBoot(Vertx vertx) throws Exception {
    Path efi = Path.of("/usr/lib/ipxe/ipxe.efi");
    Gate.require(Files.isSymbolicLink(efi) && Files.isRegularFile(efi), efi + " missing (apt-get install ipxe)");
    Path shim = Path.of("/usr/lib/shim/shimx64.efi.signed");
    Gate.require(Files.isRegularFile(shim), shim + " missing (apt-get install shim-signed)");
    Path grub = Path.of("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed");
    Gate.require(Files.isRegularFile(grub), grub + " missing (apt-get install grub-efi-amd64-signed)");
    // GIVEN TFTP with the embedded defaults' fallback roots and Secure Boot chain
    TftpOptions defaults = TftpOptions.fromSection(TestConfig.section("tftp"));
    try (TftpServerFixture server = new TftpServerFixture(vertx, dir, defaults.fallbackRoots(), t -> {});
        TestClient client = new TestClient(server.port())) {
      // THEN ipxe.efi is served through its symlink, and the chain under shim's names
      assertThat(client.get("/ipxe.efi", TransferOptions.of("blksize", "1468")).bytes())
          .isEqualTo(Files.readAllBytes(Path.of("/boot/ipxe.efi")));
      assertThat(client.get("undionly.kpxe", TransferOptions.of("blksize", "1468")).bytes())
          .isEqualTo(Files.readAllBytes(Path.of("/usr/lib/ipxe/undionly.kpxe")));
      assertThat(client.get("shimx64.efi", TransferOptions.of("blksize", "1468")).bytes())
          .isEqualTo(Files.readAllBytes(shim));
      assertThat(client.get("grubx64.efi", TransferOptions.of("blksize", "1468")).bytes())
          .isEqualTo(Files.readAllBytes(grub));
      // BUT a link in the root to a file in no root is refused, and the packages' own names are not served
      Files.createSymbolicLink(server.root.resolve("vmlinuz-host"), Path.of("/etc/hostname"));
      assertThatThrownBy(() -> client.get("vmlinuz-host", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
      assertThatThrownBy(() -> client.get("shimx64.efi.signed", TransferOptions.NONE))
          .isInstanceOfSatisfying(TestClient.TftpError.class,
              e -> assertThat(e.error.errorCode()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    }
  }
}
