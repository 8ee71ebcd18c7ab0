package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Codecs;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * /boot/ with the embedded defaults against Debian's ipxe package: {@code ipxe.efi} is a symlink
 * from {@code /usr/lib/ipxe} to {@code /boot/ipxe.efi}, a file root in {@code catalog.bootFallbackRoots}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DebianBootFilesTest {
  @TempDir Path dir;

  @Test
  void theDefaultsServeDebiansIpxeEfiThroughItsSymlinkButNoOtherLinkOut(Vertx vertx) throws Exception {
    Path efi = Path.of("/usr/lib/ipxe/ipxe.efi");
    Gate.require(Files.isSymbolicLink(efi) && Files.isRegularFile(efi), efi + " missing (apt-get install ipxe)");
    Codecs.registerAll(vertx.eventBus());
    CatalogVerticle verticle = Fixtures.catalog(TestConfig.loopback(dir));
    vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(verticle.actualPort()));
    HttpResponse<Buffer> r = client.get("/boot/ipxe.efi").send().await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsBuffer().getBytes()).isEqualTo(Files.readAllBytes(Path.of("/boot/ipxe.efi")));
    assertThat(client.get("/boot/snponly.efi").send().await(30, TimeUnit.SECONDS).bodyAsBuffer().getBytes())
        .isEqualTo(Files.readAllBytes(Path.of("/usr/lib/ipxe/snponly.efi")));
    // a link in the client-image folder (<dataDir>/client-image) to a file in no root is refused
    Path clientImage = Files.createDirectories(dir.resolve("client-image"));
    Files.createSymbolicLink(clientImage.resolve("vmlinuz"), Path.of("/etc/hostname"));
    HttpResponse<Buffer> out = client.get("/boot/vmlinuz").send().await(30, TimeUnit.SECONDS);
    assertThat(out.statusCode()).as(out.bodyAsString()).isEqualTo(403);
    assertThat(out.bodyAsString()).doesNotContain("/etc").doesNotContain(dir.toString());
  }
}
