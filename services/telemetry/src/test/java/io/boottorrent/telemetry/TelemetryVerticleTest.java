package io.boottorrent.telemetry;

import static io.boottorrent.telemetry.Fixtures.HASH;
import static io.boottorrent.telemetry.Fixtures.IMAGE;
import static io.boottorrent.telemetry.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.MachineList;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.server.Json;
import io.boottorrent.telemetry.Fixtures.Boot;
import io.boottorrent.telemetry.Fixtures.TestClock;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class TelemetryVerticleTest {
  @TempDir Path dir;
  Vertx vertx;
  TelemetryOptions options;
  TelemetryVerticle verticle;
  String deployment;
  WebClient client;
  final TestClock clock = new TestClock(T0);

  @BeforeEach
  void deploy(Vertx vertx) {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    options = options(TestConfig.section("telemetry").put("sseHeartbeatSeconds", 1));
    start();
  }

  @AfterEach
  void close() {
    client.close();
  }

  TelemetryOptions options(JsonObject section) {
    return TelemetryOptions.fromSection(section.put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1"));
  }

  void start() {
    verticle = new TelemetryVerticle(options, TestConfig.loopbackProcess(dir));
    deployment = await(vertx.deployVerticle(verticle));
    if (client != null) {
      client.close();
    }
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(verticle.actualPort()));
  }

  void restart() {
    await(vertx.undeploy(deployment));
    start();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  static void eventually(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  Boot onTheBus(int i) {
    return new Boot(e -> vertx.eventBus().publish(Addresses.BOOT_EVENT, e), clock, Fixtures.mac(i), Fixtures.ip(i),
        "node-" + i);
  }

  /** A boot through to LAUNCHING, event times from T0 + offset: 13 events. */
  Boot fullBoot(int i, long offset) {
    return onTheBus(i).at(T0 + offset).pxe().lease().tftp().httpBoot().started().menu().chosen().downloadStarted()
        .progress(0.5).complete(4_000_000, 6_000_000, 0).verified().seedingDone().launching();
  }

  HttpResponse<Buffer> get(String uri) {
    return await(client.get(uri).send());
  }

  JsonObject json(String uri) {
    HttpResponse<Buffer> r = get(uri);
    assertThat(r.statusCode()).as(uri + ": " + r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  List<JsonObject> events(String query) {
    return json("/api/v1/events" + query).getJsonArray("events").stream().map(JsonObject.class::cast).toList();
  }

  int eventCount() {
    return events("?limit=10000").size();
  }

  // ---------------------------------------------------------------------------------------- REST

  @Test
  void eventsAreServedWithTheCatalogsShapeAndFiltered() {
    // GIVEN two machines' boots on the bus
    fullBoot(1, 0);
    fullBoot(2, 100_000);
    eventually(() -> eventCount() == 26);

    // THEN /api/v1/events has them as {"events": [BootEvent JSON]}, filtered and limited
    List<JsonObject> two = events("?mac=52-54-00-00-00-02&limit=1000");
    assertThat(two).hasSize(13).allMatch(e -> e.getString("mac").equals(Fixtures.mac(2)));
    assertThat(two.get(2).getString("stage")).as("TFTP joined by IP, with the MAC").isEqualTo("TFTP_TRANSFER");
    assertThat(events("?stage=verified")).extracting(e -> e.getString("mac"))
        .containsExactly(Fixtures.mac(1), Fixtures.mac(2));
    assertThat(events("?image=debian&stage=DOWNLOAD_COMPLETE&limit=1")).singleElement()
        .satisfies(e -> assertThat(e.getJsonObject("bytesFromPeers").getString("10.0.0.1:6881")).isEqualTo("4000000"));
    assertThat(events("?since=" + (T0 + 100_000))).hasSize(13);
    assertThat(events("?until=2023-11-14T22:13:20Z")).as("T0 as an instant").hasSize(13);
    assertThat(events("?limit=3")).extracting(e -> e.getString("stage"))
        .containsExactly("VERIFIED", "SEEDING_DONE", "LAUNCHING");
    assertThat(events("")).hasSize(26);
  }

  @Test
  void machinesArePagedWithATotalAndOneMachineHasItsTimelineAndEvents() {
    for (int i = 1; i <= 5; i++) {
      fullBoot(i, i * 1_000L);
    }
    onTheBus(9).at(T0).lease();
    eventually(() -> json("/api/v1/machines").getInteger("total") == 6);

    JsonObject page = json("/api/v1/machines?image=debian&offset=1&limit=2");
    assertThat(page.getInteger("total")).isEqualTo(5);
    assertThat(page.getInteger("offset")).isEqualTo(1);
    assertThat(page.getInteger("limit")).isEqualTo(2);
    assertThat(page.getJsonArray("machines")).hasSize(2);
    assertThat(json("/api/v1/machines?stage=LAUNCHING&phase=launch&stalled=false").getInteger("total")).isEqualTo(5);
    assertThat(json("/api/v1/machines?mac=525400000009").getJsonArray("machines").getJsonObject(0)
        .getString("stage")).isEqualTo("DHCP_LEASE");

    // WHEN one machine is asked for in another spelling of its MAC
    JsonObject detail = json("/api/v1/machines/52-54-00-00-00-03");
    JsonObject machine = detail.getJsonObject("machine");
    assertThat(machine.getString("mac")).isEqualTo("52:54:00:00:00:03");
    assertThat(machine.getJsonArray("phases").stream().map(p -> ((JsonObject) p).getString("phase")).toList())
        .containsExactly("PHASE_DHCP", "PHASE_BOOT_FILES", "PHASE_AGENT_START", "PHASE_MENU", "PHASE_DOWNLOAD",
            "PHASE_VERIFY", "PHASE_SEEDING", "PHASE_LAUNCH");
    assertThat(machine.getBoolean("launched")).isTrue();
    assertThat(machine.getString("bytesFromPeers")).as("no seeder has reported: every peer is a machine")
        .isEqualTo("10000000");
    assertThat(machine.getString("bytesFromSeeder")).isEqualTo("0");
    assertThat(detail.getJsonArray("events")).hasSize(13);

    // AND the same answer is there as binary protobuf
    HttpResponse<Buffer> binary = await(client.get("/api/v1/machines?limit=1")
        .putHeader("Accept", "application/x-protobuf").send());
    assertThat(binary.getHeader("Content-Type")).isEqualTo("application/x-protobuf");
    assertThat(parse(binary.body().getBytes()).getTotal()).isEqualTo(6);
  }

  static MachineList parse(byte[] bytes) {
    try {
      return MachineList.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/api/v1/events?stage=BOOTING", "/api/v1/events?limit=0", "/api/v1/events?limit=many",
      "/api/v1/events?mac=zz:zz", "/api/v1/events?since=yesterday", "/api/v1/events?since=20&until=10",
      "/api/v1/events?macc=52:54:00:00:00:01", "/api/v1/events?mac=a&mac=b",
      "/api/v1/events/stream?stage=nope",
      "/api/v1/machines?offset=-1", "/api/v1/machines?phase=lunch", "/api/v1/machines?stalled=maybe",
      "/api/v1/machines/not-a-mac", "/api/v1/machines/52:54:00:99:99:99", "/api/v1/storms?x=1",
      "/api/v1/nothing", "/eventbus/info/../../../etc"})
  void aBadRequestIsA4xxWithAReasonNeverA500(String uri) {
    HttpResponse<Buffer> r = get(uri);
    assertThat(r.statusCode()).as(uri).isBetween(400, 499);
    if (uri.startsWith("/api")) {
      assertThat(r.bodyAsJsonObject().getString("error")).as(uri).isNotBlank();
    }
  }

  @Test
  void stormsAndSwarmsComeFromTheSeederTheTrackerAndTheCatalog() {
    vertx.eventBus().publish(Addresses.IMAGE_ADDED, ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED)
        .setImage(IMAGE).build());
    vertx.eventBus().publish(Addresses.SEEDER_STATUS, Fixtures.seeder("seeder-1", 1_000));
    vertx.eventBus().publish(Addresses.SWARM_STATS, SwarmStats.newBuilder().setInfoHash(HASH).setComplete(2)
        .setIncomplete(4).build());
    for (int i = 1; i <= 3; i++) {
      onTheBus(i).at(T0).started().downloadStarted().progress(0.5);
    }
    vertx.eventBus().publish(Addresses.SEEDER_STATUS, Fixtures.seeder("seeder-1", 3_001_000));
    eventually(() -> !json("/api/v1/storms").getJsonArray("storms").isEmpty()
        && json("/api/v1/storms").getJsonArray("storms").getJsonObject(0).getString("seederBytes").equals("3000000"));

    JsonObject storm = json("/api/v1/storms").getJsonArray("storms").getJsonObject(0);
    assertThat(storm.getInteger("memberCount")).isEqualTo(3);
    assertThat(storm.getString("deliveredBytes")).isEqualTo("15000000");
    assertThat(storm.getDouble("p2pShare")).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(storm.getDouble("seederCopies")).isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-9));
    JsonObject swarm = json("/api/v1/swarms").getJsonArray("swarms").getJsonObject(0);
    assertThat(swarm.getString("image")).isEqualTo("debian");
    assertThat(swarm.getInteger("swarmSize")).isEqualTo(6);
    assertThat(swarm.getInteger("seeders")).isEqualTo(1);
    assertThat(swarm.getString("seederUploaded")).isEqualTo("3001000");
    assertThat(swarm.getBoolean("inCatalog")).isTrue();
  }

  // ---------------------------------------------------------------------------------------- SSE

  /** An SSE client on its own thread: every line it reads, in order. */
  BlockingQueue<String> sse(String query, String lastEventId) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + verticle.actualPort()
        + "/api/v1/events/stream" + query));
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpClient.newHttpClient().sendAsync(request.build(), java.net.http.HttpResponse.BodyHandlers.ofLines())
        .thenAccept(r -> {
          lines.add("status " + r.statusCode() + " " + r.headers().firstValue("Content-Type").orElse(""));
          try (Stream<String> body = r.body()) {
            body.forEach(lines::add);
          }
        });
    return lines;
  }

  static String next(BlockingQueue<String> lines, Function<String, Boolean> wanted) {
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null && wanted.apply(line)) {
          return line;
        }
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("no such line within 20 s");
  }

  @Test
  void theStreamSendsTheMatchingEventsAsTheyArriveAndHeartbeats() {
    // GIVEN a client streaming machine 2's events
    BlockingQueue<String> lines = sse("?mac=52:54:00:00:00:02", null);
    assertThat(next(lines, l -> l.startsWith("status "))).isEqualTo("status 200 text/event-stream; charset=utf-8");
    next(lines, l -> l.equals(": telemetry events")); // registered from here on

    // WHEN both machines boot
    onTheBus(1).at(T0).started();
    onTheBus(2).at(T0).started().downloadStarted();

    // THEN it gets machine 2's two events, each as one data line of the event's JSON with an id
    String first = next(lines, l -> l.startsWith("data: "));
    assertThat(new JsonObject(first.substring(6)).getString("stage")).isEqualTo("AGENT_STARTED");
    assertThat(new JsonObject(first.substring(6)).getString("mac")).isEqualTo(Fixtures.mac(2));
    String second = next(lines, l -> l.startsWith("data: "));
    assertThat(new JsonObject(second.substring(6)).getString("stage")).isEqualTo("DOWNLOAD_STARTED");
    // AND a comment every heartbeat (1 s here)
    assertThat(next(lines, l -> l.startsWith(":"))).isEqualTo(": heartbeat");
    assertThat(lines).noneMatch(l -> l.contains(Fixtures.mac(1)));
  }

  @Test
  void aReconnectingClientGetsWhatItMissedAfterItsLastEventId() {
    onTheBus(1).at(T0).started().menu().chosen();
    eventually(() -> eventCount() == 3);
    BlockingQueue<String> first = sse("", null);
    next(first, l -> l.equals(": telemetry events"));
    onTheBus(1).at(T0).downloadStarted();
    String id = next(first, l -> l.startsWith("id: ")).substring(4);
    onTheBus(1).at(T0).progress(0.5).progress(0.7);
    eventually(() -> eventCount() == 6);

    BlockingQueue<String> again = sse("", id);
    String missed = next(again, l -> l.startsWith("data: "));
    assertThat(new JsonObject(missed.substring(6)).getString("stage")).isEqualTo("DOWNLOAD_PROGRESS");
    assertThat(next(again, l -> l.startsWith("id: "))).isEqualTo("id: " + (Long.parseLong(id) + 2));
    // a client with since= gets the latest matching events first
    BlockingQueue<String> since = sse("?since=0&stage=MENU_SHOWN", null);
    assertThat(new JsonObject(next(since, l -> l.startsWith("data: ")).substring(6)).getString("stage"))
        .isEqualTo("MENU_SHOWN");
  }

  @Test
  void aClientThatDoesNotReadIsDisconnectedNotBufferedForever() throws Exception {
    // GIVEN a raw HTTP client that asks for the stream and then never reads
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()));
      OutputStream out = socket.getOutputStream();
      out.write(("GET /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      eventually(() -> await(verticle.sseClientCount()) == 1);

      // WHEN far more events arrive than the socket buffers hold
      String padding = "x".repeat(400);
      for (int i = 0; i < 40_000 && await(verticle.sseClientCount()) > 0; i++) {
        vertx.eventBus().publish(Addresses.BOOT_EVENT, BootEvent.newBuilder().setMac(Fixtures.mac(i % 500))
            .setStage(io.boottorrent.proto.BootStage.DOWNLOAD_PROGRESS).setMessage(padding).build());
        if (i % 1000 == 999) {
          Thread.sleep(20);
        }
      }

      // THEN the server drops it: the stream ends once the client reads what was sent
      eventually(() -> await(verticle.sseClientCount()) == 0);
      socket.setSoTimeout(20_000);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[1 << 16];
      long read = 0;
      int n;
      try {
        while ((n = in.read(buffer)) >= 0) {
          read += n;
        }
      } catch (java.net.SocketException reset) {
        // closed by a reset: the server is gone too
      }
      assertThat(read).as("what was sent before the drop").isPositive();
    }
    // AND the service goes on serving
    assertThat(get("/api/v1/events?limit=1").statusCode()).isEqualTo(200);
  }

  // ------------------------------------------------------------------------------------- bridge

  record Bridge(WebSocket socket, BlockingQueue<JsonObject> frames) {
    void send(JsonObject frame) {
      await(socket.writeTextMessage(frame.encode()));
    }

    JsonObject next(Function<JsonObject, Boolean> wanted) {
      return next(wanted, 10_000);
    }

    JsonObject next(Function<JsonObject, Boolean> wanted, long timeoutMs) {
      try {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
          JsonObject f = frames.poll(50, TimeUnit.MILLISECONDS);
          if (f != null && wanted.apply(f)) {
            return f;
          }
        }
        return null;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  Bridge bridge() {
    BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocketClient ws = vertx.createWebSocketClient();
    WebSocket socket = await(ws.connect(verticle.actualPort(), "127.0.0.1", "/eventbus/websocket"));
    // The raw-websocket transport sends each frame as a binary message of UTF-8 JSON
    socket.binaryMessageHandler(bytes -> frames.add(new JsonObject(bytes.toString(StandardCharsets.UTF_8))));
    socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
    return new Bridge(socket, frames);
  }

  @Test
  void bridgeClientsReceiveTheBusMessagesAsJsonOfTheProtobufMessages() {
    // GIVEN a raw SockJS websocket client registered for boot events and seeder status
    Bridge b = bridge();
    b.send(new JsonObject().put("type", "register").put("address", "boot.event"));
    b.send(new JsonObject().put("type", "register").put("address", "seeder.status"));

    // WHEN events are published on the bus (until the registration has reached the bus)
    JsonObject rec = null;
    for (int i = 0; i < 50 && rec == null; i++) {
      onTheBus(4).at(T0).started();
      rec = b.next(f -> "rec".equals(f.getString("type")) && "boot.event".equals(f.getString("address")), 200);
    }

    // THEN they arrive as {"type":"rec","address":...,"body": <the message's JSON>}
    assertThat(rec).isNotNull();
    assertThat(rec.getJsonObject("body").getString("mac")).isEqualTo(Fixtures.mac(4));
    assertThat(rec.getJsonObject("body").getString("stage")).isEqualTo("AGENT_STARTED");
    assertThat(rec.getJsonObject("body").getString("nodeId")).isEqualTo("node-4");
    vertx.eventBus().publish(Addresses.SEEDER_STATUS, Fixtures.seeder("seeder-7", 99));
    JsonObject status = b.next(f -> "seeder.status".equals(f.getString("address")));
    assertThat(status.getJsonObject("body").getString("seederId")).isEqualTo("seeder-7");
    assertThat(status.getJsonObject("body").getJsonArray("torrents")).hasSize(1);
    // AND an image event comes without its .torrent bytes
    b.send(new JsonObject().put("type", "register").put("address", "catalog.image.added"));
    JsonObject added = null;
    for (int i = 0; i < 50 && added == null; i++) {
      vertx.eventBus().publish(Addresses.IMAGE_ADDED, ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED)
          .setImage(IMAGE.toBuilder().setTorrent(com.google.protobuf.ByteString.copyFromUtf8("d4:infod...ee"))).build());
      added = b.next(f -> "catalog.image.added".equals(f.getString("address")), 200);
    }
    assertThat(added).isNotNull();
    assertThat(added.getJsonObject("body").getJsonObject("image").getString("name")).isEqualTo("debian");
    assertThat(added.getJsonObject("body").getJsonObject("image").getString("torrent")).isEmpty();
    b.socket().close();
  }

  @Test
  void bridgeClientsMayNotSendNorPublishNorListenToOtherAddresses() throws Exception {
    // GIVEN a bus consumer of boot events and a bridge client
    BlockingQueue<BootEvent> onBus = new LinkedBlockingQueue<>();
    await(vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> onBus.add(m.body())).completion());
    Bridge b = bridge();

    // WHEN the client publishes, sends, and registers for an address outside the allow-list
    JsonObject body = new JsonObject().put("mac", "52:54:00:66:66:66").put("stage", "FAILED");
    b.send(new JsonObject().put("type", "publish").put("address", "boot.event").put("body", body));
    JsonObject published = b.next(f -> "err".equals(f.getString("type")));
    b.send(new JsonObject().put("type", "send").put("address", "catalog.image.list").put("body", body)
        .put("replyAddress", "r1"));
    JsonObject sent = b.next(f -> "err".equals(f.getString("type")));
    b.send(new JsonObject().put("type", "register").put("address", "catalog.image.list"));
    JsonObject registered = b.next(f -> "err".equals(f.getString("type")));

    // THEN each is refused and nothing reached the bus
    assertThat(published).isNotNull();
    assertThat(published.getString("body")).isEqualTo("access_denied");
    assertThat(sent).isNotNull();
    assertThat(sent.getString("body")).isEqualTo("access_denied");
    assertThat(registered).isNotNull();
    assertThat(registered.getString("body")).isEqualTo("access_denied");
    assertThat(onBus.poll(500, TimeUnit.MILLISECONDS)).isNull();
    b.socket().close();
  }

  // ------------------------------------------------------------------------------------ restart

  /** Everything the API shows, as JSON; only of machines whose boot ended, so that "now" does not enter. */
  JsonObject everything() {
    JsonObject all = new JsonObject()
        .put("machines", json("/api/v1/machines?limit=1000"))
        .put("storms", json("/api/v1/storms"))
        .put("swarms", json("/api/v1/swarms"))
        .put("events", json("/api/v1/events?limit=10000"));
    JsonArray details = new JsonArray();
    for (Object m : all.getJsonObject("machines").getJsonArray("machines")) {
      details.add(json("/api/v1/machines/" + ((JsonObject) m).getString("mac")));
    }
    return all.put("details", details);
  }

  @ParameterizedTest(name = "compactMinBytes {0}")
  @ValueSource(longs = {16_777_216, 1})
  void aRestartOnTheSameDataDirShowsTheSameMachinesTimelinesAndStorms(long compactMinBytes) {
    // GIVEN a telemetry service (compacting its journal all the time, with compactMinBytes 1) that saw
    // two storms, one finished, a failure, a seeder and the tracker
    await(vertx.undeploy(deployment));
    options = options(TestConfig.section("telemetry").put("stormWindowSeconds", 1)
        .put("compactMinBytes", compactMinBytes));
    start();
    vertx.eventBus().publish(Addresses.SEEDER_STATUS, Fixtures.seeder("seeder-1", 0));
    vertx.eventBus().publish(Addresses.SWARM_STATS, SwarmStats.newBuilder().setInfoHash(HASH).setComplete(5).build());
    for (int i = 1; i <= 4; i++) {
      fullBoot(i, i);
    }
    vertx.eventBus().publish(Addresses.SEEDER_STATUS, Fixtures.seeder("seeder-1", 12_000_000));
    eventually(() -> json("/api/v1/storms").getJsonArray("storms").stream()
        .anyMatch(s -> ((JsonObject) s).getBoolean("finished")));
    onTheBus(5).at(T0 + 50_000).started().downloadStarted().failed("no space left on device");
    onTheBus(6).at(T0 + 50_000).started().downloadStarted().progress(0.3).complete(1, 2, 3).verified().launching();
    eventually(() -> eventCount() == 4 * 13 + 3 + 6);
    eventually(() -> json("/api/v1/storms").getJsonArray("storms").stream()
        .filter(s -> ((JsonObject) s).getBoolean("finished")).count() == 2);
    JsonObject before = everything();
    assertThat(before.getJsonObject("storms").getJsonArray("storms").getJsonObject(
        before.getJsonObject("storms").getJsonArray("storms").size() - 1).getString("seederBytes")).isEqualTo("12000000");

    // WHEN it is undeployed and deployed again on the same data dir
    restart();

    // THEN it shows exactly the same
    assertThat(everything()).isEqualTo(before);
    // AND goes on from there
    onTheBus(7).at(T0).started();
    eventually(() -> json("/api/v1/machines").getInteger("total") == 7);
    assertThat(events("?limit=1").get(0).getString("mac")).isEqualTo(Fixtures.mac(7));
  }

  @Test
  void anyOriginMayReadTheApiAndTheBridgeSetsNoCookie() {
    HttpResponse<Buffer> r = await(client.get("/api/v1/storms").putHeader("Origin", "http://dashboard:3000").send());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Access-Control-Allow-Origin")).isEqualTo("*");
    assertThat(get("/eventbus/info").bodyAsJsonObject().getBoolean("cookie_needed")).isFalse();
  }

  @Test
  void theJsonOfTheRestViewsIsTheProtobufJsonMapping() throws Exception {
    onTheBus(1).at(T0).started();
    eventually(() -> eventCount() == 1);
    String body = get("/api/v1/machines").bodyAsString();
    MachineList parsed = Json.parse(body, MachineList.newBuilder()).build();
    assertThat(parsed.getMachines(0).getMac()).isEqualTo(Fixtures.mac(1));
    assertThat(Json.print(parsed)).isEqualTo(body);
  }
}
