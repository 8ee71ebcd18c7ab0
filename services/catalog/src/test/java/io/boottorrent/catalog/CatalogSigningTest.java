package io.boottorrent.catalog;

import static io.boottorrent.catalog.CatalogVerticleTest.await;
import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.trust.ImageTrust;
import io.boottorrent.core.trust.TrustedKeys;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootTicket;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.KeyRing;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The catalog signs what it serves: manifests, boot tickets over a nonce, the pinned keys in the iPXE script. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class CatalogSigningTest {
  static final String MAC = "aa:bb:cc:dd:ee:01";
  static final String NONCE = "0123456789abcdef0123456789abcdef";
  @TempDir Path dir;
  Vertx vertx;
  JsonObject config;
  CatalogVerticle verticle;
  WebClient client;

  @BeforeEach
  void deploy(Vertx vertx) {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    config = TestConfig.loopback(dir);
    writeRandom(dir.resolve("import/vmlinuz"), 100_000, 1);
    start();
  }

  private void start() {
    verticle = Fixtures.catalog(config);
    await(vertx.deployVerticle(verticle));
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(verticle.actualPort()));
  }

  private ImageManifest add(String name, String cmdline) {
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(dir.resolve("import/vmlinuz").toString()).setCmdline(cmdline).build();
    HttpResponse<Buffer> r = await(client.post("/api/v1/images").putHeader("Content-Type", "application/json")
        .putHeader("Authorization", TestTokens.bearer(dir))
        .sendBuffer(Buffer.buffer(Json.print(request))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return parse(r, ImageManifest.newBuilder());
  }

  private static <B extends com.google.protobuf.Message.Builder, M> M parse(HttpResponse<Buffer> r, B builder) {
    try {
      @SuppressWarnings("unchecked")
      M m = (M) Json.parse(r.bodyAsString(), builder).build();
      return m;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private KeyRing keys() {
    return parse(await(client.get("/api/v1/keys").send()), KeyRing.newBuilder());
  }

  private BootAssignment boot(String query) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/api/v1/boot/" + MAC + query)
        .putHeader("Accept", "application/x-protobuf").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return BootAssignment.parseFrom(r.body().getBytes());
  }

  @Test
  void anAgentTrustingTheCatalogsKeyVerifiesTheTicketAndTheManifestItWasServed() throws Exception {
    ImageManifest added = add("debian", "console=ttyS0");
    TrustedKeys trusted = TrustedKeys.of(Set.of(keys().getKeys(0).getFingerprint()));
    assertThat(added.getSigned().getSignaturesCount()).isEqualTo(1);

    BootAssignment assignment = boot("?nonce=" + NONCE);
    BootTicket ticket = ImageTrust.checkTicket(Optional.of(assignment.getTicket()), MAC, NONCE, trusted);
    ImageManifest checked = ImageTrust.checkManifest(assignment.getMenu(0), ticket, trusted);
    assertThat(checked.getCmdline()).isEqualTo("console=ttyS0");
    assertThat(checked.getInfoHash()).isEqualTo(added.getInfoHash());
    assertThat(checked.getVersion()).isEqualTo(added.getVersion()).isPositive();

    // without a nonce (older agents), no ticket; a malformed nonce is a 400 naming it
    assertThat(boot("").hasTicket()).isFalse();
    HttpResponse<Buffer> bad = await(client.get("/api/v1/boot/" + MAC + "?nonce=short").send());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsString()).contains("nonce must be 16-128 characters");
  }

  @Test
  void anImageOutsideTheMenuIsNamedInTheTicketWhenTheAgentAsksForIt() throws Exception {
    add("a", "x");
    add("b", "y");
    HttpResponse<Buffer> put = await(client.put("/api/v1/policy").putHeader("Content-Type", "application/json")
        .putHeader("Authorization", TestTokens.bearer(dir))
        .sendBuffer(Buffer.buffer("{\"defaultImage\":\"a\",\"rules\":[{\"mac\":\"" + MAC + "\",\"image\":\"a\","
            + "\"menu\":[\"a\"]}]}")));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    TrustedKeys trusted = TrustedKeys.of(Set.of(keys().getKeys(0).getFingerprint()));
    BootTicket ticket = ImageTrust.checkTicket(Optional.of(boot("?nonce=" + NONCE + "&image=b").getTicket()),
        MAC, NONCE, trusted);
    assertThat(ticket.getImagesList()).extracting(e -> e.getName()).containsExactly("a", "b");
  }

  @Test
  void aReAddedImageGetsAHigherVersionSoItsOldSignedManifestIsAReplay() throws Exception {
    ImageManifest first = add("debian", "old");
    assertThat(await(client.delete("/api/v1/images/debian").putHeader("Authorization", TestTokens.bearer(dir)).send()).statusCode()).isEqualTo(204);
    ImageManifest second = add("debian", "new");
    assertThat(second.getVersion()).isGreaterThan(first.getVersion());
    TrustedKeys trusted = TrustedKeys.of(Set.of(keys().getKeys(0).getFingerprint()));
    BootTicket ticket = ImageTrust.checkTicket(Optional.of(boot("?nonce=" + NONCE).getTicket()), MAC, NONCE, trusted);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageTrust.checkManifest(first, ticket, trusted))
        .hasMessageContaining("is an older one");
  }

  @Test
  void theIpxeScriptPinsTheSigningKeysAndARotationSignsWithBothUntilTheOverlapEnds() throws Exception {
    add("debian", "x");
    String old = keys().getKeys(0).getFingerprint();
    String script = await(client.get("/boot/ipxe?mac=" + MAC).send()).bodyAsString();
    // no client image in this data dir: the script says so instead of booting; the pin is in the real
    // script's command line (CatalogVerticle.clientCmdline), which this checks directly
    assertThat(script).contains("client image is not built");
    assertThat(verticle.clientCmdline()).endsWith(" boottorrent.keys=" + old);

    // rotating needs an admin token
    assertThat(await(client.post("/api/v1/keys/rotate").send()).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> rotated = await(client.post("/api/v1/keys/rotate")
        .putHeader("Authorization", TestTokens.bearer(dir)).send());
    assertThat(rotated.statusCode()).as(rotated.bodyAsString()).isEqualTo(200);
    KeyRing ring = keys();
    String fresh = ring.getKeysList().stream().filter(k -> k.getRetiredAtMs() == 0).findFirst().orElseThrow()
        .getFingerprint();
    assertThat(ring.getKeysCount()).isEqualTo(2);
    assertThat(verticle.clientCmdline()).endsWith(" boottorrent.keys=" + fresh + "," + old);
    // an agent built with the old key, and one with the new, both boot during the overlap
    for (String key : new String[] {old, fresh}) {
      TrustedKeys trusted = TrustedKeys.of(Set.of(key));
      BootAssignment a = boot("?nonce=" + NONCE);
      BootTicket ticket = ImageTrust.checkTicket(Optional.of(a.getTicket()), MAC, NONCE, trusted);
      assertThat(ImageTrust.checkManifest(a.getMenu(0), ticket, trusted).getName()).isEqualTo("debian");
    }
    // the keys survive a restart
    await(vertx.undeploy(verticle.deploymentID()));
    start();
    assertThat(keys().getKeysList()).extracting(k -> k.getFingerprint()).containsExactlyInAnyOrder(old, fresh);
  }

  @Test
  void withSigningOffNothingIsSignedAndThereAreNoKeys() throws Exception {
    await(vertx.undeploy(verticle.deploymentID()));
    config.getJsonObject("catalog").put("signing", false);
    start();
    ImageManifest added = add("debian", "x");
    assertThat(added.hasSigned()).isFalse();
    assertThat(boot("?nonce=" + NONCE).hasTicket()).isFalse();
    assertThat(await(client.get("/api/v1/keys").send()).statusCode()).isEqualTo(404);
    assertThat(verticle.clientCmdline()).doesNotContain("boottorrent.keys");
  }
}
