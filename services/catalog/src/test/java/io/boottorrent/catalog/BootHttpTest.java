package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    JsonObject config = TestConfig.loopback(dir.resolve("data")).put("publicHost", "10.213.0.1");
    clientImage = Files.createDirectories(dir.resolve("client"));
    fallback = Files.createDirectories(dir.resolve("ipxe"));
    config.getJsonObject("catalog").put("clientImageDir", clientImage.toString())
        .put("bootFallbackRoots", new JsonArray().add(fallback.toString()))
        .put("clientCmdline", "console=ttyS0");
    CatalogVerticle verticle = Fixtures.catalog(config);
    vertx.deployVerticle(verticle).await();
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
    assertThat(r.bodyAsString()).contains("kernel http://10.213.0.1:" + port + "/boot/vmlinuz?mac=52:54:00:12:34:56 initrd=initrd "
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
  void everyScriptAndFileServedIsABootEventNamingTheMachine(Vertx vertx) throws Exception {
    List<BootEvent> events = new CopyOnWriteArrayList<>();
    vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> events.add(m.body())).completion().await();
    Files.write(clientImage.resolve("vmlinuz"), new byte[1000]);
    Files.write(clientImage.resolve("initrd"), new byte[] {4, 5});

    // WHEN a machine runs its script and fetches the kernel with the script's URL, and another fetches without ?mac=
    String script = get("/boot/ipxe?mac=52-54-00-12-34-56").bodyAsString();
    String kernelPath = script.replaceAll("(?s).*http://10\\.213\\.0\\.1:\\d+(/boot/vmlinuz\\S*) .*", "$1");
    assertThat(kernelPath).isEqualTo("/boot/vmlinuz?mac=52:54:00:12:34:56");
    assertThat(get(kernelPath).body().length()).isEqualTo(1000);
    assertThat(get("/boot/initrd").statusCode()).isEqualTo(200);
    assertThat(client.head("/boot/initrd").send().await().statusCode()).isEqualTo(200);

    // THEN three HTTP_BOOT_FILE events: the script and the kernel for that MAC, the initrd for an unknown one
    long deadline = System.currentTimeMillis() + 5000;
    while (events.size() < 3 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(200); // a HEAD request would show up late, if at all
    assertThat(events).hasSize(3).allSatisfy(e -> {
      assertThat(e.getStage()).isEqualTo(BootStage.HTTP_BOOT_FILE);
      assertThat(e.getIp()).isEqualTo("127.0.0.1");
    });
    assertThat(events.get(0).getMac()).isEqualTo("52:54:00:12:34:56");
    assertThat(events.get(0).getMessage()).isEqualTo("ipxe script");
    assertThat(events.get(1).getMac()).isEqualTo("52:54:00:12:34:56");
    assertThat(events.get(1).getMessage()).matches("vmlinuz 1000 bytes in \\d+ ms");
    assertThat(events.get(1).getBytesDone()).isEqualTo(1000);
    assertThat(events.get(2).getMac()).isEmpty();
    assertThat(events.get(2).getMessage()).startsWith("initrd 2 bytes in ");
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
