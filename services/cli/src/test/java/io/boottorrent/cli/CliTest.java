package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `boottorrent` command as an operator uses it, against services it starts in this JVM. */
public class CliTest {
  @TempDir Path dir;

  /** The `boottorrent` command's exit code and output, run in this JVM ({@link #run}). */
  public record Run(int code, String out, String err) {}

  /** The default services, started the way `serve` starts them, on loopback with free ports. */
  private record Served(ServeCommand.Running running, JsonObject config) implements AutoCloseable {
    String url(String service) {
      return "http://127.0.0.1:" + config.getJsonObject(service).getInteger("httpPort");
    }

    @Override
    public void close() {
      running.vertx().close().await();
    }
  }

  private JsonObject lastConfig;

  private Served serve() {
    JsonObject config = TestConfig.loopback(dir.resolve("data"));
    lastConfig = config;
    return new Served(ServeCommand.start(config, Services.DEFAULT), config);
  }

  /** The admin token file the catalog of {@link #serve} wrote at its first start. */
  private Path adminToken() {
    return DemoCommand.adminTokenFile(dir);
  }

  public static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void imageAddPrintsHowFarTheCatalogHasGotWhileALargeImportRuns() throws Exception {
    // GIVEN the default services and a 1 GiB disk image (sparse here; the catalog writes it in full)
    try (Served served = serve()) {
      Path imports = Files.createDirectories(dir.resolve("data/import"));
      Path disk = imports.resolve("big.img");
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
        f.setLength(1L << 30);
      }
      Files.write(disk, new byte[] {1}, java.nio.file.StandardOpenOption.WRITE); // not empty at the start
      // WHEN it is added
      Run add = run("image", "add", "--catalog=" + served.url("catalog"), "--token-file=" + adminToken(),
          "--name", "big", "--kind", "qemu", "--disk", disk.toString());
      // THEN it is added, and while it ran the command printed the catalog's progress (GET /api/v1/imports)
      assertThat(add.code()).as(add.err()).isZero();
      assertThat(add.out()).startsWith("big (qemu): 1073741824 bytes");
      assertThat(add.err()).containsPattern("  (copying \\d+% \\(\\d+ of 1024 MiB\\), \\d+ s|building torrent, \\d+ s"
          + "|committing, \\d+ s)");
    }
  }

  @Test
  void imageCommandsAddListShowAndDeleteThroughTheCatalogApi() throws Exception {
    // GIVEN the default services started the way `serve` starts them
    try (Served served = serve()) {
      String catalog = "--catalog=" + served.url("catalog");
      String token = "--token-file=" + adminToken();
      Path imports = Files.createDirectories(dir.resolve("data/import"));
      Files.write(imports.resolve("tool.sh"), "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII));

      // WHEN an exec image is added THEN the summary names it and its torrent
      Run add = run("image", "add", catalog, token, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString(), "--arg", "-v");
      assertThat(add.code()).as(add.err()).isZero();
      assertThat(add.out()).startsWith("tool (exec): 18 bytes in 1 file(s)").contains("info-hash ");

      Run list = run("image", "list", catalog);
      assertThat(list.out()).contains("NAME").containsPattern("tool\\s+exec\\s+18\\s+[0-9a-f]{40}");
      Run show = run("image", "show", catalog, "tool");
      assertThat(new JsonObject(show.out()).getJsonArray("args").getString(0)).isEqualTo("-v");

      // AND a duplicate is refused with the catalog's reason and a usage-error exit code
      Run duplicate = run("image", "add", catalog, token, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString());
      assertThat(duplicate.code()).isEqualTo(2);
      assertThat(duplicate.err()).contains("error: ").contains("tool").contains("HTTP 409");

      assertThat(run("image", "delete", catalog, token, "tool").code()).isZero();
      assertThat(run("image", "show", catalog, "tool").code()).isEqualTo(2);
    }
  }

  @Test
  void agentWithAStartGateGetsReadyThenDownloadsOnlyOnceTheFileExists() throws Exception {
    // GIVEN the default services and a 1 MiB exec image
    PrintStream stdout = System.out;
    ByteArrayOutputStream agentOut = new ByteArrayOutputStream();
    String mac = "02:00:00:00:00:47";
    try (Served served = serve()) {
      String catalogUrl = served.url("catalog");
      String telemetryUrl = served.url("telemetry");
      Path imports = Files.createDirectories(dir.resolve("data/import"));
      byte[] payload = new byte[1 << 20];
      new java.util.Random(5).nextBytes(payload);
      Files.write(imports.resolve("tool.bin"), payload);
      Run add = run("image", "add", "--catalog=" + catalogUrl, "--token-file=" + adminToken(), "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.bin").toString());
      assertThat(add.code()).as(add.err()).isZero();
      Path agentConfig = dir.resolve("agent.yaml");
      Files.writeString(agentConfig, "health:\n  port: -1\nagent:\n  listenHost: 127.0.0.1\n");
      Path gate = dir.resolve("barrier/go");

      // WHEN `boottorrent agent --start-gate FILE` runs while FILE does not exist
      System.setOut(new PrintStream(agentOut, true, StandardCharsets.UTF_8));
      CompletableFuture<Integer> agent = CompletableFuture.supplyAsync(() -> Main.run("agent",
          "--config", agentConfig.toString(), "--catalog", catalogUrl, "--mac", mac, "--image", "tool",
          "--launcher", "none", "--work-dir", dir.resolve("work").toString(), "--seed-seconds", "0",
          "--non-interactive", "--start-gate", gate.toString()));

      // THEN it gets ready (libtorrent session listening) and says that it waits for that file
      eventually(() -> agentOut.toString(StandardCharsets.UTF_8).contains("waiting for start gate " + gate.toAbsolutePath()));
      // AND while the file is missing it has chosen its image but not started the download
      eventually(() -> stages(telemetryUrl, mac).contains("IMAGE_CHOSEN"));
      Thread.sleep(1000);
      assertThat(stages(telemetryUrl, mac)).contains("AGENT_STARTED", "IMAGE_CHOSEN").doesNotContain("DOWNLOAD_STARTED");
      assertThat(agentOut.toString(StandardCharsets.UTF_8)).doesNotContain("start gate open");
      assertThat(agent).isNotDone();

      // WHEN the file appears
      long opened = System.currentTimeMillis();
      Files.createDirectories(gate.getParent());
      Files.createFile(gate);

      // THEN the agent downloads, verifies and ends, reporting DOWNLOAD_STARTED only after the gate opened
      assertThat(agent.get(60, TimeUnit.SECONDS)).isZero();
      assertThat(agentOut.toString(StandardCharsets.UTF_8)).containsSubsequence(
          "waiting for start gate " + gate.toAbsolutePath(), "start gate open", "tool downloaded: ", "tool verified: ");
      List<JsonObject> events = events(telemetryUrl, mac);
      long downloadStarted = events.stream().filter(e -> "DOWNLOAD_STARTED".equals(e.getString("stage")))
          .mapToLong(e -> Long.parseLong(String.valueOf(e.getValue("timestampMs")))).findFirst().orElseThrow();
      assertThat(downloadStarted).isGreaterThanOrEqualTo(opened);
      assertThat(stages(telemetryUrl, mac)).contains("VERIFIED").doesNotContain("FAILED");
    } finally {
      System.setOut(stdout);
    }
  }

  @Test
  void keysGenerateShowAndRotateManageTheCatalogsSigningKeys() throws Exception {
    // GIVEN a key ring generated before the first start
    Path data = dir.resolve("data");
    Run generated = run("keys", "generate", "--data-dir", data.toString());
    assertThat(generated.code()).as(generated.err()).isZero();
    String fingerprint = generated.out().lines().filter(l -> l.contains("active")).findFirst().orElseThrow()
        .substring(0, 64);
    assertThat(run("keys", "generate", "--data-dir", data.toString()).err()).contains("exists already");
    try (Served served = serve()) {
      String catalog = "--catalog=" + served.url("catalog");
      // WHEN the catalog started on it THEN it signs with that key
      Run show = run("keys", "show", catalog);
      assertThat(show.code()).as(show.err()).isZero();
      assertThat(show.out()).startsWith(fingerprint + "  active");
      Run pem = run("keys", "show", catalog, "--pem");
      assertThat(io.boottorrent.core.trust.TrustedKeys.parse(Files.writeString(dir.resolve("k.pem"), pem.out()).toString())
          .fingerprints()).containsExactly(fingerprint);
      // AND a rotation keeps the old key signing for the overlap
      Run rotate = run("keys", "rotate", catalog, "--token-file=" + adminToken());
      assertThat(rotate.code()).as(rotate.err()).isZero();
      assertThat(rotate.out()).contains(fingerprint + "  retired, signs until ");
      assertThat(run("keys", "show", catalog, "--pem").out()).containsOnlyOnce(pem.out().strip().lines().skip(1)
          .findFirst().orElseThrow());
    }
    assertThat(run("keys", "show", "--data-dir", data.toString()).out().lines()).hasSize(2);
  }

  @Test
  void tokensAreCreatedUsedListedAndRevokedAndAMissingTokenSaysWhereItWasLookedFor() throws Exception {
    Path imports = Files.createDirectories(dir.resolve("data/import"));
    Files.write(imports.resolve("tool.sh"), "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
    Path ciFile = dir.resolve("ci.token");
    try (Served served = serve()) {
      String catalog = "--catalog=" + served.url("catalog");
      // WHEN a write is made without a token THEN 401, and the CLI says where it looked
      Run anonymous = run("image", "add", catalog, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString());
      assertThat(anonymous.code()).isEqualTo(2);
      assertThat(anonymous.err()).contains("HTTP 401").contains("needs a bearer token with role operator")
          .contains("no token found: looked at --token-file, $BOOTTORRENT_TOKEN, $BOOTTORRENT_TOKEN_FILE");
      // WHEN the admin creates an operator token THEN only its secret goes to stdout
      Run created = run("tokens", "create", catalog, "--token-file=" + adminToken(), "--name", "ci", "--role", "Operator");
      assertThat(created.code()).as(created.err()).isZero();
      assertThat(created.out().trim()).startsWith("btk_").doesNotContain(" ");
      assertThat(created.err()).contains("'ci' (operator)").doesNotContain(created.out().trim());
      Files.writeString(ciFile, created.out());
      // AND it adds images; a viewer-only role name that does not exist is refused by the CLI
      assertThat(run("image", "add", catalog, "--token-file=" + ciFile, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString()).code()).isZero();
      assertThat(run("tokens", "create", catalog, "--token-file=" + adminToken(), "--name", "x", "--role", "root")
          .err()).contains("unknown role 'root'");
      // AND the list names both tokens, without secrets; an operator may not list
      Run list = run("tokens", "list", catalog, "--token-file=" + adminToken());
      assertThat(list.out()).contains("bootstrap-admin").containsPattern("[0-9a-f]{12} +operator .* ci")
          .doesNotContain(created.out().trim()).doesNotContain(Files.readString(adminToken()).trim());
      assertThat(run("tokens", "list", catalog, "--token-file=" + ciFile).err()).contains("HTTP 403");
      // WHEN it is revoked THEN it is refused, and the CLI names the token's source
      String id = list.out().lines().filter(l -> l.endsWith(" ci")).findFirst().orElseThrow().split(" +")[0];
      assertThat(run("tokens", "revoke", catalog, "--token-file=" + adminToken(), id).out()).contains("revoked " + id);
      Run revoked = run("image", "delete", catalog, "--token-file=" + ciFile, "tool");
      assertThat(revoked.err()).contains("HTTP 401").contains("the catalog refused the token from --token-file " + ciFile);
      // AND the offline path refuses to touch the store of a running catalog
      Run busy = run("tokens", "create", "--data-dir", dir.resolve("data").toString(), "--name", "lost", "--role", "admin");
      assertThat(busy.code()).isEqualTo(1);
      assertThat(busy.err()).contains("in use").contains("stop it first");
    }
    // WHEN the catalog is stopped THEN a lost admin token can be replaced offline, and works once it is back
    Run offline = run("tokens", "create", "--data-dir", dir.resolve("data").toString(), "--name", "lost", "--role", "admin");
    assertThat(offline.code()).as(offline.err()).isZero();
    Path lost = dir.resolve("lost.token");
    Files.writeString(lost, offline.out());
    try (Served served = new Served(ServeCommand.start(lastConfig, Services.DEFAULT), lastConfig)) {
      assertThat(run("tokens", "list", "--catalog=" + served.url("catalog"), "--token-file=" + lost).out())
          .contains("lost");
    }
    Run missing = run("image", "list", "--token-file=" + dir.resolve("nope"));
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("--token-file: cannot read " + dir.resolve("nope"));
  }

  @Test
  void unreachableCatalogSaysSo() {
    Run r = run("image", "list", "--catalog=http://127.0.0.1:" + Ports.freeTcp());
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("cannot reach the catalog");
  }

  @Test
  void serveWithABadValueExitsWithAMessageNamingTheKeyBeforeAnythingStarts() throws Exception {
    Path config = Files.writeString(dir.resolve("bad.yaml"), "tracker:\n  interval: soon\n");
    Run r = run("serve", "--services", "tracker", "--config", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("error: tracker.interval: expected an integer >= 1, got \"soon\" (a string)");
    Path typo = Files.writeString(dir.resolve("typo.yaml"), "traker:\n  interval: 10\n");
    Run t = run("serve", "--services", "tracker", "--config", typo.toString());
    assertThat(t.code()).isEqualTo(2);
    assertThat(t.err()).contains("error: traker: not a config key");
  }

  @Test
  void eventsTailAndStatusShowWhatTelemetryKnows() throws Exception {
    // GIVEN the default services (telemetry among them)
    try (Served served = serve()) {
      String catalog = served.url("catalog");
      String telemetry = "--telemetry=" + served.url("telemetry");
      String mac = "52:54:00:00:00:77";
      // WHEN `events tail` follows one machine while its agent reports three events (and another machine one)
      CompletableFuture<Run> tail = CompletableFuture.supplyAsync(() -> run("events", "tail", telemetry,
          "--mac", "5254.0000.0077", "--count", "3"));
      Thread.sleep(1500); // the stream is open
      post(catalog, "{\"mac\":\"" + mac + "\",\"stage\":\"AGENT_STARTED\",\"message\":\"agent started\"}");
      post(catalog, "{\"mac\":\"52:54:00:00:00:78\",\"stage\":\"AGENT_STARTED\"}");
      post(catalog, "{\"mac\":\"" + mac + "\",\"stage\":\"IMAGE_CHOSEN\",\"image\":\"tool\",\"message\":\"default\"}");
      post(catalog, "{\"mac\":\"" + mac + "\",\"stage\":\"DOWNLOAD_PROGRESS\",\"image\":\"tool\","
          + "\"bytesDone\":\"512\",\"bytesTotal\":\"1024\",\"peers\":3}");
      // THEN it prints exactly that machine's three events, one line each, and exits
      Run tailed = tail.get(30, TimeUnit.SECONDS);
      assertThat(tailed.code()).as(tailed.err()).isZero();
      assertThat(tailed.out().lines().toList()).hasSize(3)
          .allMatch(l -> l.contains(mac))
          .anyMatch(l -> l.contains("IMAGE_CHOSEN") && l.contains("tool") && l.contains("default"))
          .anyMatch(l -> l.contains("DOWNLOAD_PROGRESS") && l.contains("50.0%") && l.contains("3 peers"));
      // AND `status --once` shows both machines, this one downloading at 50%
      Run status = run("status", telemetry, "--once");
      assertThat(status.code()).as(status.err()).isZero();
      assertThat(status.out()).startsWith("2 machine(s): 2 booting, 0 launched, 0 failed, 0 stalled");
      assertThat(status.out().lines().filter(l -> l.startsWith(mac)).findFirst().orElseThrow())
          .contains("tool", "DOWNLOAD_PROGRESS", "50%");
    }
  }

  private static void post(String catalog, String json) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(catalog + "/api/v1/events"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  @Test
  void unknownServiceIsRefusedBeforeAnythingStarts() {
    assertThatThrownBy(() -> ServeCommand.start(BtConfig.defaults(), List.of("catalog", "dns")))
        .hasMessageContaining("unknown service 'dns'").hasMessageContaining("tftp");
  }

  /** The machine's events, from telemetry. */
  private static List<JsonObject> events(String telemetryUrl, String mac) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(telemetryUrl + "/api/v1/events?limit=1000&mac=" + mac)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new JsonObject(response.body()).getJsonArray("events").stream().map(JsonObject.class::cast).toList();
  }

  private static List<String> stages(String telemetryUrl, String mac) throws Exception {
    return events(telemetryUrl, mac).stream().map(e -> e.getString("stage")).toList();
  }

  /** Polls every 50 ms for up to 30 s. */
  private static void eventually(Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
