package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Running;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the client image that {@code make client-image} built (client-image/out/vmlinuz + initrd)
 * in QEMU (TCG) and follows its serial console from the kernel to the launched image: the kernel
 * boots, udhcpc gets a lease from our DHCP service, the agent shows its menu, downloads the exec
 * image from our seeder, verifies it and runs it, and the image prints its marker.
 *
 * <p>Root only. Everything lives in a network namespace this test creates ({@link NetnsLab}): a bridge
 * 10.213.80.1/24, the VM's tap device on it, and our services (catalog, tracker, seeder, telemetry, DHCP) in a
 * child JVM. Namespace, processes and files are removed afterwards, whatever happened. The serial
 * log and the services' log stay in target/client-image-boot/.
 */
class ClientImageBootTest {
  static final String SERVER = "10.213.80.1";
  static final String MAC = "52:54:00:00:80:01";
  static final String CATALOG = "http://" + SERVER + ":8080";
  static final String TELEMETRY = "http://" + SERVER + ":8081";
  static final String BRIDGE = "br0";
  static final String TAP = "tap0";
  /** The client image's init printed that it gave up: no later stage can come. */
  static final Match INIT_FAILED = Match.of("boottorrent-init [… FAILED:",
      line -> line.contains("boottorrent-init [") && line.contains("FAILED:"));

  @TempDir Path dir;

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void vmBootsTheClientImageAndLaunchesTheDefaultImageFromTheSwarm() throws Exception {
    Path repo = repoRoot();
    Path out = repo.resolve("client-image/out");
    Gate.require(Files.isRegularFile(out.resolve("vmlinuz")) && Files.isRegularFile(out.resolve("initrd")),
        "client image not built: run `make client-image` (Debian packages: busybox-static kexec-tools cpio zstd "
            + "kmod openjdk-17-jdk-headless); `make test` does it as root");
    NetnsLab.require("the VM's tap device and the services live in a network namespace");
    Path qemu = Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    Gate.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun missing (no tap devices here)");

    Path logs = Files.createDirectories(Path.of("target/client-image-boot").toAbsolutePath());
    try (NetnsLab lab = NetnsLab.create("btci")) {
      Ns ns = lab.namespace("pxe");
      ns.bridge(BRIDGE, SERVER + "/24");
      ns.tap(TAP, BRIDGE);
      // The DHCP server binds 0.0.0.0: its limited broadcasts follow this route onto the bridge.
      ns.broadcastRoute(BRIDGE);

      // GIVEN our services in the namespace, with an exec image whose program prints a unique marker
      String[] marker = {"client-image-marker", UUID.randomUUID().toString()};
      Path binary = Files.createDirectories(dir.resolve("data/import")).resolve("marker.sh");
      // printf joins the two halves: the marker as a whole appears only if the script ran
      Files.writeString(binary, "#!/bin/sh\nprintf '%s-%s\\n' '" + marker[0] + "' '" + marker[1] + "'\n");
      Path config = dir.resolve("boottorrent.yaml");
      Files.writeString(config, servicesConfig(dir.resolve("data"), out).encodePrettily());
      Running services = ns.java("io.boottorrent.cli.Main", "serve",
          "--services", "catalog,tracker,seeder,telemetry,dhcp", "--config", config.toString())
          .name("services").log(logs.resolve("services.log")).start();
      services.await("BootTorrent running", Duration.ofSeconds(90));
      Proc.Result added = ns.java("io.boottorrent.cli.Main", "image", "add",
          "--name", "marker", "--kind", "exec", "--binary", binary.toString(), "--catalog", CATALOG,
          "--token-file", dir.resolve("data/catalog/admin.token").toString())
          .exec(Duration.ofSeconds(90));
      assertThat(added.exit()).as("image add: %s", added.output()).isZero();

      // WHEN a VM (TCG, 1 GiB) boots the client image with the command line the catalog's iPXE script
      // writes, its virtio NIC on the bridge, its serial console on stdio
      Running serial = ns.command(qemu.toString(), "-accel", "tcg", "-m", "1024", "-nographic", "-no-reboot",
              "-kernel", out.resolve("vmlinuz").toString(), "-initrd", out.resolve("initrd").toString(),
              "-append", "initrd=initrd boottorrent.catalog=" + CATALOG + " boottorrent.mac=" + MAC
                  + " console=tty0 console=ttyS0,115200",
              "-netdev", "tap,id=net0,ifname=" + TAP + ",script=no,downscript=no",
              "-device", "virtio-net-pci,netdev=net0,mac=" + MAC)
          .name("vm").log(logs.resolve("serial.log")).terminal().start();

      // THEN the serial console shows every stage, in order, and the marker of the launched image
      Map<String, Double> at = new LinkedHashMap<>();
      at.put("kernel", stage(serial, "Linux version", Duration.ofMinutes(2)));
      at.put("/init", stage(serial, "boottorrent-init \\[[0-9.]+\\] BootTorrent client image", Duration.ofMinutes(2)));
      at.put("DHCP lease", stage(serial, "udhcpc: lease of 10\\.213\\.80\\.\\d+ obtained from " + Pattern.quote(SERVER),
          Duration.ofMinutes(2)));
      at.put("agent start", stage(serial, "starting the agent for " + MAC, Duration.ofMinutes(1)));
      at.put("agent up", stage(serial, "\\] agent \\S+ for " + MAC + ", catalog " + Pattern.quote(CATALOG),
          Duration.ofMinutes(3)));
      at.put("menu", stage(serial, "BootTorrent — choose what to boot", Duration.ofMinutes(2)));
      // (the agent prints that line once: one saying "from 0 peers" fails the wait at once)
      at.put("downloaded", stage(serial, "marker downloaded: .* from [1-9]\\d* peers", Duration.ofMinutes(3),
          Match.regex("marker downloaded: .* from 0 peers")));
      at.put("verified", stage(serial, "marker verified: SHA-256 of 1 file\\(s\\) match", Duration.ofMinutes(1)));
      at.put("launch", stage(serial, "launching exec: /run/boottorrent/work/marker/marker.sh", Duration.ofMinutes(2)));
      at.put("marker", stage(serial, Pattern.quote(marker[0] + "-" + marker[1]), Duration.ofMinutes(1)));
      StringBuilder timing = new StringBuilder("client image boot (QEMU TCG), seconds since VM start:");
      at.forEach((stage, seconds) -> timing.append(String.format(" %s %.1f,", stage, seconds)));
      System.out.println(timing.substring(0, timing.length() - 1));
      assertThat(serial.text()).as("the init never gave up").doesNotContain("FAILED:");

      // AND the catalog heard every stage from this machine, the bytes coming from a peer (our seeder)
      JsonArray events = new JsonObject(ns.java(HttpGet.class.getName(), TELEMETRY + "/api/v1/events?mac=" + MAC
          + "&limit=200").run(Duration.ofSeconds(60)).trim()).getJsonArray("events");
      List<String> stages = new ArrayList<>();
      JsonObject complete = null;
      for (int i = 0; i < events.size(); i++) {
        JsonObject event = events.getJsonObject(i);
        stages.add(event.getString("stage"));
        if ("DOWNLOAD_COMPLETE".equals(event.getString("stage"))) {
          complete = event;
        }
      }
      assertThat(stages).contains("DHCP_LEASE", "AGENT_STARTED", "MENU_SHOWN", "IMAGE_CHOSEN",
          "DOWNLOAD_STARTED", "DOWNLOAD_COMPLETE", "VERIFIED", "LAUNCHING");
      assertThat(complete).isNotNull();
      assertThat(complete.getJsonObject("bytesFromPeers", new JsonObject()).fieldNames())
          .as("peers that delivered bytes: %s", complete).anyMatch(peer -> !peer.startsWith("web:"));
    }
  }

  /**
   * Seconds since the VM started at which a line matching {@code regex} appeared (searched from the
   * start); fails on timeout, when QEMU ends first, when the client image's init gave up, or on one
   * of {@code failures} before it.
   */
  static double stage(Running serial, String regex, Duration timeout, Match... failures) throws InterruptedException {
    Match[] all = Stream.concat(Stream.of(INIT_FAILED), Stream.of(failures)).toArray(Match[]::new);
    return serial.await(Match.regex(regex), timeout, all).seconds();
  }

  /** Catalog + tracker + seeder + DHCP on the bridge address, a 3 s menu, the client image from {@code out}. */
  static JsonObject servicesConfig(Path data, Path clientImage) {
    return new JsonObject()
        .put("dataDir", data.toString())
        .put("publicHost", SERVER)
        .put("health", new JsonObject().put("port", -1))
        .put("catalog", new JsonObject().put("httpPort", 8080).put("host", "0.0.0.0")
            .put("defaultMenuTimeoutSeconds", 3).put("clientImageDir", clientImage.toString()))
        .put("tracker", new JsonObject().put("httpPort", 6969).put("host", "0.0.0.0"))
        .put("seeder", new JsonObject().put("listenHost", "0.0.0.0").put("listenPort", 6881)
            .put("statusIntervalMs", 1000))
        .put("dhcp", new JsonObject().put("mode", "full").put("pools", new JsonArray().add(new JsonObject()
            .put("subnet", "10.213.80.0/24").put("rangeStart", "10.213.80.100").put("rangeEnd", "10.213.80.199")
            .put("router", SERVER).put("dns", new JsonArray().add(SERVER)))));
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.isDirectory(p.resolve("client-image")) && Files.isRegularFile(p.resolve("pom.xml")))) {
      p = p.getParent();
    }
    return p == null ? Path.of("").toAbsolutePath() : p;
  }

  /** Prints the body of one HTTP GET: run inside the namespace, where the catalog is. */
  public static final class HttpGet {
    public static void main(String[] args) throws Exception {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      out.println(response.body());
      System.exit(response.statusCode() / 100 == 2 ? 0 : 1);
    }
  }
}
