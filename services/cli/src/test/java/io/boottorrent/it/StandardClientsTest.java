package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.Verifier;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Running;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 14, "Speed must not cost interoperability": Debian's BitTorrent clients — transmission
 * (transmission-cli), qBittorrent (qbittorrent-nox, driven through its Web API with curl) and aria2 —
 * against one {@code boottorrent serve} (catalog, tracker, seeder) with the product defaults, only
 * addresses, ports and paths set. Each client downloads from our seeder alone (the catalog's port
 * blocked, so no web seed), where it must reach link speed, and from the catalog's web seed alone (the
 * seeder's port blocked), where it must complete; both byte-identical.
 *
 * <p>The lab ({@link NetnsLab}, 10.93.0.0/16): the server in one namespace, the clients in another, a
 * veth pair between them; the server's egress is shaped by tbf to {@value #CAP_MBIT} Mbit/s, so link
 * speed is the cap. The rate is the server interface's transmitted bytes (whole frames, as tbf counts
 * them), sampled every 100 ms inside its namespace, between the samples where it had sent 5% and 95% of
 * the image since the client started: the client's start-up, announce and last pieces are left out,
 * what is left is how fast it pulls once it downloads. A client that obeys the request queue the
 * seeder advertises (BEP 10 {@code reqq}) and refills it once a second gets reqq × 16 KiB per second:
 * transmission 3.00 at the old {@code seeder.maxRequestsPerPeer: 8} got 131 kB/s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StandardClientsTest {
  static final String SERVER = "10.93.0.1";
  static final String CLIENT = "10.93.0.2";
  static final String DEV = "eth0";
  /** The catalog (API and web seed) and the seeder: the product's default ports. */
  static final int HTTP_PORT = 8080;
  static final int SEEDER_PORT = 6881;
  static final int CAP_MBIT = 40;
  /** The floor on a client's rate from the seeder, relative to the cap (tbf lets through ~97% as payload + headers). */
  static final double FLOOR = 0.7;
  /** From the seeder: ~7 s at the cap, so that a client's ramp-up is a small part of its rate. */
  static final long SEEDER_IMAGE_BYTES = 32L << 20;
  static final long WEB_SEED_IMAGE_BYTES = 3L << 20;
  /** How long one download may take: a client at the floor needs ~7 s, one stuck at 131 kB/s three minutes. */
  static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(60);
  /** What keeps the clients inside the lab: no DHT (public routers), no LSD multicast, no port mapping. */
  static final List<String> ARIA2_LAB_ONLY = List.of("--enable-dht=false", "--enable-dht6=false",
      "--bt-enable-lpd=false", "--disable-ipv6=true");

  @TempDir static Path dir;
  private NetnsLab lab;
  private Ns srv;
  private Ns cli;
  private Path data;
  private Path logs;
  private Running sampler;
  private String curl;
  private String iptables;
  private final Map<String, ImageManifest> images = new HashMap<>();
  private final Map<Client, String> summary = new EnumMap<>(Client.class);
  private final Map<Path, String> versions = new HashMap<>();

  /** The three clients; each says how it downloads a torrent into a folder and waits for the end. */
  enum Client {
    ARIA2("aria2c", "aria2"),
    TRANSMISSION("transmission-cli", "transmission-cli"),
    QBITTORRENT("qbittorrent-nox", "qbittorrent-nox");

    final String command;
    final String debianPackage;

    Client(String command, String debianPackage) {
      this.command = command;
      this.debianPackage = debianPackage;
    }
  }

  @BeforeAll
  void lab() throws Exception {
    NetnsLab.require("the standard-client tests shape the seeder's link in a network namespace");
    String tc = Gate.requireCommand("tc", "iproute2").toString();
    iptables = Gate.requireCommand("iptables", "iptables").toString();
    curl = Gate.requireCommand("curl", "curl").toString();
    logs = Files.createDirectories(Path.of("target", "standard-clients"));
    lab = NetnsLab.create("btstd");
    try {
      srv = lab.namespace("srv");
      cli = lab.namespace("cli");
      lab.veth(srv, DEV, cli, DEV);
      srv.address(DEV, SERVER + "/16");
      cli.address(DEV, CLIENT + "/16");
      // the server's uplink: CAP_MBIT, a burst of 10 full frames, 50 ms of queue (bench/lib/bs-net.sh's shape)
      srv.run(tc, "qdisc", "add", "dev", DEV, "root", "tbf", "rate", CAP_MBIT + "mbit", "burst", "15k",
          "latency", "50ms");

      // GIVEN boottorrent serve with the product defaults: only where it listens and keeps its data
      data = dir.resolve("data");
      JsonObject config = new JsonObject().put("dataDir", data.toString()).put("publicHost", SERVER)
          .put("health", new JsonObject().put("port", -1));
      Path file = Files.writeString(dir.resolve("server.yaml"), config.encodePrettily()); // JSON is YAML
      Running server = srv.java(List.of("-Xmx512m"), "io.boottorrent.cli.Main", "serve",
              "--services", "catalog,tracker,seeder", "--config", file.toString())
          .name("server").log(logs.resolve("server.log")).start();
      server.await("BootTorrent running", Duration.ofSeconds(120), "error:", "Exception in thread \"main\"");

      // AND three images: one file (qemu) for the seeder, one file and two files (kexec) for the web seed
      add(AddImageRequest.newBuilder().setName("disk").setKind(ImageKind.QEMU), "disk.img", SEEDER_IMAGE_BYTES, 3);
      add(AddImageRequest.newBuilder().setName("small").setKind(ImageKind.QEMU), "disk.img", WEB_SEED_IMAGE_BYTES, 5);
      Path kexec = Files.createDirectories(data.resolve("import/kexec"));
      Stack.writeRandom(kexec.resolve("vmlinuz"), 1 << 20, 7);
      Stack.writeRandom(kexec.resolve("initrd"), WEB_SEED_IMAGE_BYTES, 11);
      images.put("kexec", FaultLab.postImage(srv, dir, data, catalogUrl(), AddImageRequest.newBuilder()
          .setName("kexec").setKind(ImageKind.KEXEC).setKernel(kexec.resolve("vmlinuz").toString())
          .setInitrd(kexec.resolve("initrd").toString()).setCmdline("console=ttyS0").build()));
      for (String name : images.keySet()) {
        server.await("seeding " + name + " (", Duration.ofSeconds(60));
        assertThat(images.get(name).getWebSeedsList()).as("the product default catalog.webSeed").isNotEmpty();
        Proc.Result got = cli.exec(Duration.ofSeconds(30), curl, "-sS", "--fail-with-body", "-o",
            torrent(name).toString(), catalogUrl() + "/api/v1/images/" + name + "/torrent");
        assertThat(got.exit()).as(got.output()).isZero();
      }
      // the server's transmitted bytes every 100 ms, each line timed as it is read
      sampler = srv.command("sh", "-c", "while :; do cat /sys/class/net/" + DEV + "/statistics/tx_bytes; sleep 0.1; done")
          .name("tx-sampler").start();
      sampler.await(Proc.Match.regex("\\d+"), Duration.ofSeconds(10));
    } catch (Exception | AssertionError e) {
      lab.close();
      lab = null;
      throw e;
    }
  }

  @AfterAll
  void tearDown() {
    System.out.println("standard BitTorrent clients, server egress capped at " + CAP_MBIT + " Mbit/s (tbf):");
    summary.values().forEach(line -> System.out.println("  " + line));
    if (lab != null) {
      lab.close();
    }
  }

  private void add(AddImageRequest.Builder request, String fileName, long size, long seed) throws Exception {
    Path src = Files.createDirectories(data.resolve("import/" + request.getName()));
    Stack.writeRandom(src.resolve(fileName), size, seed);
    images.put(request.getName(), FaultLab.postImage(srv, dir, data, catalogUrl(),
        request.setDisk(src.resolve(fileName).toString()).build()));
  }

  private static String catalogUrl() {
    return "http://" + SERVER + ":" + HTTP_PORT;
  }

  private Path torrent(String image) {
    return dir.resolve(image + ".torrent");
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void downloadsFromOurSeederAtLinkSpeed(Client client) throws Exception {
    Path command = Gate.requireCommand(client.command, client.debianPackage);
    ImageManifest image = images.get("disk");
    // GIVEN the web seed out of reach: every byte comes from our seeder
    try (Blocked catalog = block(HTTP_PORT)) {
      // WHEN the client downloads the image
      Path out = Files.createDirectories(dir.resolve(client + "-seeder"));
      long start = System.nanoTime();
      boolean done = download(client, command, "disk", image.getInfoHash(), out, "seeder");
      double seconds = (System.nanoTime() - start) / 1e9;
      double mbit = wireRate(start, image.getTotalSize()) / 1e6;
      String line = String.format(Locale.ROOT, "%-12s %-28s from our seeder: %5.1f Mbit/s = %3.0f%% of the cap, "
          + "%s in %.1f s", client, version(command), mbit, 100 * mbit / CAP_MBIT,
          done ? "done" : "NOT done", seconds);
      summary.merge(client, line, (a, b) -> a + "\n  " + b);
      System.out.println("standard clients: " + line);
      // THEN it has the catalog's exact bytes, AND it pulled them at link speed
      assertThat(done).as(line).isTrue();
      assertThat(Verifier.verify(image, out.resolve("disk"))).as(line).isEmpty();
      assertThat(mbit).as(line).isGreaterThanOrEqualTo(FLOOR * CAP_MBIT);
    }
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void downloadsFromTheWebSeedAlone(Client client) throws Exception {
    Path command = Gate.requireCommand(client.command, client.debianPackage);
    // GIVEN the seeder out of reach (the tracker still lists it): only the torrent's url-list serves bytes
    try (Blocked seeder = block(SEEDER_PORT)) {
      // WHEN the client downloads an image of one file, then one of two files (BEP 19: different URLs)
      for (String name : List.of("small", "kexec")) {
        ImageManifest image = images.get(name);
        Path out = Files.createDirectories(dir.resolve(client + "-webseed-" + name));
        long start = System.nanoTime();
        boolean done = download(client, command, name, image.getInfoHash(), out, "webseed-" + name);
        String line = String.format(Locale.ROOT, "%-12s %-28s web seed alone, %s (%d file(s)): %s in %.1f s",
            client, version(command), name, image.getFilesCount(), done ? "done" : "NOT done",
            (System.nanoTime() - start) / 1e9);
        summary.merge(client, line, (a, b) -> a + "\n  " + b);
        System.out.println("standard clients: " + line);
        // THEN it completed from the web seed with the catalog's exact bytes
        assertThat(done).as(line).isTrue();
        assertThat(Verifier.verify(image, out.resolve(name))).as(line).isEmpty();
      }
    }
  }

  /**
   * Downloads {@code image}'s torrent into {@code out} with {@code client}; whether it completed
   * within {@link #DOWNLOAD_TIMEOUT} (the client is ended either way). {@code tag} names its logs.
   */
  private boolean download(Client client, Path command, String image, String infoHash, Path out, String tag)
      throws Exception {
    Path log = logs.resolve(client.toString().toLowerCase(Locale.ROOT) + "-" + tag + ".log");
    String torrent = torrent(image).toString();
    switch (client) {
      case ARIA2 -> {
        List<String> args = new ArrayList<>(List.of(command.toString(), "--dir=" + out, "--seed-time=0",
            "--enable-peer-exchange=false", "--listen-port=51413", "--summary-interval=0",
            "--console-log-level=warn", "--bt-stop-timeout=" + DOWNLOAD_TIMEOUT.toSeconds()));
        args.addAll(ARIA2_LAB_ONLY);
        args.add(torrent);
        try {
          Proc.Result run = cli.command(args).log(log).exec(DOWNLOAD_TIMEOUT);
          assertThat(run.exit()).as(run.output()).isZero();
          return true;
        } catch (IOException e) {
          if (!String.valueOf(e.getMessage()).contains("did not finish")) {
            throw e;
          }
          return false; // killed at the timeout (Proc's message, with the output, is in the log)
        }
      }
      case TRANSMISSION -> {
        Path config = Files.createDirectories(dir.resolve("transmission-" + tag));
        Files.writeString(config.resolve("settings.json"), new JsonObject().put("dht-enabled", false)
            .put("lpd-enabled", false).put("pex-enabled", false).put("utp-enabled", false)
            .put("port-forwarding-enabled", false).put("blocklist-enabled", false).encodePrettily());
        try (Running tr = cli.command(command.toString(), "-g", config.toString(), "-w", out.toString(),
            "-M", "-D", "-U", "-p", "51414", torrent).name("transmission").log(log).start()) {
          // on stderr, unbuffered, once every piece is in and checked (its stdout, a pipe here, is flushed
          // in 4 KiB chunks: "Seeding" came up to 10 s later); closing it (SIGTERM) flushes what it caches
          tr.await("to \"Complete\"", DOWNLOAD_TIMEOUT, "Error");
          return true;
        } catch (AssertionError timedOut) {
          if (!timedOut.getMessage().contains("did not print")) {
            throw timedOut;
          }
          return false;
        }
      }
      case QBITTORRENT -> {
        return qbittorrent(command, torrent, infoHash, out, tag, log);
      }
      default -> throw new IllegalArgumentException(client.toString());
    }
  }

  /** qbittorrent-nox with a fresh profile; the torrent added and followed through the Web API (curl in the namespace). */
  private boolean qbittorrent(Path command, String torrent, String infoHash, Path out, String tag, Path log)
      throws Exception {
    Path profile = dir.resolve("qbittorrent-" + tag);
    Path conf = Files.createDirectories(profile.resolve("qBittorrent/config")).resolve("qBittorrent.conf");
    int webPort = 8089;
    Files.writeString(conf, String.join("\n", "[LegalNotice]", "Accepted=true", "",
        "[BitTorrent]", "Session\\DHTEnabled=false", "Session\\LSDEnabled=false", "Session\\PeXEnabled=false",
        "Session\\Port=51415", "Session\\BTProtocol=TCP", "Session\\QueueingSystemEnabled=false", "",
        "[Preferences]", "Connection\\UPnP=false", "WebUI\\Address=127.0.0.1", "WebUI\\Port=" + webPort,
        "WebUI\\LocalHostAuth=false", "WebUI\\CSRFProtection=false", "WebUI\\HostHeaderValidation=false", ""));
    String api = "http://127.0.0.1:" + webPort + "/api/v2/";
    try (Running qb = cli.command(command.toString(), "--profile=" + profile).name("qbittorrent").log(log).start()) {
      long deadline = System.nanoTime() + DOWNLOAD_TIMEOUT.toNanos();
      while (!cli.exec(Duration.ofSeconds(10), curl, "-sf", api + "app/version").ok()) {
        assertThat(qb.isAlive()).as("qbittorrent-nox ended: " + qb.tail(20)).isTrue();
        assertThat(System.nanoTime()).as("qbittorrent-nox's Web API did not answer: " + qb.tail(20))
            .isLessThan(deadline);
        Thread.sleep(100);
      }
      Proc.Result added = cli.exec(Duration.ofSeconds(10), curl, "-sS", "--fail-with-body",
          "-F", "torrents=@" + torrent, "-F", "savepath=" + out, api + "torrents/add");
      assertThat(added.output()).as("torrents/add").contains("Ok.");
      while (System.nanoTime() < deadline) {
        Proc.Result info = cli.exec(Duration.ofSeconds(10), curl, "-sS", "--fail-with-body",
            api + "torrents/info?hashes=" + infoHash);
        assertThat(info.exit()).as(info.output()).isZero();
        JsonArray torrents = new JsonArray(info.output());
        if (!torrents.isEmpty() && torrents.getJsonObject(0).getDouble("progress") >= 1.0) {
          Files.writeString(log.resolveSibling(log.getFileName() + ".status"), torrents.encodePrettily());
          return true;
        }
        Thread.sleep(200);
      }
      return false;
    }
  }

  /** The server's transmitted bytes, as the sampler saw them from {@code fromNanos} on. */
  private List<long[]> samples(long fromNanos) {
    List<long[]> samples = new ArrayList<>();
    for (Proc.Line l : sampler.lines()) {
      long at = sampler.startNanos() + (long) (l.seconds() * 1e9);
      if (at >= fromNanos && l.text().matches("\\d+")) {
        samples.add(new long[] {at, Long.parseLong(l.text())});
      }
    }
    return samples;
  }

  /**
   * Bits/s on the server's wire between the first samples after {@code fromNanos} where it had sent
   * 5% and 95% of {@code bytes} (or the last sample, when it never got to 95%).
   */
  private double wireRate(long fromNanos, long bytes) throws InterruptedException {
    Thread.sleep(300); // the last sample in
    List<long[]> s = samples(fromNanos);
    assertThat(s).as("tx samples").hasSizeGreaterThan(2);
    long base = s.get(0)[1];
    long[] from = s.stream().filter(x -> x[1] - base >= bytes / 20).findFirst().orElse(null);
    if (from == null) {
      return 0;
    }
    long[] to = s.stream().filter(x -> x[1] - base >= bytes * 19 / 20).findFirst().orElse(s.get(s.size() - 1));
    return to[0] == from[0] ? 0 : (to[1] - from[1]) * 8e9 / (to[0] - from[0]);
  }

  /** Rejects (TCP reset) the client namespace's connections to the server's {@code port} until closed. */
  private Blocked block(int port) throws Exception {
    List<String> rule = List.of("OUTPUT", "-p", "tcp", "-d", SERVER, "--dport", Integer.toString(port),
        "-j", "REJECT", "--reject-with", "tcp-reset");
    iptables("-A", rule);
    return () -> iptables("-D", rule);
  }

  private void iptables(String op, List<String> rule) throws Exception {
    List<String> command = new ArrayList<>(List.of(iptables, op));
    command.addAll(rule);
    cli.command(command).run(Duration.ofSeconds(20));
  }

  interface Blocked extends AutoCloseable {
    @Override
    void close() throws Exception;
  }

  /** The client's version line ({@code --version}), e.g. "transmission-cli 3.00 (bb6b5a062e)". */
  private String version(Path command) throws Exception {
    if (!versions.containsKey(command)) {
      Proc.Result v = Proc.exec(Duration.ofSeconds(20), command.toString(), "--version");
      versions.put(command, v.output().lines().filter(l -> !l.isBlank()).findFirst().orElse("?").trim());
    }
    return versions.get(command);
  }
}
