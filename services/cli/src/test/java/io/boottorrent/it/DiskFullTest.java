package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Full disks (issue 13, "Faults"): the catalog's data dir, then an agent's work dir, is a small tmpfs
 * mounted in a mount namespace of that process alone ({@code unshare --mount}: it goes away with the
 * process, the host never sees it; the test looks into it through {@code /proc/<pid>/root}). An import
 * that does not fit fails with a clear 507 naming what was short and leaves nothing behind, and the
 * catalog serves its other images on; an agent whose download does not fit reports FAILED with the
 * reason and exits non-zero (in the client image, init then starts the rescue shell).
 */
@Tag("faults")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DiskFullTest {
  static final long MIB = 1 << 20;
  static final int CATALOG_TMPFS_MIB = 24;
  static final int AGENT_TMPFS_MIB = 2;

  @TempDir static Path dir;
  private Path dataDir;
  private Path imports;
  private Proc.Running server;
  private String catalogUrl;
  private String telemetryUrl;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void startTheCatalogOnASmallDisk() throws Exception {
    Gate.requireRoot("a tmpfs mounted in a mount namespace");
    Gate.requireCommand("unshare", "util-linux");
    dataDir = Files.createDirectories(dir.resolve("data"));
    imports = Files.createDirectories(dir.resolve("import"));
    int catalogPort = Ports.freeTcp();
    int telemetryPort = Ports.freeTcp();
    int trackerPort = Ports.freeTcp();
    catalogUrl = "http://127.0.0.1:" + catalogPort;
    telemetryUrl = "http://127.0.0.1:" + telemetryPort;
    JsonObject config = new JsonObject().put("dataDir", dataDir.toString()).put("publicHost", "127.0.0.1")
        .put("health", new JsonObject().put("port", -1))
        .put("catalog", new JsonObject().put("host", "127.0.0.1").put("httpPort", catalogPort)
            .put("importRoots", new JsonArray().add(imports.toString()))
            .put("trackers", new JsonArray().add("http://127.0.0.1:" + trackerPort + "/announce")))
        .put("tracker", new JsonObject().put("host", "127.0.0.1").put("httpPort", trackerPort))
        .put("telemetry", new JsonObject().put("host", "127.0.0.1").put("httpPort", telemetryPort))
        .put("seeder", new JsonObject().put("listenHost", "127.0.0.1").put("listenPort", 0));
    Path file = Files.writeString(dir.resolve("server.yaml"), config.encodePrettily());
    // GIVEN catalog, tracker, seeder and telemetry in one process whose data dir is a 24 MiB tmpfs
    server = onTmpfs(dataDir, CATALOG_TMPFS_MIB, "server", "serve", "--services", "catalog,tracker,seeder,telemetry",
        "--config", file.toString()).log(Path.of("target", "disk-full", "server.log")).start();
    ClusterLab.awaitRunning(server);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Order(1)
  void anImportThatDoesNotFitFailsClearlyLeavesNothingAndTheOtherImagesAreServed() throws Exception {
    // GIVEN an image that fits
    assertThat(addImage("small", 3 * MIB, 1).statusCode()).isEqualTo(201);
    byte[] smallInitrd = Files.readAllBytes(imports.resolve("small/initrd"));
    // WHEN an image larger than the free space is imported
    HttpResponse<String> huge = addImage("huge", 40 * MIB, 2);
    System.out.printf(Locale.ROOT, "import of 41 MiB into a %d MiB data dir: HTTP %d %s%n", CATALOG_TMPFS_MIB,
        huge.statusCode(), huge.body());
    // THEN a clear error: 507, naming the image and what was short, not a server path
    assertThat(huge.statusCode()).isEqualTo(507);
    assertThat(huge.body()).contains("no space left").contains("'huge'").contains("needs " + (41 * MIB) + " bytes")
        .doesNotContain(dataDir.toString()).doesNotContain("/tmp");
    // AND nothing of it was left: no staging, no payload, no manifest (seen inside the process's mount)
    Path inside = Path.of("/proc/" + server.pid() + "/root").resolve(dataDir.toString().substring(1));
    assertThat(list(inside.resolve("tmp"))).isEmpty();
    assertThat(list(inside.resolve("payload"))).containsExactly("small");
    assertThat(list(inside.resolve("catalog/images"))).containsExactly("small.pb");
    // AND the catalog lists and serves the other image, byte for byte (its web seed)
    HttpResponse<String> images = get(catalogUrl + "/api/v1/images");
    assertThat(images.body()).contains("\"small\"").doesNotContain("\"huge\"");
    HttpResponse<byte[]> served = http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/seed/small/initrd")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).isEqualTo(smallInitrd);
    // AND the space is free again: another image that fits is added
    assertThat(addImage("after", 2 * MIB, 3).statusCode()).isEqualTo(201);
  }

  @Test
  @Order(2)
  void anAgentWhoseImageDoesNotFitItsWorkDirReportsFailedWithTheReasonAndExitsNonZero() throws Exception {
    // WHEN an agent is to download the 4 MiB image into a 2 MiB work dir
    String mac = "02:00:00:00:0d:01";
    Path workDir = Files.createDirectories(dir.resolve("agent-small-disk"));
    Proc.Result agent = onTmpfs(workDir, AGENT_TMPFS_MIB, "agent", agentArgs(mac, workDir))
        .log(Path.of("target", "disk-full", "agent-small-disk.log")).exec(Duration.ofMinutes(2));
    // THEN it fails before writing anything, saying what was short, and exits non-zero
    assertFailed(agent, mac, "no space left on device: small needs " + 4 * MIB + " more bytes");
  }

  @Test
  @Order(3)
  void anAgentWhoseDiskFillsUpMidDownloadReportsFailedWithTheReasonAndExitsNonZero() throws Exception {
    // GIVEN an agent with room for the image, waiting at its start gate (space checked, session listening)
    String mac = "02:00:00:00:0d:02";
    Path workDir = Files.createDirectories(dir.resolve("agent-filled-disk"));
    Path gate = dir.resolve("gate-filled");
    List<String> args = new ArrayList<>(List.of(agentArgs(mac, workDir)));
    args.addAll(List.of("--start-gate", gate.toString()));
    Proc.Running agent = onTmpfs(workDir, 16, "agent", args.toArray(String[]::new))
        .log(Path.of("target", "disk-full", "agent-filled-disk.log")).start();
    agent.await("waiting for start gate", Duration.ofSeconds(90), "boot failed");
    // WHEN something else fills its disk (1 MiB left) before the download
    Path inside = Path.of("/proc/" + agent.pid() + "/root").resolve(workDir.toString().substring(1));
    Stack.writeRandom(inside.resolve("filler"), 15 * MIB, 5);
    Files.createFile(gate);
    // THEN the download fails with the reason, the agent reports FAILED and exits non-zero
    assertFailed(agent.finish(Duration.ofMinutes(2)), mac, "no space left on device");
  }

  private String[] agentArgs(String mac, Path workDir) {
    return new String[] {"agent", "--catalog", catalogUrl, "--mac", mac, "--image", "small", "--launcher", "none",
        "--non-interactive", "--work-dir", workDir.toString()};
  }

  private void assertFailed(Proc.Result agent, String mac, String reason) throws Exception {
    System.out.printf(Locale.ROOT, "agent %s: exit %d after %.1f s: %s%n", mac, agent.exit(),
        agent.elapsed().toMillis() / 1000.0,
        agent.output().lines().filter(l -> l.contains("boot failed")).findFirst().orElse("(no 'boot failed' line)"));
    assertThat(agent.exit()).as(agent.output()).isNotZero();
    assertThat(agent.output()).contains("boot failed").containsIgnoringCase(reason);
    // AND its FAILED event, with the reason, reached telemetry
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String events = "";
    while (System.nanoTime() < deadline) {
      events = get(telemetryUrl + "/api/v1/events?limit=1000&mac=" + mac).body();
      if (events.contains("FAILED")) {
        break;
      }
      Thread.sleep(200);
    }
    String seen = events;
    JsonObject failed = new JsonObject(events).getJsonArray("events").stream().map(JsonObject.class::cast)
        .filter(e -> "FAILED".equals(e.getString("stage"))).findFirst()
        .orElseThrow(() -> new AssertionError("no FAILED event for " + mac + ": " + seen));
    assertThat(failed.getString("message")).containsIgnoringCase(reason);
  }

  /** {@code boottorrent <args>} in a mount namespace of its own, with a {@code mib} MiB tmpfs on {@code mount}. */
  private static Proc.Spec onTmpfs(Path mount, int mib, String name, String... args) {
    List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--", "/bin/sh",
        "-c", "mount -t tmpfs -o size=" + mib + "m faults \"$0\" && exec \"$@\"", mount.toString()));
    command.addAll(Proc.java("io.boottorrent.cli.Main", args).command());
    Proc.Spec spec = Proc.command(command).name(name);
    Proc.libjsig().ifPresent(jsig -> spec.env("LD_PRELOAD", jsig.toString()));
    return spec;
  }

  private HttpResponse<String> addImage(String name, long initrdBytes, long seed) throws Exception {
    Path src = Files.createDirectories(imports.resolve(name));
    Stack.writeRandom(src.resolve("vmlinuz"), MIB, seed);
    Stack.writeRandom(src.resolve("initrd"), initrdBytes, seed + 100);
    String request = new JsonObject().put("name", name).put("kind", "KEXEC")
        .put("kernel", src.resolve("vmlinuz").toString()).put("initrd", src.resolve("initrd").toString()).encode();
    return http.send(HttpRequest.newBuilder(URI.create(catalogUrl + "/api/v1/images"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + adminToken())
        .POST(HttpRequest.BodyPublishers.ofString(request)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The bootstrap admin token, read inside the catalog's mount (the host sees an empty folder). */
  private String adminToken() throws Exception {
    Path inside = Path.of("/proc/" + server.pid() + "/root").resolve(dataDir.toString().substring(1));
    return TestTokens.admin(inside);
  }

  private HttpResponse<String> get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("GET " + url + ": " + e, e);
    }
  }

  private static List<String> list(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
