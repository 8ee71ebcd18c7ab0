package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentOptions;
import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.core.InfoHash;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestTokens;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.protocol.BBytes;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.tracker.protocol.Bencode;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out across processes: the catalog, two trackers, seeders and telemetry each in its own JVM
 * ({@code boottorrent serve --services X --cluster}), one Hazelcast cluster on loopback (TCP member
 * list), and boot storms of {@value #AGENTS} agents in this JVM (which joins the cluster too, to
 * watch {@code seeder.status} as any member can). The torrents name both trackers (one tier each, so
 * agents announce to both). Uploads are capped — agents {@value #AGENT_UPLOAD} B/s, seeders
 * {@value #SEEDER_UPLOAD} B/s — so that a storm's speed is set by upload capacity, as on a real
 * network, not by this machine's two cores.
 *
 * <p>The storms run in order on one cluster (its start is the expensive part): a baseline with one
 * seeder; one where a second and a third seeder start mid-storm, fetch the image from the swarm and
 * serve it; one where a tracker is killed and the first seeder stopped mid-storm.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ScaleOutStormTest {
  static final int AGENTS = 16;
  /** {@code make bench-scale} runs longer storms (-Dscaleout.imageMiB=64): seeders started mid-storm then matter. */
  static final long IMAGE_BYTES = Long.getLong("scaleout.imageMiB", 16) << 20;
  /**
   * Whether torrents carry the catalog's web seed (the default config does; agents use it only when
   * peers are slow, a seeder always): {@code make bench-scale ARGS=--web-seed} measures seeders that
   * fetch from the catalog's HTTP server as well as from the swarm. The catalog is then capped as a
   * seeder is ({@code catalog.uploadLimit} = {@value #SEEDER_UPLOAD} B/s: a node of its own with the
   * same link), so that its web seed is one more capped source, in every storm, not a free one.
   */
  static final boolean WEB_SEED = Boolean.getBoolean("scaleout.webSeed");
  /** When the mid-storm seeders start, after the gate. */
  static final long SEEDER_DELAY_MS = Long.getLong("scaleout.seederDelayMs", 3000);
  static final long AGENT_UPLOAD = 512 << 10;
  static final long SEEDER_UPLOAD = 2 << 20;
  private static final List<String> MEMBERS =
      List.of("catalog", "tracker-a", "tracker-b", "seeder-1", "seeder-2", "seeder-3", "telemetry", "watcher");

  @TempDir static Path dir;
  private ClusterLab lab;
  private Vertx watcher;
  private String catalogUrl;
  private String telemetryUrl;
  private final int[] trackerPorts = {Ports.freeTcp(), Ports.freeTcp()};
  private Proc.Running trackerA;
  private Proc.Running seeder1;
  /** The latest status of each seeder, by seeder id. */
  private final Map<String, SeederStatus> seeders = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private StormResult baseline;

  @BeforeAll
  void startTheCluster() throws Exception {
    lab = new ClusterLab(dir, Path.of("target", "cluster-lab", "scale-out"), MEMBERS);
    int catalogPort = Ports.freeTcp();
    int telemetryPort = Ports.freeTcp();
    catalogUrl = "http://127.0.0.1:" + catalogPort;
    telemetryUrl = "http://127.0.0.1:" + telemetryPort;
    lab.shared
        .put("catalog", new JsonObject().put("host", "127.0.0.1").put("httpPort", catalogPort).put("webSeed", WEB_SEED)
            .put("uploadLimit", WEB_SEED ? SEEDER_UPLOAD : 0)
            .put("trackers", new JsonArray().add(announceUrl(0)).add(announceUrl(1))))
        .put("telemetry", new JsonObject().put("host", "127.0.0.1").put("httpPort", telemetryPort))
        .put("seeder", new JsonObject().put("listenHost", "127.0.0.1").put("listenPort", 0)
            .put("uploadLimit", SEEDER_UPLOAD).put("statusIntervalMs", 500));
    // GIVEN the catalog, two trackers, one seeder (on the catalog's files) and telemetry, a JVM each
    List<Proc.Running> first = List.of(
        lab.serve("catalog", "catalog", new JsonObject()),
        trackerA = lab.serve("tracker-a", "tracker", tracker(0)),
        lab.serve("tracker-b", "tracker", tracker(1)),
        seeder1 = lab.serve("seeder-1", "seeder", seeder("seeder-1", dir.resolve("catalog"))),
        lab.serve("telemetry", "telemetry", new JsonObject()));
    for (Proc.Running member : first) {
      ClusterLab.awaitRunning(member);
    }
    // AND this JVM in the cluster, watching the seeders as any member can
    watcher = lab.join("watcher");
    watcher.eventBus().<SeederStatus>consumer(Addresses.SEEDER_STATUS, m -> seeders.put(m.body().getSeederId(), m.body()))
        .completion().await();
  }

  @AfterAll
  void stopTheCluster() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void sixteenAgentsBootFromServicesInSevenProcesses() throws Exception {
    ImageManifest image = addImage("storm-1", 1);
    awaitSeeding("seeder-1", image.getName());
    StormResult storm = storm(1, image, gate -> { });
    storm.print("one seeder");
    assertThat(storm.results()).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    baseline = storm;
  }

  @Test
  @Order(2)
  void seedersStartedMidStormFetchTheImageFromTheSwarmAndServeIt() throws Exception {
    ImageManifest image = addImage("storm-2", 2);
    awaitSeeding("seeder-1", image.getName());
    List<Proc.Running> added = new ArrayList<>();
    StormResult storm = storm(2, image, gate -> {
      // WHEN a second and a third seeder start mid-storm, each with its own empty data dir
      long opened = System.nanoTime();
      Thread.sleep(SEEDER_DELAY_MS);
      added.add(lab.serve("seeder-2", "seeder", seeder("seeder-2")));
      added.add(lab.serve("seeder-3", "seeder", seeder("seeder-3")));
      for (Proc.Running seeder : added) {
        ClusterLab.awaitRunning(seeder);
      }
      double running = (System.nanoTime() - opened) / 1e9;
      awaitSeeding("seeder-2", image.getName());
      awaitSeeding("seeder-3", image.getName());
      System.out.printf(Locale.ROOT, "mid-storm seeders started %.1f s after the gate, running at %.1f s, "
          + "both seeding the whole image at %.1f s%n", SEEDER_DELAY_MS / 1000.0, running, (System.nanoTime() - opened) / 1e9);
    });
    storm.print("seeders 2 and 3 started mid-storm");
    // THEN every agent verified the image
    assertThat(storm.results()).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    // AND both fetched the image from the swarm and seed it (what they serve to agents: the next storm)
    awaitSeeding("seeder-2", image.getName());
    awaitSeeding("seeder-3", image.getName());
    Thread.sleep(1500); // a last status round
    System.out.printf(Locale.ROOT, "mid-storm seeders: %s; %s; %s%n", traffic("seeder-2", image), traffic("seeder-3", image),
        traffic("seeder-1", image));
    if (baseline != null) {
      System.out.printf(Locale.ROOT, "storm with seeders added mid-storm / baseline: last agent %.2f×, median %.2f×%n",
          storm.lastMillis() / (double) baseline.lastMillis(), storm.medianMillis() / (double) baseline.medianMillis());
    }
  }

  @Test
  @Order(3)
  void aTrackerKilledAndASeederStoppedMidStormLoseNoPeerAndNoAgent() throws Exception {
    ensureExtraSeeders();
    ImageManifest image = addImage("storm-3", 3);
    for (String seeder : List.of("seeder-1", "seeder-2", "seeder-3")) {
      awaitSeeding(seeder, image.getName());
    }
    StormResult storm = storm(3, image, gate -> {
      // GIVEN tracker B lists every agent (each announces to both trackers: one tier each)
      Set<String> before = awaitPeers(1, image.getInfoHash(), AGENTS);
      // WHEN tracker A's process is killed (SIGKILL: no goodbye to the cluster)
      long killed = System.nanoTime();
      trackerA.process().destroyForcibly();
      // THEN tracker B never lists fewer peers: its swarm map's backups are promoted, nothing lost
      long slowest = 0;
      int answers = 0;
      while (System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(8)) {
        long asked = System.nanoTime();
        Set<String> now = peersAt(1, image.getInfoHash());
        slowest = Math.max(slowest, System.nanoTime() - asked);
        answers++;
        assertThat(now).as("tracker B's peers after tracker A was killed").containsAll(before);
        Thread.sleep(200);
      }
      System.out.printf(Locale.ROOT, "tracker A killed: tracker B answered %d announces in the next 8 s, the slowest "
          + "in %d ms, every one listing all %d peers it listed before%n", answers,
          TimeUnit.NANOSECONDS.toMillis(slowest), before.size());
      // AND the first seeder stops (SIGTERM) while the storm goes on
      seeder1.stop(Duration.ofSeconds(20));
      System.out.printf(Locale.ROOT, "seeder-1 stopped %.1f s after tracker A was killed%n",
          (System.nanoTime() - killed) / 1e9);
    });
    storm.print("three seeders, tracker A killed, seeder-1 stopped");
    // THEN every agent finished from the other seeders and from each other
    assertThat(storm.results()).hasSize(AGENTS).allSatisfy(r -> assertThat(r.exitCode()).isZero());
    // AND seeders 2 and 3 served agents: each uploaded more than the other one downloaded at all
    Thread.sleep(1500); // a last status round
    TorrentStatus s2 = torrent("seeder-2", image.getName());
    TorrentStatus s3 = torrent("seeder-3", image.getName());
    System.out.printf(Locale.ROOT, "%s; %s%n", traffic("seeder-2", image), traffic("seeder-3", image));
    assertThat(s2.getTotalUploaded() - s3.getTotalDownloaded()).as("seeder-2's bytes to agents, at least").isPositive();
    assertThat(s3.getTotalUploaded() - s2.getTotalDownloaded()).as("seeder-3's bytes to agents, at least").isPositive();
    if (baseline != null) {
      System.out.printf(Locale.ROOT, "storm with three seeders (one stopped mid-storm) / with one: last agent %.2f×, "
          + "median %.2f×%n", storm.lastMillis() / (double) baseline.lastMillis(),
          storm.medianMillis() / (double) baseline.medianMillis());
    }
  }

  @Test
  @Order(4)
  void aKilledCatalogComesBackWithEverythingItAcknowledged() throws Exception {
    // GIVEN a policy the catalog acknowledged, after the images of the storms
    String policy = new JsonObject().put("defaultImage", "storm-1").put("menuTimeoutSeconds", 7)
        .put("groups", new JsonObject().put("02:00:00:00:01:01", "rack-1")).encode();
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/api/v1/policy"))
        .header("Content-Type", "application/json").header("Authorization", TestTokens.bearer(dir.resolve("catalog"))).PUT(HttpRequest.BodyPublishers.ofString(policy)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    List<String> images = imageNamesOverTheBus();
    assertThat(images).contains("storm-1");
    // WHEN its process is killed (SIGKILL) and started again on the same data dir
    Proc.Running catalog = lab.member("catalog");
    catalog.process().destroyForcibly();
    catalog.waitFor(Duration.ofSeconds(10));
    long restarted = System.nanoTime();
    ClusterLab.awaitRunning(lab.serve("catalog", "catalog", new JsonObject()));
    System.out.printf(Locale.ROOT, "catalog killed and restarted: serving again in %.1f s%n",
        (System.nanoTime() - restarted) / 1e9);
    // THEN any member gets the same images and policy over the bus, as HTTP clients do
    assertThat(imageNamesOverTheBus()).isEqualTo(images);
    BootPolicy overBus = (BootPolicy) watcher.eventBus().request(Addresses.POLICY, "").await().body();
    assertThat(overBus.getDefaultImage()).isEqualTo("storm-1");
    assertThat(overBus.getMenuTimeoutSeconds()).isEqualTo(7);
    assertThat(overBus.getGroupsMap()).containsEntry("02:00:00:00:01:01", "rack-1");
    assertThat(http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/api/v1/policy")).build(),
        HttpResponse.BodyHandlers.ofString()).body()).contains("rack-1");
    // AND the restarted catalog's boot events reach telemetry
    HttpResponse<String> event = http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/api/v1/events"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"mac\":\"02:00:00:00:09:01\",\"stage\":\"AGENT_STARTED\",\"message\":\"after the restart\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(event.statusCode()).as(event.body()).isEqualTo(202);
    awaitTelemetry("/api/v1/machines/02:00:00:00:09:01", "after the restart");
  }

  private List<String> imageNamesOverTheBus() {
    ImageList list = (ImageList) watcher.eventBus().request(Addresses.IMAGE_LIST, "").await().body();
    return list.getImagesList().stream().map(ImageManifest::getName).sorted().toList();
  }

  private void awaitTelemetry(String path, String expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(telemetryUrl + path)).build(),
          HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && r.body().contains(expected)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("telemetry " + path + " never showed '" + expected + "'; last: " + last);
  }

  /** Seeders 2 and 3, started once (by the mid-storm test, or here when it did not run). */
  private void ensureExtraSeeders() throws Exception {
    for (String id : List.of("seeder-2", "seeder-3")) {
      if (!seeders.containsKey(id)) {
        lab.serve(id, "seeder", seeder(id));
      }
    }
  }

  private Set<String> awaitPeers(int tracker, String infoHash, int atLeast) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Set<String> peers = Set.of();
    while (System.nanoTime() < deadline) {
      peers = peersAt(tracker, infoHash);
      if (peers.size() >= atLeast) {
        return peers;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("tracker " + tracker + " never listed " + atLeast + " peers; last: " + peers);
  }

  /** How a storm is disturbed once its gate is open (runs on the test thread). */
  interface Disturbance {
    void run(Path gate) throws Exception;
  }

  record StormResult(List<AgentResult> results) {
    long lastMillis() {
      return results.stream().mapToLong(AgentResult::downloadMillis).max().orElse(0);
    }

    long medianMillis() {
      return results.stream().mapToLong(AgentResult::downloadMillis).sorted().skip(results.size() / 2).findFirst().orElse(0);
    }

    void print(String what) {
      long webSeed = results.stream().mapToLong(AgentResult::bytesFromWebSeed).sum();
      System.out.printf(Locale.ROOT, "storm (%s): %d agents, download median %.1f s, last %.1f s, "
          + "%.1f MiB of it from the web seed%n", what, results.size(), medianMillis() / 1000.0, lastMillis() / 1000.0,
          webSeed / 1048576.0);
    }
  }

  /**
   * Deploys {@value #AGENTS} agents for {@code image}, waits until each is ready at its start gate,
   * opens the gate, runs {@code disturbance}, and returns what every agent achieved.
   */
  private StormResult storm(int number, ImageManifest image, Disturbance disturbance) throws Exception {
    Path gate = dir.resolve("gate-" + number);
    List<Future<AgentResult>> results = new ArrayList<>();
    List<ByteArrayOutputStream> outputs = new ArrayList<>();
    for (int i = 1; i <= AGENTS; i++) {
      JsonObject cfg = TestConfig.section("agent")
          .put("catalogUrl", catalogUrl).put("mac", String.format("02:00:00:00:%02x:%02x", number, i))
          .put("workDir", dir.resolve("storm-" + number + "/agent-" + i).toString()).put("image", image.getName())
          .put("launcher", "none").put("interactive", false).put("listenHost", "127.0.0.1")
          .put("uploadLimit", AGENT_UPLOAD).put("progressIntervalMs", 1000).put("startGate", gate.toString());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      outputs.add(out);
      AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(cfg), null, new PrintStream(out, true, StandardCharsets.UTF_8));
      results.add(watcher.deployVerticle(agent).compose(id -> agent.result()));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (ByteArrayOutputStream out : outputs) {
      while (!out.toString(StandardCharsets.UTF_8).contains("waiting for start gate")) {
        assertThat(System.nanoTime()).as("agents ready at the start gate; one said: " + out).isLessThan(deadline);
        Thread.sleep(100);
      }
    }
    Files.createFile(gate);
    disturbance.run(gate);
    return new StormResult(Future.all(results).await().list());
  }

  private ImageManifest addImage(String name, long seed) throws Exception {
    Path src = Files.createDirectories(dir.resolve("catalog/import/" + name));
    Stack.writeRandom(src.resolve("vmlinuz"), 1 << 20, seed);
    Stack.writeRandom(src.resolve("initrd"), IMAGE_BYTES, seed + 100);
    String request = new JsonObject().put("name", name).put("kind", "KEXEC")
        .put("kernel", src.resolve("vmlinuz").toString()).put("initrd", src.resolve("initrd").toString()).encode();
    HttpResponse<String> added = http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/api/v1/images"))
        .header("Content-Type", "application/json").header("Authorization", TestTokens.bearer(dir.resolve("catalog"))).POST(HttpRequest.BodyPublishers.ofString(request)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    return Json.parse(added.body(), ImageManifest.newBuilder()).build();
  }

  private TorrentStatus torrent(String seederId, String image) {
    SeederStatus status = seeders.get(seederId);
    assertThat(status).as("a status from " + seederId + "; have " + seeders.keySet()).isNotNull();
    return status.getTorrentsList().stream().filter(t -> t.getName().equals(image)).findFirst()
        .orElseThrow(() -> new AssertionError(seederId + " has no torrent " + image + ": " + status));
  }

  private String traffic(String seederId, ImageManifest image) {
    TorrentStatus t = torrent(seederId, image.getName());
    return String.format(Locale.ROOT, "%s uploaded %.1f MiB, downloaded %.1f MiB", seederId, mib(t.getTotalUploaded()),
        mib(t.getTotalDownloaded()));
  }

  private void awaitSeeding(String seederId, String image) throws InterruptedException {
    // a seeder may have to fetch the image first, at a share of the capped uploads: 2 s per MiB
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + 2 * (IMAGE_BYTES >> 20));
    while (System.nanoTime() < deadline) {
      SeederStatus status = seeders.get(seederId);
      if (status != null && status.getTorrentsList().stream()
          .anyMatch(t -> t.getName().equals(image) && t.getState().equals("seeding"))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(seederId + " never seeded " + image + "; last status: " + seeders.get(seederId));
  }

  private String announceUrl(int tracker) {
    return "http://127.0.0.1:" + trackerPorts[tracker] + "/announce";
  }

  private JsonObject tracker(int index) {
    return new JsonObject().put("tracker", new JsonObject().put("host", "127.0.0.1").put("httpPort", trackerPorts[index]));
  }

  /** A seeder that seeds from {@code dataDir}'s payload (the catalog's: no download needed). */
  private static JsonObject seeder(String id, Path dataDir) {
    return new JsonObject().put("seeder", new JsonObject().put("id", id).put("dataDir", dataDir.toString()));
  }

  /** A seeder in its process's own, empty data dir: it fetches every image from the swarm first. */
  private static JsonObject seeder(String id) {
    return new JsonObject().put("seeder", new JsonObject().put("id", id));
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  /** The peers tracker {@code index} lists for {@code infoHash}, as "ip:port", asked as a non-listening observer. */
  Set<String> peersAt(int index, String infoHashHex) throws Exception {
    byte[] hash = InfoHash.fromHex(infoHashHex).bytes();
    StringBuilder escaped = new StringBuilder();
    for (byte b : hash) {
      escaped.append('%').append(String.format("%02X", b & 0xff));
    }
    String url = announceUrl(index) + "?info_hash=" + escaped + "&peer_id=-OB0001-observer0001&port=9"
        + "&uploaded=0&downloaded=0&left=1&compact=1&numwant=200";
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    BDict body = (BDict) Bencode.decode(r.body());
    byte[] compact = ((BBytes) body.get("peers").orElseThrow(
        () -> new AssertionError("no peers in " + new String(r.body(), StandardCharsets.ISO_8859_1)))).bytes();
    Set<String> peers = new TreeSet<>();
    for (int i = 0; i + 6 <= compact.length; i += 6) {
      int port = ((compact[i + 4] & 0xff) << 8) | (compact[i + 5] & 0xff);
      if (port != 9) {
        peers.add(String.format("%d.%d.%d.%d:%d", compact[i] & 0xff, compact[i + 1] & 0xff, compact[i + 2] & 0xff,
            compact[i + 3] & 0xff, port));
      }
    }
    return peers;
  }
}
