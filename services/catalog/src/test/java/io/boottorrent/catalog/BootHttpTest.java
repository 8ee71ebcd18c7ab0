package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.common.TestSupport;
import io.boottorrent.proto.Codecs;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class BootHttpTest {
  @TempDir Path dir;
  WebClient client;
  Path clientImage;
  Path fallback;

  @BeforeEach
  void deploy(Vertx vertx) throws Exception {
    Codecs.registerAll(vertx.eventBus());
    JsonObject config = TestSupport.loopbackConfig(dir.resolve("data")).put("publicHost", "10.213.0.1");
    clientImage = Files.createDirectories(dir.resolve("client"));
    fallback = Files.createDirectories(dir.resolve("ipxe"));
    config.getJsonObject("catalog").put("clientImageDir", clientImage.toString())
        .put("bootFallbackRoots", new JsonArray().add(fallback.toString()))
        .put("clientCmdline", "console=ttyS0");
    CatalogVerticle verticle = new CatalogVerticle();
    vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config)).await();
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
  }

  HttpResponse<Buffer> get(String path) {
    return client.get(path).send().await();
  }

  @Test
  void scriptPointsAtTheCatalogsPublicAddressOnceTheClientImageExists() throws Exception {
    // GIVEN no client image yet THEN the script says so instead of failing inside iPXE
    assertThat(get("/boot/ipxe?mac=52:54:00:12:34:56").bodyAsString()).contains("client image is not built");
    // GIVEN the client image WHEN iPXE asks THEN it gets kernel + initrd URLs with its identity
    Files.write(clientImage.resolve("vmlinuz"), new byte[] {1, 2, 3});
    Files.write(clientImage.resolve("initrd"), new byte[] {4, 5});
    HttpResponse<Buffer> r = get("/boot/ipxe?mac=52:54:00:12:34:56");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
    int port = Integer.parseInt(r.bodyAsString().replaceAll("(?s).*http://10\\.213\\.0\\.1:(\\d+)/boot/vmlinuz.*", "$1"));
    assertThat(r.bodyAsString()).contains("kernel http://10.213.0.1:" + port + "/boot/vmlinuz initrd=initrd "
        + "boottorrent.catalog=http://10.213.0.1:" + port + " boottorrent.mac=52:54:00:12:34:56 console=ttyS0");
  }

  @Test
  void filesComeFromTheClientImageThenTheFallbackRoots() throws Exception {
    Files.write(clientImage.resolve("vmlinuz"), new byte[] {1, 2, 3});
    Files.write(fallback.resolve("ipxe.efi"), new byte[] {9});
    Files.write(fallback.resolve("vmlinuz"), new byte[] {7, 7});
    assertThat(get("/boot/vmlinuz").body().getBytes()).containsExactly(1, 2, 3);
    assertThat(get("/boot/ipxe.efi").body().getBytes()).containsExactly(9);
    assertThat(get("/boot/missing.efi").statusCode()).isEqualTo(404);
  }

  @Test
  void namesThatCouldLeaveTheRootsAreRefused() throws Exception {
    Files.writeString(dir.resolve("secret"), "no");
    assertThat(get("/boot/..%2Fsecret").statusCode()).isIn(400, 404);
    assertThat(get("/boot/.hidden").statusCode()).isEqualTo(400);
    assertThat(get("/boot/%2Fetc%2Fpasswd").statusCode()).isIn(400, 404);
    assertThat(get("/boot/..%2F..%2Fsecret").bodyAsString()).doesNotContain("no\n").isNotEqualTo("no");
  }
}
