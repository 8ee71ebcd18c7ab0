package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.catalog.ImageStore;
import io.boottorrent.catalog.SigningKeys;
import io.boottorrent.dhcp.protocol.DhcpCodec;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.DhcpOptions;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.server.auth.TokenStore;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every state file corrupt at once, and `boottorrent serve` with all six services in one process (as
 * {@link ServeCommand#start} runs them): the catalog, whose key ring is corrupt, stays down; every other
 * service starts and answers; each corrupt file is set aside with its bytes intact (the key ring left in
 * place); /health and /readiness say which service is down, why, and what was set aside. Then the
 * operator restores keys.pb from a backup and restarts: the catalog starts too, without the tokens it
 * can no longer trust and with a new admin token (docs/SECURITY.md "Corrupt state files").
 */
class CorruptStateServeTest {
  static final String MAC_BEFORE = "02:00:00:00:01:01";
  static final String MAC_AFTER = "02:00:00:00:01:02";
  static final List<String> ALL = List.of("catalog", "tracker", "seeder", "telemetry", "dhcp", "tftp");
  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  @Timeout(300)
  void everyStateFileCorruptAtOnceTakesDownOnlyTheServiceThatCannotStartWithoutIt() throws Exception {
    Path data = dir.resolve("data");
    Path catalogDir = data.resolve("catalog");
    // GIVEN a data dir as a running deployment leaves it: two images, a policy, a token, a key ring,
    // two leases, two machines' telemetry
    writeState(data);
    String oldToken;
    try (TokenStore tokens = TokenStore.open(catalogDir)) {
      oldToken = tokens.create("ops", Role.ADMIN).secret();
    }
    byte[] keysBackup = Files.readAllBytes(SigningKeys.fileIn(data));

    // AND every one of those files corrupt
    Path policy = catalogDir.resolve("policy.pb");
    Path manifest = catalogDir.resolve("images/demo.pb");
    Path tokensFile = catalogDir.resolve(TokenStore.FILE);
    Path keys = SigningKeys.fileIn(data);
    Path leases = data.resolve("dhcp/leases");
    Path journal = data.resolve("telemetry/journal");
    byte[] badPolicy = noise(300, 1);
    byte[] badManifest = Files.readAllBytes(catalogDir.resolve("images/other.pb")); // misnamed
    byte[] badTokens = Arrays.copyOf(Files.readAllBytes(tokensFile), Files.readAllBytes(tokensFile).length - 1);
    byte[] badKeys = noise(200, 2);
    Files.write(policy, badPolicy);
    Files.write(manifest, badManifest);
    Files.write(tokensFile, badTokens);
    Files.write(keys, badKeys);
    // (a lease line that lost its expiry: which client holds 127.0.10.2 until when is unknown)
    byte[] badLeases = insertLine(Files.readAllBytes(leases), "127.0.10.2 BOUND 02:00:00:00:00:03\n"
        .getBytes(StandardCharsets.UTF_8));
    Files.write(leases, badLeases);
    byte[] badJournal = insertRecord(Files.readAllBytes(journal));
    Files.write(journal, badJournal);

    // WHEN all six services start in one process
    JsonObject config = config(data);
    ServeCommand.Running running = ServeCommand.start(config, ALL);
    try {
      // THEN the catalog did not start, naming its key ring, and the others did
      assertThat(running.failed()).containsOnlyKeys("catalog");
      assertThat(running.failed().get("catalog")).contains(keys.toString()).contains("corrupt key ring");
      assertThat(running.services()).containsExactly("tracker", "seeder", "telemetry", "dhcp", "tftp");
      assertThat(running.describe()).contains("catalog   NOT STARTED: " + keys);
      assertThatThrownBy(() -> get(config, "catalog", "/api/v1/images")).isInstanceOf(ConnectException.class);

      // AND each of the others answers
      assertOthersAnswer(config);

      // AND every corrupt file the catalog, DHCP and telemetry read was set aside whole; the key ring stays
      CorruptFiles.assertSetAsideIntact(policy, badPolicy);
      CorruptFiles.assertSetAsideIntact(manifest, badManifest);
      assertThat(CorruptFiles.asideCopies(data.resolve("payload/demo"))).hasSize(1);
      CorruptFiles.assertSetAsideIntact(leases, badLeases);
      CorruptFiles.assertSetAsideIntact(journal, badJournal);
      assertThat(Files.readAllBytes(keys)).isEqualTo(badKeys);
      assertThat(CorruptFiles.asideCopies(keys)).isEmpty();
      assertThat(Files.readAllBytes(tokensFile)).as("not read: the catalog stopped at its keys").isEqualTo(badTokens);

      // AND health says which service is down and why, and what was set aside
      int healthPort = running.healthPort();
      HttpResponse<String> health = get(healthPort, "/health");
      assertThat(health.statusCode()).as("a restart cannot repair a file: liveness stays up").isEqualTo(200);
      JsonObject liveServices = check(new JsonObject(health.body()), "services");
      assertThat(liveServices.getJsonObject("data").getJsonObject("failed").getString("catalog")).contains("keys.pb");
      HttpResponse<String> readiness = get(healthPort, "/readiness");
      assertThat(readiness.statusCode()).isEqualTo(503);
      JsonObject ready = check(new JsonObject(readiness.body()), "services").getJsonObject("data");
      assertThat(ready.getJsonArray("ready")).containsExactlyInAnyOrder("tracker", "seeder", "telemetry", "dhcp", "tftp");
      assertThat(ready.getJsonObject("failed").getString("catalog")).contains("corrupt key ring");
      assertThat(ready.getJsonArray("setAside").stream().map(String::valueOf).toList())
          .anySatisfy(s -> assertThat(s).startsWith("catalog: " + policy))
          .anySatisfy(s -> assertThat(s).startsWith("catalog: " + manifest).contains("describes image 'other'"))
          .anySatisfy(s -> assertThat(s).startsWith("dhcp: " + leases))
          .anySatisfy(s -> assertThat(s).startsWith("telemetry: " + journal));
      String metrics = get(healthPort, "/metrics").body();
      assertThat(metrics).contains("boottorrent_services_failed 1.0").contains("boottorrent_state_files_set_aside 5.0");
    } finally {
      running.vertx().close().await();
    }

    // WHEN the operator restores keys.pb from a backup and restarts the process
    Files.write(keys, keysBackup);
    JsonObject again = config(data);
    running = ServeCommand.start(again, ALL);
    try {
      // THEN all six run; the tokens file is set aside, its tokens void, and a new admin token works
      assertThat(running.failed()).isEmpty();
      assertThat(running.services()).containsExactlyElementsOf(ALL);
      CorruptFiles.assertSetAsideIntact(tokensFile, badTokens);
      String admin = Files.readString(catalogDir.resolve(TokenStore.ADMIN_TOKEN_FILE)).trim();
      assertThat(getWithToken(again, "/api/v1/tokens", admin).statusCode()).isEqualTo(200);
      assertThat(getWithToken(again, "/api/v1/tokens", oldToken).statusCode()).isEqualTo(401);
      // AND the catalog serves the image it still trusts, with the default policy
      String images = get(again, "catalog", "/api/v1/images").body();
      assertThat(images).contains("\"other\"").doesNotContain("\"demo\"");
      assertThat(new JsonObject(get(again, "catalog", "/api/v1/policy").body()).getString("defaultImage", ""))
          .isEmpty();
      assertOthersAnswer(again);
      HttpResponse<String> readiness = get(running.healthPort(), "/readiness");
      assertThat(readiness.statusCode()).isEqualTo(200);
      assertThat(readiness.body()).contains(tokensFile.toString()).doesNotContain("\"failed\"");
    } finally {
      running.vertx().close().await();
    }
  }

  /** Tracker, telemetry (with the machines of the journal's records on both sides of the bad one), DHCP, TFTP. */
  private void assertOthersAnswer(JsonObject config) throws Exception {
    HttpResponse<String> scrape = get(config, "tracker", "/scrape");
    assertThat(scrape.statusCode()).isLessThan(500);
    assertThat(scrape.body()).startsWith("d");
    String machines = get(config, "telemetry", "/api/v1/machines").body();
    assertThat(machines).contains(MAC_BEFORE).contains(MAC_AFTER);
    // DHCP: both clients are offered their own address again (a new one would get .2), the one whose
    // lease came after the corrupt line too
    assertThat(offer(config, 2)).isEqualTo(Ipv4.parse("127.0.10.7"));
    assertThat(offer(config, 1)).isEqualTo(Ipv4.parse("127.0.10.1"));
    // AND the address whose line did not read is held back: a new client gets .3, not .2
    assertThat(offer(config, 4)).isEqualTo(Ipv4.parse("127.0.10.3"));
    assertThat(tftpFirstBlock(config, "hello.txt")).isEqualTo("hello over tftp");
  }

  // ------------------------------------------------------------------------------------ the state

  private void writeState(Path data) throws IOException {
    Path imports = Files.createDirectories(data.resolve("import"));
    Files.write(imports.resolve("vmlinuz"), noise(50_000, 3));
    try (ImageStore store = ImageStore.open(new ImageStore.Settings(data, List.of(), List.of(), List::of, 0, 10),
        TorrentFactory::create, Clock.systemUTC())) {
      for (String name : List.of("demo", "other")) {
        store.add(AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
            .setKernel(imports.resolve("vmlinuz").toString()).build());
      }
      store.putPolicy(BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(3).build());
    }
    SigningKeys.open(SigningKeys.fileIn(data), Clock.systemUTC());
    io.boottorrent.dhcp.LeaseJournal leases = io.boottorrent.dhcp.LeaseJournal.inDataDir(data);
    long until = System.currentTimeMillis() + 3_600_000;
    leases.append(List.of(new io.boottorrent.dhcp.Lease(Ipv4.parse("127.0.10.1"), io.boottorrent.dhcp.Lease.State.BOUND,
        mac(1), until)));
    leases.append(List.of(new io.boottorrent.dhcp.Lease(Ipv4.parse("127.0.10.7"), io.boottorrent.dhcp.Lease.State.BOUND,
        mac(2), until)));
    Path telemetry = Files.createDirectories(data.resolve("telemetry"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String mac : List.of(MAC_BEFORE, MAC_AFTER)) {
      TelemetryRecord.newBuilder().setReceivedMs(System.currentTimeMillis()).setBootEvent(BootEvent.newBuilder()
          .setMac(mac).setStage(BootStage.AGENT_STARTED).setTimestampMs(System.currentTimeMillis())
          .setMessage("agent started")).build().writeDelimitedTo(out);
    }
    Files.write(telemetry.resolve("journal"), out.toByteArray());
    Files.createDirectories(data.resolve("tftp"));
  }

  private static String mac(int n) {
    return String.format("02:00:00:00:00:%02x", n);
  }

  /** The journal with a record of garbage (its length fits) between its first and second record. */
  private static byte[] insertRecord(byte[] journal) {
    int first = journal[0] + 1; // one-byte lengths: these records are short
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(journal, 0, first);
    out.writeBytes(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    out.write(journal, first, journal.length - first);
    return out.toByteArray();
  }

  /** The lease journal with {@code line} before its last line. */
  private static byte[] insertLine(byte[] journal, byte[] line) {
    int last = journal.length - 2;
    while (journal[last] != '\n') {
      last--;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(journal, 0, last + 1);
    out.writeBytes(line);
    out.write(journal, last + 1, journal.length - last - 1);
    return out.toByteArray();
  }

  private static byte[] noise(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  // ----------------------------------------------------------------------------------- the process

  private JsonObject config(Path data) throws IOException {
    JsonObject config = TestConfig.loopback(data);
    config.getJsonObject("health").put("port", Ports.freeTcp()).put("host", "127.0.0.1");
    config.getJsonObject("dhcp").mergeIn(new JsonObject()
        .put("bindHost", "127.0.0.1").put("port", freeUdp()).put("serverAddress", "127.0.0.1")
        .put("relayPort", freeUdp()).put("clientPort", freeUdp())
        .put("pools", new JsonArray().add(new JsonObject().put("subnet", "127.0.0.0/8")
            .put("rangeStart", "127.0.10.1").put("rangeEnd", "127.0.10.20"))));
    Path tftpRoot = Files.createDirectories(data.resolve("tftp-root"));
    Files.writeString(tftpRoot.resolve("hello.txt"), "hello over tftp");
    config.getJsonObject("tftp").put("bindHost", "127.0.0.1").put("port", freeUdp()).put("root", tftpRoot.toString())
        .put("fallbackRoots", new JsonArray());
    return config;
  }

  private static int freeUdp() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A relayed DISCOVER of client {@code n} (MAC 02:00:00:00:00:0n); the address offered. */
  private static Ipv4 offer(JsonObject config, int n) throws Exception {
    JsonObject dhcp = config.getJsonObject("dhcp");
    byte[] mac = {0x02, 0, 0, 0, 0, (byte) n};
    DhcpMessage discover = DhcpMessage.request(mac, 0x4000 + n, DhcpOptions.builder().messageType(MessageType.DISCOVER)
        .build()).withGiaddr(Ipv4.parse("127.0.0.1")).withHops(1);
    try (DatagramSocket relay = new DatagramSocket(dhcp.getInteger("relayPort"), InetAddress.getLoopbackAddress())) {
      relay.setSoTimeout(10_000);
      byte[] bytes = DhcpCodec.encode(discover);
      relay.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), dhcp.getInteger("port")));
      byte[] buffer = new byte[1500];
      DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
      relay.receive(reply);
      DhcpMessage offer = DhcpCodec.decode(Arrays.copyOf(buffer, reply.getLength()));
      assertThat(offer.messageType()).contains(MessageType.OFFER);
      return offer.yiaddr();
    }
  }

  /** RFC 1350 read request for {@code file}; the text of the first DATA block. */
  private static String tftpFirstBlock(JsonObject config, String file) throws Exception {
    ByteArrayOutputStream rrq = new ByteArrayOutputStream();
    rrq.writeBytes(new byte[] {0, 1});
    rrq.writeBytes((file + "\0octet\0").getBytes(StandardCharsets.US_ASCII));
    try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      client.setSoTimeout(10_000);
      byte[] bytes = rrq.toByteArray();
      client.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(),
          config.getJsonObject("tftp").getInteger("port")));
      byte[] buffer = new byte[600];
      DatagramPacket data = new DatagramPacket(buffer, buffer.length);
      client.receive(data);
      assertThat(buffer[1]).as("DATA").isEqualTo((byte) 3);
      byte[] ack = {0, 4, buffer[2], buffer[3]};
      client.send(new DatagramPacket(ack, ack.length, data.getSocketAddress()));
      return new String(buffer, 4, data.getLength() - 4, StandardCharsets.US_ASCII);
    }
  }

  private HttpResponse<String> get(JsonObject config, String service, String path) throws Exception {
    return get(config.getJsonObject(service).getInteger("httpPort"), path);
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> getWithToken(JsonObject config, String path, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + config.getJsonObject("catalog").getInteger("httpPort") + path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject check(JsonObject body, String id) {
    return body.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> id.equals(c.getString("id"))).findFirst()
        .orElseThrow(() -> new AssertionError("no check " + id + " in " + body.encode()));
  }
}
