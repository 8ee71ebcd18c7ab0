package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease;
import io.boottorrent.dhcp.LeaseJournal;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Running;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fault tests' boot network ({@link NetnsLab}, 10.92.0.0/16): a server namespace with one
 * {@code boottorrent serve} process (catalog, tracker, seeder, telemetry, DHCP, TFTP) at
 * {@value #SERVER}, a client namespace at {@value #CLIENT} where real clients and the agents (one
 * child JVM, {@link AgentsMain}) run, joined by a veth pair ({@value #DEV} on both sides). The
 * catalog's client-image folder, also the TFTP root, holds a 1 MiB vmlinuz, a 2 MiB initrd and a
 * 64 KiB undionly.kpxe of random bytes; DHCP hands out 10.92.1.0-10.92.255.254.
 */
final class FaultLab implements AutoCloseable {
  static final String SERVER = "10.92.0.1";
  static final String CLIENT = "10.92.0.2";
  static final String CLIENT_MAC = "02:42:0a:5c:00:02";
  static final String DEV = "eth0";
  static final int HTTP_PORT = 8080;
  /** The TFTP file: about the size of undionly.kpxe, the first file a BIOS PXE ROM fetches. */
  static final int TFTP_SIZE = 64 << 10;

  /**
   * The product's logback.xml (services/core) with the DHCP service's per-packet DEBUG lines on, written
   * through an AsyncAppender (each line keeps the time it was logged).
   */
  static final String SERVER_LOGBACK = """
      <configuration>
        <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
          <target>System.err</target>
          <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n</pattern></encoder>
        </appender>
        <logger name="com.hazelcast" level="WARN"/>
        <logger name="com.hazelcast.cp.CPSubsystem" level="ERROR"/>
        <logger name="io.netty" level="WARN"/>
        <logger name="io.micrometer.core.instrument.MeterRegistry" level="ERROR"/>
        <!-- off the event loop: a pipe to a busy test JVM must not slow the DHCP service it measures -->
        <appender name="ASYNC" class="ch.qos.logback.classic.AsyncAppender">
          <queueSize>65536</queueSize>
          <discardingThreshold>0</discardingThreshold>
          <appender-ref ref="STDERR"/>
        </appender>
        <logger name="io.boottorrent" level="INFO"/>
        <logger name="io.boottorrent.dhcp.DhcpVerticle" level="DEBUG"/>
        <root level="INFO"><appender-ref ref="ASYNC"/></root>
      </configuration>
      """;

  final NetnsLab lab;
  final Ns srv;
  final Ns cli;
  final Path dir;
  final Path data;
  final Path boot;
  /** Where the processes' output goes: kept after the test. */
  final Path logs;
  final Running server;

  /** Skips (or, where required, fails) unless root; logs under {@code target/<logsName>}. */
  FaultLab(Path dir, String logsName) throws IOException, InterruptedException {
    NetnsLab.require("the fault tests need network namespaces and ports 67/69");
    this.dir = dir;
    logs = Files.createDirectories(Path.of("target", logsName));
    lab = NetnsLab.create("btfaults");
    try {
      srv = lab.namespace("srv");
      cli = lab.namespace("cli");
      lab.veth(srv, DEV, cli, DEV);
      srv.address(DEV, SERVER + "/16");
      srv.broadcastRoute(DEV);
      cli.mac(DEV, CLIENT_MAC);
      cli.address(DEV, CLIENT + "/16");
      // agent-to-agent packets loop back inside the client namespace: give them Ethernet-sized packets
      cli.ip("link", "set", "lo", "mtu", "1500");

      data = dir.resolve("data");
      boot = Files.createDirectories(dir.resolve("boot"));
      Stack.writeRandom(boot.resolve("vmlinuz"), 1 << 20, 3);
      Stack.writeRandom(boot.resolve("initrd"), 2 << 20, 5);
      Stack.writeRandom(boot.resolve("undionly.kpxe"), TFTP_SIZE, 9);
      JsonObject config = new JsonObject()
          .put("dataDir", data.toString()).put("publicHost", SERVER)
          .put("cluster", new JsonObject().put("enabled", false))
          .put("health", new JsonObject().put("port", -1))
          // no web seed: agents get images from the seeder and each other only
          .put("catalog", new JsonObject().put("httpPort", HTTP_PORT).put("clientImageDir", boot.toString())
              .put("webSeed", false).put("defaultMenuTimeoutSeconds", 1))
          .put("seeder", new JsonObject().put("statusIntervalMs", 500))
          .put("tftp", new JsonObject().put("root", boot.toString()))
          .put("dhcp", new JsonObject().put("serverAddress", SERVER).put("leaseSeconds", 3600)
              .put("pools", new JsonArray().add(new JsonObject().put("subnet", "10.92.0.0/16")
                  .put("rangeStart", "10.92.1.0").put("rangeEnd", "10.92.255.254").put("router", SERVER))));
      Path file = Files.writeString(dir.resolve("server.yaml"), config.encodePrettily()); // JSON is YAML
      // (GC log beside the server's: a stall in a storm is then told apart from a pause; DhcpVerticle at DEBUG:
      // when each request was read and its reply sent, so a late answer is placed inside or outside the process)
      Path logback = Files.writeString(dir.resolve("logback.xml"), SERVER_LOGBACK);
      server = srv.java(List.of("-Xmx512m", "-Xlog:gc:file=" + logs.toAbsolutePath().resolve("server-gc.log"),
              "-Dlogback.configurationFile=" + logback),
              "io.boottorrent.cli.Main", "serve",
              "--services", "catalog,tracker,seeder,telemetry,dhcp,tftp", "--config", file.toString())
          .name("server").log(logs.resolve("server.log")).start();
      server.await("BootTorrent running", Duration.ofSeconds(120), "error:", "Exception in thread \"main\"");
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      lab.close();
      throw e;
    }
  }

  /** A finished agent of {@link AgentsMain}. */
  record AgentRun(int index, long downloadMillis, long fromSwarm, long fromWebSeed, long uploaded, Path imageDir) {}

  private static final Pattern AGENT = Pattern.compile("AGENT (\\d+) (\\d+) (\\d+) (\\d+) (\\d+) (.+)");

  /** Agents of {@link AgentsMain} in the client namespace, booting {@code image} together once all are ready. */
  List<AgentRun> runAgents(Path work, int count, String image) throws Exception {
    Running agents = startAgents(work, count, image);
    openGate(agents, work, count);
    return awaitAgents(agents, count);
  }

  /**
   * Starts {@code count} agents for {@code image}, work dirs under {@code work}: each gets ready
   * (assignment, .torrent, libtorrent listening), then waits for the start gate ({@link #openGate}).
   */
  Running startAgents(Path work, int count, String image) throws Exception {
    JsonObject section = new JsonObject().put("catalogUrl", "http://" + SERVER + ":" + HTTP_PORT)
        .put("launcher", "none").put("interactive", false).put("image", image).put("seedSeconds", 30)
        .put("webSeedFallbackSeconds", 600).put("startGate", work.resolve("gate").toString());
    Path file = Files.writeString(Files.createDirectories(work).resolve("agents.json"), section.encodePrettily());
    return cli.java(List.of("-Xmx768m"), AgentsMain.class.getName(), file.toString(), Integer.toString(count),
        work.toString()).name("agents").log(logs.resolve("agents-" + work.getFileName() + ".log")).start();
  }

  /** Waits until all agents wait at the start gate, then opens it; returns when ({@link System#nanoTime}). */
  static long openGate(Running agents, Path work, int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (agents.lines().stream().filter(l -> l.text().contains("waiting for start gate")).count() < count) {
      if (!agents.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("agents not all ready: " + agents.tail(40));
      }
      Thread.sleep(20);
    }
    Files.writeString(work.resolve("gate"), "open\n");
    return System.nanoTime();
  }

  /** Waits for the agents' results (they exit after them). */
  static List<AgentRun> awaitAgents(Running agents, int count) throws Exception {
    agents.await(Match.prefix("ALL "), Duration.ofSeconds(180), Match.prefix("FAILED"));
    List<AgentRun> runs = new ArrayList<>();
    for (Proc.Line line : agents.lines()) {
      Matcher m = AGENT.matcher(line.text());
      if (m.matches()) {
        runs.add(new AgentRun(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
            Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Path.of(m.group(6))));
      }
    }
    assertThat(runs).hasSize(count);
    agents.waitFor(Duration.ofSeconds(20));
    return runs;
  }

  /**
   * Adds a kexec image ({@code size} random bytes of initrd, a 1 MiB kernel) with the catalog's API,
   * from the server's namespace.
   */
  ImageManifest addImage(String name, long size) throws Exception {
    Path src = Files.createDirectories(data.resolve("import/" + name));
    Stack.writeRandom(src.resolve("vmlinuz"), 1 << 20, 7);
    Stack.writeRandom(src.resolve("initrd"), size, 11);
    AddImageRequest request = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(src.resolve("vmlinuz").toString()).setInitrd(src.resolve("initrd").toString())
        .setCmdline("console=ttyS0").build();
    return postImage(srv, dir, data, "http://" + SERVER + ":" + HTTP_PORT, request);
  }

  /**
   * POSTs {@code request} to the catalog at {@code catalogUrl} with curl from {@code ns} (the test JVM
   * is outside the lab's network), with the admin token of the catalog whose data dir is {@code data};
   * {@code dir} takes the request body.
   */
  static ImageManifest postImage(Ns ns, Path dir, Path data, String catalogUrl, AddImageRequest request)
      throws Exception {
    Path body = Files.writeString(dir.resolve("add-" + request.getName() + ".json"), Json.print(request));
    Proc.Result added = ns.exec(Duration.ofSeconds(120), Gate.requireCommand("curl", "curl").toString(), "-sS",
        "--fail-with-body", "-H", "Content-Type: application/json", "-H", "Authorization: " + TestTokens.bearer(data),
        "--data-binary", "@" + body, catalogUrl + "/api/v1/images");
    assertThat(added.exit()).as(added.output()).isZero();
    return Json.parse(added.output(), ImageManifest.newBuilder()).build();
  }

  /** The server's lease journal, as a restarted server would read it. */
  List<Lease> journal() throws IOException {
    return LeaseJournal.inDataDir(data).load();
  }

  /** The server's journal holds {@code ip} as BOUND to {@code mac} (waiting for its write). */
  void assertBound(String mac, String ip) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      if (journal().stream().anyMatch(l -> l.state() == Lease.State.BOUND && l.mac().equals(mac)
          && l.ip().toString().equals(ip))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no BOUND lease of " + ip + " for " + mac + " in the journal: " + journal());
  }

  @Override
  public void close() {
    lab.close();
  }
}
