package io.boottorrent.cli;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.agent.AgentOptions;
import io.boottorrent.server.Json;
import io.boottorrent.proto.Addresses;
import io.boottorrent.catalog.CatalogVerticle;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.server.auth.TokenStore;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.TorrentStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `make run`: the whole stack in this JVM on embedded defaults, a generated demo image, and a boot
 * storm of local agents (launcher none) that fetch it from each other through the swarm.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start catalog+tracker+seeder+telemetry, add a demo image and boot-storm it with local agents.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "run", description = "Working folder (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--agents", defaultValue = "6", description = "Agents in the storm (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--size-mib", defaultValue = "64", description = "Demo initrd size (default: ${DEFAULT-VALUE} MiB).")
  int sizeMib;

  @Option(names = "--seeder-upload-mib", defaultValue = "8",
      description = "Seeder upload cap per torrent in MiB/s, 0 = none (default: ${DEFAULT-VALUE}). "
          + "A capped seeder makes the peers' sharing visible.")
  int seederUploadMib;

  @Option(names = "--exit", description = "Stop after the storm instead of keeping the services up.")
  boolean exit;

  @Override
  public Integer call() throws Exception {
    Path root = dir.toAbsolutePath().normalize();
    JsonObject cfg = ServeCommand.loadConfig(null, root.resolve("data"), false);
    cfg.getJsonObject("seeder").put("uploadLimit", seederUploadMib * 1048576L);
    cfg.getJsonObject("catalog").put("defaultMenuTimeoutSeconds", 3); // the menu shows, briefly
    ServeCommand.Running running = ServeCommand.start(cfg, Services.DEFAULT);
    Map<String, TorrentStatus> seeded = new ConcurrentHashMap<>();
    running.vertx().eventBus().<SeederStatus>consumer(Addresses.SEEDER_STATUS,
        m -> m.body().getTorrentsList().forEach(t -> seeded.put(t.getName(), t)));
    System.out.println(running.describe());
    System.out.println("admin token (writes: image add/delete, policy, tokens): in " + adminTokenFile(root)
        + ", readable by you only; `export BOOTTORRENT_TOKEN_FILE=" + adminTokenFile(root) + "` for bin/boottorrent");
    String catalog = "http://127.0.0.1:" + cfg.getJsonObject("catalog").getInteger("httpPort");
    try {
      String image = ensureDemoImage(root, catalog);
      deleteRecursively(root.resolve("agents"));
      System.out.printf("%nboot storm: %d agents fetch '%s' (seeder capped at %s)%n%n", agents, image,
          seederUploadMib == 0 ? "no limit" : seederUploadMib + " MiB/s");
      // As a client image with boottorrent.keys= from the catalog's iPXE script: signed images only.
      String trusted = signingKeys(root.resolve("data"));
      if (!trusted.isEmpty()) {
        System.out.printf("agents launch only images signed by %s%n%n", trusted);
      }
      long start = System.currentTimeMillis();
      List<Future<AgentResult>> results = new ArrayList<>();
      for (int i = 1; i <= agents; i++) {
        JsonObject agentCfg = cfg.copy();
        agentCfg.getJsonObject("agent")
            .put("catalogUrl", catalog).put("mac", String.format("02:00:00:00:00:%02x", i))
            .put("workDir", root.resolve("agents/agent-" + i).toString())
            .put("launcher", "none").put("interactive", false).put("listenHost", "127.0.0.1")
            .put("seedSeconds", 20).put("progressIntervalMs", 2000).put("trustedKeys", trusted);
        AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(agentCfg.getJsonObject("agent")), null,
            quietUnless(i == 1));
        results.add(running.vertx().deployVerticle(agent).compose(id -> agent.result()));
      }
      List<AgentResult> done = Future.all(results).await().list();
      long millis = System.currentTimeMillis() - start;
      Thread.sleep(2500); // one more seeder status round
      report(done, millis, seeded.get(image), catalog);
    } catch (RuntimeException e) {
      System.err.println("demo failed: " + e.getMessage());
      running.vertx().close().await();
      return 1;
    }
    System.out.println(running.describe());
    if (exit) {
      running.vertx().close().await();
      return 0;
    }
    System.out.println("\nservices keep running; Ctrl-C to stop. Writes need a token: the admin token is in "
        + adminTokenFile(root) + " (readable by you only), so\n  export BOOTTORRENT_TOKEN_FILE=" + adminTokenFile(root)
        + "\n  bin/boottorrent image add ...   bin/boottorrent tokens create --name ci --role operator");
    Thread.currentThread().join();
    return 0;
  }

  /** Fingerprints of the keys the catalog signs with now, comma-separated; empty with catalog.signing off. */
  static String signingKeys(Path dataDir) throws java.io.IOException {
    Path file = io.boottorrent.catalog.SigningKeys.fileIn(dataDir);
    if (!Files.exists(file)) {
      return "";
    }
    long now = System.currentTimeMillis();
    return String.join(",", io.boottorrent.proto.KeyRing.parseFrom(Files.readAllBytes(file)).getKeysList().stream()
        .filter(k -> k.getRetiredAtMs() == 0 || k.getSignsUntilMs() > now)
        .map(io.boottorrent.proto.KeyEntry::getFingerprint)
        .toList());
  }

  /** Only the first agent prints its progress; the others would interleave unreadably. */
  private static PrintStream quietUnless(boolean loud) {
    return loud ? System.out : new PrintStream(OutputStream.nullOutputStream());
  }

  private String ensureDemoImage(Path root, String catalog) throws IOException, InterruptedException {
    String name = "demo-" + sizeMib + "mib";
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> existing = http.send(HttpRequest.newBuilder(URI.create(catalog + "/api/v1/images/" + name))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (existing.statusCode() == 200) {
      return name;
    }
    Path src = Files.createDirectories(root.resolve("data/import/" + name));
    writeRandom(src.resolve("vmlinuz"), 4L << 20, 1);
    writeRandom(src.resolve("initrd"), (long) sizeMib << 20, 2);
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(src.resolve("vmlinuz").toString()).setInitrd(src.resolve("initrd").toString())
        .setCmdline("console=ttyS0 boottorrent.demo=1").setDescription("generated demo image").build();
    Path tokenFile = adminTokenFile(root);
    if (!Files.isReadable(tokenFile)) {
      throw new IllegalStateException("adding the demo image needs the admin token, and " + tokenFile + " is gone; "
          + "stop the demo and run `bin/boottorrent tokens create --data-dir " + root.resolve("data")
          + " --name demo --role operator > " + tokenFile + "`, or delete " + root + " to start afresh");
    }
    HttpResponse<String> added = http.send(HttpRequest.newBuilder(URI.create(catalog + "/api/v1/images"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + Files.readString(tokenFile).trim())
        .POST(HttpRequest.BodyPublishers.ofString(Json.print(request))).build(), HttpResponse.BodyHandlers.ofString());
    if (added.statusCode() != 201) {
      throw new IllegalStateException("catalog refused the demo image: HTTP " + added.statusCode() + " " + added.body());
    }
    System.out.println("added " + ImageCommand.summary(ImageCommand.parse(added.body())));
    return name;
  }

  /** Where the catalog left its first admin token: {@code <dir>/data/catalog/admin.token}. */
  static Path adminTokenFile(Path root) {
    return CatalogVerticle.tokenDir(root.resolve("data")).resolve(TokenStore.ADMIN_TOKEN_FILE);
  }

  private static void writeRandom(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= block.length) {
        for (int i = 0; i < block.length; i += 8) {
          long v = random.nextLong();
          for (int j = 0; j < 8; j++) {
            block[i + j] = (byte) (v >>> (8 * j));
          }
        }
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
  }

  private void report(List<AgentResult> done, long millis, TorrentStatus seeder, String catalog)
      throws IOException, InterruptedException {
    long size = done.get(0).bytesTotal();
    System.out.printf("%n%-8s %10s %14s %14s %14s%n", "agent", "seconds", "from peers", "from web", "uploaded");
    for (int i = 0; i < done.size(); i++) {
      AgentResult r = done.get(i);
      System.out.printf("%-8s %10.1f %14s %14s %14s%n", "agent-" + (i + 1), r.downloadMillis() / 1000.0,
          mib(r.bytesFromSwarm()), mib(r.bytesFromWebSeed()), mib(r.bytesUploaded()));
    }
    long agentsUploaded = done.stream().mapToLong(AgentResult::bytesUploaded).sum();
    String stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(catalog + "/api/v1/stats")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    long seederBytes = seeder == null ? -1 : seeder.getTotalUploaded();
    System.out.printf("%n%d agents × %s in %.1f s; seeder served %s (%.2f× the image), agents uploaded %s to each other%n",
        done.size(), mib(size), millis / 1000.0, mib(seederBytes), seederBytes / (double) size, mib(agentsUploaded));
    System.out.println("catalog stats: " + stats);
  }

  private static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

}
