package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.agent.AgentResult;
import io.boottorrent.catalog.SigningKeys;
import io.boottorrent.core.trust.Ed25519;
import io.boottorrent.core.trust.ImageTrust;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.KeyRing;
import io.boottorrent.proto.Signed;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real agents trusting the real catalog's key, booting through a man in the middle that tampers with
 * what the catalog sends: every tampering is refused before a byte of the image is downloaded, with a
 * FAILED boot event naming the reason; the untampered boot launches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SignedBootTest {
  @TempDir static Path dir;
  private Stack stack;
  private String proxyUrl;
  private String trusted;
  private ImageManifest image;
  private final KeyPair stranger = Ed25519.generate();
  private final AtomicInteger machines = new AtomicInteger(10);
  private final List<BootEvent> events = new CopyOnWriteArrayList<>();
  /** What the man in the middle does to the next answers. */
  private volatile UnaryOperator<BootAssignment> onAssignment = UnaryOperator.identity();
  private final Map<String, byte[]> torrents = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    stack = new Stack(dir, 0, false);
    stack.vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> events.add(m.body()));
    image = stack.addImage("signed", 1 << 20);
    KeyRing ring = KeyRing.parseFrom(Files.readAllBytes(SigningKeys.fileIn(dir.resolve("data"))));
    trusted = ring.getKeys(0).getFingerprint();
    proxyUrl = proxy();
  }

  @AfterAll
  void stop() {
    stack.close();
  }

  @BeforeEach
  void honest() {
    onAssignment = UnaryOperator.identity();
    torrents.clear();
  }

  /** Forwards to the catalog, passing assignments through {@link #onAssignment} and serving {@link #torrents}. */
  private String proxy() {
    WebClient client = WebClient.create(stack.vertx);
    HttpServer server = stack.vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String path = req.path();
      String image = path.matches("/api/v1/images/[^/]+/torrent") ? path.split("/")[4] : null;
      if (image != null && torrents.containsKey(image)) {
        req.response().end(Buffer.buffer(torrents.get(image)));
        return;
      }
      client.requestAbs(req.method(), stack.catalogUrl() + req.uri())
          .putHeaders(req.headers()).sendBuffer(body)
          .onSuccess(r -> {
            Buffer out = r.body() == null ? Buffer.buffer() : r.body();
            if (req.method() == HttpMethod.GET && path.startsWith("/api/v1/boot/") && r.statusCode() == 200) {
              try {
                out = Buffer.buffer(onAssignment.apply(BootAssignment.parseFrom(out.getBytes())).toByteArray());
              } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
              }
            }
            req.response().setStatusCode(r.statusCode()).putHeader("Content-Type", r.getHeader("Content-Type") == null
                ? "application/octet-stream" : r.getHeader("Content-Type")).end(out);
          })
          .onFailure(err -> req.response().setStatusCode(502).end(err.toString()));
    })).listen(0, "127.0.0.1").await();
    return "http://127.0.0.1:" + server.actualPort();
  }

  private record Boot(String mac, Throwable failure, AgentResult result) {}

  private Boot boot(String trustedKeys) throws Exception {
    int index = machines.incrementAndGet();
    String mac = String.format("02:00:00:00:00:%02x", index);
    Future<AgentResult> run = stack.agent(index, new JsonObject().put("catalogUrl", proxyUrl)
        .put("trustedKeys", trustedKeys).put("seedSeconds", 0).put("image", "signed"));
    AgentResult result = run.transform(ar -> Future.succeededFuture(ar.succeeded() ? ar.result() : null))
        .toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    Throwable failure = result != null ? null
        : run.transform(ar -> Future.succeededFuture(ar.cause())).toCompletionStage().toCompletableFuture().get();
    return new Boot(mac, failure, result);
  }

  /** The boot failed with {@code reason}, downloaded nothing, and its FAILED event says why. */
  private void refused(Boot boot, String reason) throws Exception {
    assertThat(boot.failure()).as("the boot was refused").isNotNull();
    assertThat(boot.failure().getMessage()).startsWith("refusing to boot: ").contains(reason);
    int index = Integer.parseInt(boot.mac().substring(15), 16);
    assertThat(dir.resolve("agent-" + index).resolve("signed")).doesNotExist();
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline && events.stream().noneMatch(e -> failedFor(e, boot.mac()))) {
      Thread.sleep(50);
    }
    assertThat(events).filteredOn(e -> failedFor(e, boot.mac())).singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains(reason));
    assertThat(events).filteredOn(e -> e.getMac().equals(boot.mac()))
        .extracting(BootEvent::getStage).doesNotContain(BootStage.DOWNLOAD_STARTED, BootStage.LAUNCHING);
  }

  private static boolean failedFor(BootEvent e, String mac) {
    return e.getMac().equals(mac) && e.getStage() == BootStage.FAILED;
  }

  /** The assignment with the menu entry of "signed" replaced. */
  private static BootAssignment withManifest(BootAssignment a, UnaryOperator<ImageManifest> change) {
    BootAssignment.Builder b = a.toBuilder();
    for (int i = 0; i < b.getMenuCount(); i++) {
      if (b.getMenu(i).getName().equals("signed")) {
        b.setMenu(i, change.apply(b.getMenu(i)));
      }
    }
    return b.build();
  }

  @Test
  void anUntamperedSignedImageDownloadsVerifiesAndLaunches() throws Exception {
    Boot boot = boot(trusted);
    assertThat(boot.failure()).as("no failure").isNull();
    assertThat(boot.result().image()).isEqualTo("signed");
    assertThat(events).filteredOn(e -> e.getMac().equals(boot.mac())).extracting(BootEvent::getStage)
        .contains(BootStage.VERIFIED, BootStage.LAUNCHING);
  }

  @Test
  void aManifestWhoseSignedPayloadWasChangedIsRefused() throws Exception {
    onAssignment = a -> withManifest(a, m -> {
      try {
        ImageManifest payload = ImageManifest.parseFrom(m.getSigned().getPayload());
        ByteString evil = payload.toBuilder().setCmdline("init=/bin/evil").build().toByteString();
        return m.toBuilder().setCmdline("init=/bin/evil").setSigned(m.getSigned().toBuilder().setPayload(evil)).build();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    });
    refused(boot(trusted), "the manifest of signed does not match its signature by trusted key " + trusted);
  }

  @Test
  void aManifestWhoseUnsignedFieldsWereChangedIsRefused() throws Exception {
    onAssignment = a -> withManifest(a, m -> m.toBuilder().setCmdline("init=/bin/evil").build());
    refused(boot(trusted), "the manifest of signed differs from its signed copy in cmdline");
  }

  @Test
  void aSwappedFileIsRefusedWhetherOrNotTheManifestIsChangedToMatchIt() throws Exception {
    // the man in the middle serves the torrent of other bytes for the image...
    Path other = Files.createDirectories(dir.resolve("evil/signed"));
    Stack.writeRandom(other.resolve("initrd"), 1 << 20, 99);
    io.boottorrent.swarm.TorrentFactory.Created swapped =
        io.boottorrent.swarm.TorrentFactory.create(other, List.of("http://127.0.0.1:1/announce"), List.of(), 0);
    torrents.put("signed", swapped.torrent());
    Boot plain = boot(trusted);
    assertThat(plain.failure()).hasMessageContaining("has info-hash " + swapped.infoHash() + ", but its manifest names "
        + image.getInfoHash() + ": refusing to download");
    // ... and also rewrites the manifest's info-hash to the swapped torrent's
    onAssignment = a -> withManifest(a, m -> m.toBuilder().setInfoHash(swapped.infoHash()).build());
    refused(boot(trusted), "differs from its signed copy in info-hash");
  }

  @Test
  void aManifestAndTicketSignedByAnotherKeyAreRefused() throws Exception {
    onAssignment = a -> {
      BootAssignment resigned = withManifest(a, m -> ImageTrust.sign(m.toBuilder().clearSigned().build(),
          List.of(stranger)));
      try {
        io.boottorrent.proto.BootTicket t = io.boottorrent.proto.BootTicket.parseFrom(a.getTicket().getPayload());
        return resigned.toBuilder().setTicket(ImageTrust.ticket(t.getMac(), t.getNonce(), t.getIssuedAtMs(),
            resigned.getMenuList(), List.of(stranger))).build();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    };
    refused(boot(trusted), "the boot ticket is signed only by key(s) this machine does not trust: "
        + Ed25519.fingerprint(stranger.getPublic()));
    // the same manifest and ticket boot an agent that trusts that key: the check is the key, nothing else
    assertThat(boot(Ed25519.fingerprint(stranger.getPublic())).failure()).isNull();
  }

  @Test
  void aReplayedOlderManifestAndAReplayedTicketAreRefused() throws Exception {
    // GIVEN image "signed" as it was (its signed manifest and a ticket recorded by the man in the middle) ...
    BootAssignment[] recorded = new BootAssignment[1];
    onAssignment = a -> {
      recorded[0] = a;
      return a;
    };
    assertThat(boot(trusted).failure()).isNull();
    ImageManifest old = recorded[0].getMenuList().stream().filter(m -> m.getName().equals("signed")).findFirst()
        .orElseThrow();
    // ... which the operator then replaced
    HttpResponse<Buffer> deleted = WebClient.create(stack.vertx).deleteAbs(stack.catalogUrl() + "/api/v1/images/signed")
        .putHeader("Authorization", stack.bearer()).send().await();
    assertThat(deleted.statusCode()).isEqualTo(204);
    image = stack.addImage("signed", 1 << 20);
    assertThat(image.getVersion()).isGreaterThan(old.getVersion());

    // WHEN the man in the middle hands out the old manifest: refused as a replay
    onAssignment = a -> withManifest(a, m -> old);
    refused(boot(trusted), "the manifest of signed is an older one (version " + old.getVersion()
        + "; the catalog's current is " + image.getVersion() + "): a replayed manifest");
    // AND when he replays the old answer as a whole (ticket included): refused, it answers another nonce
    onAssignment = a -> recorded[0];
    refused(boot(trusted), "the boot ticket answers another request");
  }

  @Test
  void anUnsignedManifestOrAMissingTicketIsRefusedWhenAKeyIsConfigured() throws Exception {
    onAssignment = a -> withManifest(a, m -> m.toBuilder().clearSigned().build());
    refused(boot(trusted), "the manifest of signed is not signed, and this machine requires signed images");
    onAssignment = a -> a.toBuilder().clearTicket().build();
    refused(boot(trusted), "the catalog sent no signed boot ticket");
  }

  @Test
  void withoutTrustedKeysTheSameTamperingGoesUnnoticedWhichIsWhyTheCatalogPinsItsKeys() throws Exception {
    // the documented default of an agent without keys: it warns and trusts the catalog's answers
    onAssignment = a -> withManifest(a, m -> m.toBuilder().setCmdline("init=/bin/evil").build());
    Boot boot = boot("");
    assertThat(boot.failure()).isNull();
  }
}
