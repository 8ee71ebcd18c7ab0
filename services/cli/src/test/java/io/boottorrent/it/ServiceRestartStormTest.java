package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentOptions;
import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services killed mid-storm (issue 13, "Faults"), one at a time, on one stack of service processes
 * ({@link ClusterLab}: catalog, tracker, one seeder on the catalog's payload, telemetry, each its own
 * {@code boottorrent serve --services X} JVM) and storms of {@value #AGENTS} agents in this JVM. Each
 * service is killed with SIGKILL (no goodbye, nothing flushed) and started again on the same data dir;
 * the agents of the storm must finish and verify, and what the service acknowledged before the kill
 * must still be there after. Uploads are capped so that a storm lasts long enough to be disturbed.
 */
@Tag("faults")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ServiceRestartStormTest {
  static final int AGENTS = 4;
  static final long IMAGE_BYTES = 8 << 20;
  static final long AGENT_UPLOAD = 256 << 10;
  static final long SEEDER_UPLOAD = 1 << 20;
  private static final List<String> MEMBERS = List.of("catalog", "tracker", "seeder", "telemetry", "watcher");
  private static final Pattern PROGRESS = Pattern.compile("(\\d{1,3}\\.\\d)% ");

  @TempDir static Path dir;
  private ClusterLab lab;
  private Vertx watcher;
  private String catalogUrl;
  private String telemetryUrl;
  private final int trackerPort = Ports.freeTcp();
  private final Map<String, SeederStatus> seeders = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void startTheStack() throws Exception {
    lab = new ClusterLab(dir, Path.of("target", "cluster-lab", "service-restart"), MEMBERS);
    int catalogPort = Ports.freeTcp();
    int telemetryPort = Ports.freeTcp();
    catalogUrl = "http://127.0.0.1:" + catalogPort;
    telemetryUrl = "http://127.0.0.1:" + telemetryPort;
    lab.shared
        .put("catalog", new JsonObject().put("host", "127.0.0.1").put("httpPort", catalogPort).put("webSeed", true)
            .put("trackers", new JsonArray().add("http://127.0.0.1:" + trackerPort + "/announce")))
        .put("tracker", new JsonObject().put("host", "127.0.0.1").put("httpPort", trackerPort))
        .put("telemetry", new JsonObject().put("host", "127.0.0.1").put("httpPort", telemetryPort))
        .put("seeder", new JsonObject().put("listenHost", "127.0.0.1").put("listenPort", 0).put("id", "seeder")
            .put("uploadLimit", SEEDER_UPLOAD).put("statusIntervalMs", 300)
            .put("dataDir", dir.resolve("catalog").toString()));
    List<Proc.Running> first = List.of(lab.serve("catalog", "catalog", new JsonObject()),
        lab.serve("tracker", "tracker", new JsonObject()), lab.serve("seeder", "seeder", new JsonObject()),
        lab.serve("telemetry", "telemetry", new JsonObject()));
    for (Proc.Running member : first) {
      ClusterLab.awaitRunning(member);
    }
    watcher = lab.join("watcher");
    watcher.eventBus().<SeederStatus>consumer(Addresses.SEEDER_STATUS, m -> seeders.put(m.body().getSeederId(), m.body()))
        .completion().await();
  }

  @AfterAll
  void stopTheStack() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void theOnlySeederKilledAtHalfwayAgentsFinishFromEachOtherAndTheWebSeedAndItComesBackSeeding() throws Exception {
    ImageManifest image = addImage("half", 1);
    awaitSeeding(image.getName(), Duration.ofSeconds(60));
    Storm storm = storm(1, image);
    // WHEN the only seeder's process is killed (SIGKILL) while the agents are at about half the image
    storm.open();
    double at = storm.awaitMeanProgress(50);
    lab.member("seeder").process().destroyForcibly();
    assertThat(lab.member("seeder").waitFor(Duration.ofSeconds(10))).isTrue();
    seeders.remove("seeder");
    System.out.printf(Locale.ROOT, "seeder killed with the agents at %.1f %% on average%n", at);
    // THEN every agent finishes, byte for byte, from the others and the catalog's web seed
    List<AgentResult> results = storm.results();
    long webSeed = results.stream().mapToLong(AgentResult::bytesFromWebSeed).sum();
    System.out.printf(Locale.ROOT, "after the seeder was killed: %d agents verified the image, last at %.1f s, "
        + "%.1f MiB from the web seed%n", results.size(), storm.lastSeconds(results), webSeed / 1048576.0);
    assertThat(results).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());

    // WHEN the seeder is started again on the same (the catalog's) payload
    long restarted = System.nanoTime();
    Proc.Running again = lab.serve("seeder", "seeder", new JsonObject());
    ClusterLab.awaitRunning(again);
    double running = (System.nanoTime() - restarted) / 1e9;
    awaitSeeding(image.getName(), Duration.ofSeconds(60));
    System.out.printf(Locale.ROOT, "seeder restarted: process running after %.1f s, seeding '%s' after %.1f s%n",
        running, image.getName(), (System.nanoTime() - restarted) / 1e9);
    // THEN it seeds without re-hashing the payload (libtorrent's seed mode)
    assertThat(again.output()).contains("added half").contains("seed mode");
  }

  @Test
  @Order(2)
  void theCatalogKilledAsAgentsStartComesBackWithItsImagesPolicyAndTokensAndTheAgentsFinish() throws Exception {
    ImageManifest image = addImage("catalog-kill", 2);
    awaitSeeding(image.getName(), Duration.ofSeconds(60));
    // GIVEN a policy and an operator token the catalog acknowledged
    String policy = new JsonObject().put("defaultImage", "catalog-kill").put("menuTimeoutSeconds", 3)
        .put("groups", new JsonObject().put("02:00:00:00:02:01", "rack-2")).encode();
    assertThat(send("PUT", "/api/v1/policy", policy, TestTokens.bearer(dir.resolve("catalog"))).statusCode())
        .isEqualTo(200);
    HttpResponse<String> token = send("POST", "/api/v1/tokens",
        new JsonObject().put("name", "faults-operator").put("role", "OPERATOR").encode(),
        TestTokens.bearer(dir.resolve("catalog")));
    assertThat(token.statusCode()).as(token.body()).isIn(200, 201);
    String secret = new JsonObject(token.body()).getString("secret");
    String images = send("GET", "/api/v1/images", null, null).body();
    // WHEN the catalog's process is killed, and agents start while it is down
    lab.member("catalog").process().destroyForcibly();
    assertThat(lab.member("catalog").waitFor(Duration.ofSeconds(10))).isTrue();
    Storm storm = storm(2, image);
    storm.open();
    Thread.sleep(3000);
    long restarted = System.nanoTime();
    ClusterLab.awaitRunning(lab.serve("catalog", "catalog", new JsonObject()));
    System.out.printf(Locale.ROOT, "catalog killed, agents started 3 s before it was started again; serving again "
        + "%.1f s after the start%n", (System.nanoTime() - restarted) / 1e9);
    // THEN the agents, retrying with back-off, get their assignment and finish
    List<AgentResult> results = storm.results();
    assertThat(results).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    System.out.printf(Locale.ROOT, "after the catalog restart: %d agents verified the image, last at %.1f s%n",
        results.size(), storm.lastSeconds(results));
    assertThat(storm.outputs()).allSatisfy(out -> assertThat(out).contains("verified"));
    // AND the images, the policy and the token are what the catalog acknowledged before the kill
    assertThat(send("GET", "/api/v1/images", null, null).body()).isEqualTo(images);
    String after = send("GET", "/api/v1/policy", null, null).body();
    assertThat(after).contains("catalog-kill").contains("rack-2");
    HttpResponse<String> withToken = send("PUT", "/api/v1/policy", policy, "Bearer " + secret);
    assertThat(withToken.statusCode()).as("the operator token created before the kill: " + withToken.body())
        .isEqualTo(200);
  }

  @Test
  @Order(3)
  void theTrackerKilledMidStormComesBackTheAgentsFinishAndTheSeederAnnouncesAgain() throws Exception {
    ImageManifest image = addImage("tracker-kill", 3);
    awaitSeeding(image.getName(), Duration.ofSeconds(60));
    Storm storm = storm(3, image);
    storm.open();
    // GIVEN the tracker lists the seeder and the agents
    Set<String> listed = awaitPeers(image.getInfoHash(), AGENTS + 1, Duration.ofSeconds(30));
    // WHEN its process is killed mid-storm (its swarm is in memory only) and started again
    storm.awaitMeanProgress(20);
    lab.member("tracker").process().destroyForcibly();
    assertThat(lab.member("tracker").waitFor(Duration.ofSeconds(10))).isTrue();
    long restarted = System.nanoTime();
    ClusterLab.awaitRunning(lab.serve("tracker", "tracker", new JsonObject()));
    System.out.printf(Locale.ROOT, "tracker killed mid-storm listing %d peers; running again %.1f s after the "
        + "start%n", listed.size(), (System.nanoTime() - restarted) / 1e9);
    // THEN the agents finish, mostly from peers (their connections outlive the tracker)
    List<AgentResult> results = storm.results();
    assertThat(results).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    long swarm = results.stream().mapToLong(AgentResult::bytesFromSwarm).sum();
    long webSeed = results.stream().mapToLong(AgentResult::bytesFromWebSeed).sum();
    System.out.printf(Locale.ROOT, "after the tracker restart: %d agents verified the image, last at %.1f s; "
        + "%.1f MiB from peers, %.1f MiB from the web seed%n", results.size(), storm.lastSeconds(results),
        swarm / 1048576.0, webSeed / 1048576.0);
    assertThat(swarm).as("bytes from peers").isPositive();
    // AND the restarted tracker lists the seeder again once it re-announces (tracker.interval, 30 s)
    long asked = System.nanoTime();
    String seederPeer = "127.0.0.1:" + seeders.get("seeder").getListenPort();
    awaitPeer(image.getInfoHash(), seederPeer, Duration.ofSeconds(90));
    System.out.printf(Locale.ROOT, "the restarted tracker lists the seeder again %.1f s after the storm%n",
        (System.nanoTime() - asked) / 1e9);
  }

  private Set<String> awaitPeers(String infoHash, int atLeast, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<String> peers = Set.of();
    while (System.nanoTime() < deadline) {
      peers = peersAt(infoHash);
      if (peers.size() >= atLeast) {
        return peers;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the tracker never listed " + atLeast + " peers; last: " + peers);
  }

  private void awaitPeer(String infoHash, String peer, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<String> peers = Set.of();
    while (System.nanoTime() < deadline) {
      peers = peersAt(infoHash);
      if (peers.contains(peer)) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the tracker never listed " + peer + " again; it lists " + peers);
  }

  /** The peers the tracker lists for {@code infoHash}, as "ip:port", asked as a non-listening observer. */
  private Set<String> peersAt(String infoHashHex) throws Exception {
    byte[] hash = io.boottorrent.core.InfoHash.fromHex(infoHashHex).bytes();
    StringBuilder escaped = new StringBuilder();
    for (byte b : hash) {
      escaped.append('%').append(String.format("%02X", b & 0xff));
    }
    String url = "http://127.0.0.1:" + trackerPort + "/announce?info_hash=" + escaped
        + "&peer_id=-OB0001-observer0001&port=9&uploaded=0&downloaded=0&left=1&compact=1&numwant=200";
    HttpResponse<byte[]> r;
    try {
      r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.io.IOException down) {
      return Set.of();
    }
    Set<String> peers = new TreeSet<>();
    if (!(io.boottorrent.tracker.protocol.Bencode.decode(r.body()) instanceof io.boottorrent.tracker.protocol.BDict body)
        || !(body.get("peers").orElse(null) instanceof io.boottorrent.tracker.protocol.BBytes compactPeers)) {
      return peers; // a failure reason (not yet synced with the catalog)
    }
    byte[] compact = compactPeers.bytes();
    for (int i = 0; i + 6 <= compact.length; i += 6) {
      int port = ((compact[i + 4] & 0xff) << 8) | (compact[i + 5] & 0xff);
      if (port != 9) {
        peers.add(String.format("%d.%d.%d.%d:%d", compact[i] & 0xff, compact[i + 1] & 0xff, compact[i + 2] & 0xff,
            compact[i + 3] & 0xff, port));
      }
    }
    return peers;
  }

  @Test
  @Order(4)
  void telemetryKilledMidStormListsEveryEventItListedBefore() throws Exception {
    ImageManifest image = addImage("telemetry-kill", 4);
    awaitSeeding(image.getName(), Duration.ofSeconds(60));
    Storm storm = storm(4, image);
    storm.open();
    storm.awaitMeanProgress(30);
    // GIVEN the events telemetry lists for the storm's machines
    Set<String> before = new TreeSet<>();
    for (int i = 1; i <= AGENTS; i++) {
      before.addAll(events(mac(4, i)));
    }
    assertThat(before).isNotEmpty();
    // WHEN its process is killed and started again on the same data dir
    lab.member("telemetry").process().destroyForcibly();
    assertThat(lab.member("telemetry").waitFor(Duration.ofSeconds(10))).isTrue();
    long restarted = System.nanoTime();
    ClusterLab.awaitRunning(lab.serve("telemetry", "telemetry", new JsonObject()));
    System.out.printf(Locale.ROOT, "telemetry killed mid-storm with %d events listed; serving again %.1f s after "
        + "the start%n", before.size(), (System.nanoTime() - restarted) / 1e9);
    // THEN the agents finish
    List<AgentResult> results = storm.results();
    assertThat(results).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    // AND every event listed before the kill is listed again
    Set<String> after = new TreeSet<>();
    for (int i = 1; i <= AGENTS; i++) {
      after.addAll(events(mac(4, i)));
    }
    Set<String> lost = new TreeSet<>(before);
    lost.removeAll(after);
    long gap = after.stream().filter(e -> !before.contains(e)).count();
    System.out.printf(Locale.ROOT, "telemetry after the restart: %d events listed, %d of the %d listed before lost; "
        + "%d listed that came later (the catalog publishes events; those posted while no telemetry listened are "
        + "not in its history)%n", after.size(), lost.size(), before.size(), gap);
    assertThat(lost).as("events listed before the kill, missing after it").isEmpty();
    // AND new events reach it again through the catalog
    String mac = mac(4, 9);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    boolean listed = false;
    while (!listed && System.nanoTime() < deadline) {
      HttpResponse<String> posted = send("POST", "/api/v1/events", new JsonObject().put("mac", mac)
          .put("stage", "AGENT_STARTED").put("message", "after the telemetry restart").encode(), null);
      assertThat(posted.statusCode()).as(posted.body()).isIn(202, 429);
      Thread.sleep(500);
      listed = events(mac).stream().anyMatch(e -> e.contains("after the telemetry restart"));
    }
    assertThat(listed).as("an event posted after the restart is listed").isTrue();
  }

  // ------------------------------------------------------------------------------------ helpers

  /** Telemetry's events for {@code mac}, each as "timestamp stage message" (what identifies one). */
  private List<String> events(String mac) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(telemetryUrl + "/api/v1/events?limit=1000&mac="
        + mac)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonArray list = new JsonObject(r.body()).getJsonArray("events", new JsonArray());
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonObject e = list.getJsonObject(i);
      out.add(e.getString("mac") + " " + e.getValue("timestampMs") + " " + e.getString("stage") + " "
          + e.getString("message", ""));
    }
    return out;
  }

  private HttpResponse<String> send(String method, String path, String body, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(catalogUrl + path)).timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private ImageManifest addImage(String name, long seed) throws Exception {
    Path src = Files.createDirectories(dir.resolve("catalog/import/" + name));
    Stack.writeRandom(src.resolve("vmlinuz"), 1 << 20, seed);
    Stack.writeRandom(src.resolve("initrd"), IMAGE_BYTES, seed + 100);
    String request = new JsonObject().put("name", name).put("kind", "KEXEC")
        .put("kernel", src.resolve("vmlinuz").toString()).put("initrd", src.resolve("initrd").toString()).encode();
    HttpResponse<String> added = send("POST", "/api/v1/images", request, TestTokens.bearer(dir.resolve("catalog")));
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    return Json.parse(added.body(), ImageManifest.newBuilder()).build();
  }

  private void awaitSeeding(String image, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      SeederStatus status = seeders.get("seeder");
      if (status != null && status.getTorrentsList().stream()
          .anyMatch(t -> t.getName().equals(image) && t.getState().equals("seeding"))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the seeder never seeded " + image + "; last status: " + seeders.get("seeder"));
  }

  private static String mac(int storm, int agent) {
    return String.format("02:00:00:00:%02x:%02x", storm, agent);
  }

  /**
   * Deploys {@value #AGENTS} agents for {@code image}, each stopping at the storm's start gate once its
   * libtorrent session listens (without a catalog they keep retrying their first request instead).
   */
  private Storm storm(int number, ImageManifest image) {
    Path gate = dir.resolve("gate-" + number);
    List<Future<AgentResult>> results = new ArrayList<>();
    List<ByteArrayOutputStream> outputs = new ArrayList<>();
    for (int i = 1; i <= AGENTS; i++) {
      JsonObject cfg = TestConfig.section("agent")
          .put("catalogUrl", catalogUrl).put("mac", mac(number, i))
          .put("workDir", dir.resolve("storm-" + number + "/agent-" + i).toString()).put("image", image.getName())
          .put("launcher", "none").put("interactive", false).put("listenHost", "127.0.0.1")
          .put("uploadLimit", AGENT_UPLOAD).put("progressIntervalMs", 500).put("startGate", gate.toString());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      outputs.add(out);
      AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(cfg), null,
          new PrintStream(out, true, StandardCharsets.UTF_8));
      results.add(watcher.deployVerticle(agent).compose(id -> agent.result()));
    }
    return new Storm(gate, results, outputs, System.nanoTime());
  }

  private record Storm(Path gate, List<Future<AgentResult>> futures, List<ByteArrayOutputStream> out, long created) {
    void open() throws Exception {
      Files.createFile(gate);
    }

    List<String> outputs() {
      return out.stream().map(o -> o.toString(StandardCharsets.UTF_8)).toList();
    }

    /** Waits until the agents' latest progress lines average {@code percent}; returns that average. */
    double awaitMeanProgress(double percent) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      double mean = 0;
      while (System.nanoTime() < deadline) {
        mean = outputs().stream().mapToDouble(Storm::lastProgress).average().orElse(0);
        if (mean >= percent) {
          return mean;
        }
        Thread.sleep(100);
      }
      throw new AssertionError("the agents never averaged " + percent + " %; at " + mean + " %: " + outputs());
    }

    static double lastProgress(String output) {
      Matcher m = PROGRESS.matcher(output);
      double last = 0;
      while (m.find()) {
        last = Double.parseDouble(m.group(1));
      }
      return output.contains(" downloaded: ") ? 100 : last;
    }

    List<AgentResult> results() {
      Future<?> all = Future.all(futures);
      try {
        all.toCompletionStage().toCompletableFuture().get(150, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the storm's agents did not all finish: " + e + "\n" + String.join("\n---\n", outputs()),
            e);
      }
      return futures.stream().map(Future::result).toList();
    }

    double lastSeconds(List<AgentResult> results) {
      return results.stream().mapToLong(AgentResult::downloadMillis).max().orElse(0) / 1000.0;
    }
  }
}
