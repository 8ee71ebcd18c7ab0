package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Initramfs;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Line;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Running;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's proof against real firmware: QEMU (TCG) with Debian's stock iPXE ROM for virtio-net
 * PXE-boots from our DHCP, TFTP and HTTP services alone — no dnsmasq, no tftpd — into Debian's
 * stock kernel, and the initrd we served prints a marker (with the kernel command line) on the
 * serial console, then powers the VM off.
 *
 * <p>Root only: the test builds a network namespace ({@link NetnsLab}) with a bridge (10.213.60.1/24) and a tap, runs
 * {@code bin/boottorrent serve --services catalog,dhcp,tftp} (the shaded jar) and QEMU inside it,
 * and deletes it all afterwards. Runs under maven-failsafe (integration-test phase), after the
 * package phase has built {@code services/cli/target/boottorrent.jar}. The kernel comes from
 * {@code client-image/fetch-kernel.sh} (apt-get download, cached in client-image/cache/).
 * Serial console and server logs: {@code services/cli/target/pxe-boot-it/}.
 */
class PxeBootIT {
  private static final String SERVER = "10.213.60.1";
  private static final int HTTP_PORT = 8880;
  private static final String ROM = "/usr/lib/ipxe/qemu/pxe-virtio.rom";
  private static final String BRIDGE = "btbr0";
  private static final String TAP = "bttap0";
  /** Printed by iPXE, SeaBIOS or the kernel when the boot cannot succeed any more: fail at once. */
  private static final Match[] BOOT_FAILURES = Stream.of("could not load the client image", "PXE IT: boot failed",
      "No bootable device", "Kernel panic", "(http://ipxe.org/" /* every iPXE error message ends with its URL */)
      .map(Match::contains).toArray(Match[]::new);
  private static final Pattern LEASE = Pattern.compile("net0: (10\\.213\\.60\\.\\d+)/255\\.255\\.255\\.0");

  @TempDir
  static Path dir;

  private static NetnsLab lab;
  private static Ns ns;
  private static Path qemu;
  private static Path repo;
  private static Path bootDir;
  private static Path logs;
  private static String kernelVersion;
  private static String marker;
  private static long initrdSize;
  private static boolean routerAdvertisements;
  /** The server and VM of the running test, stopped after it (ports 67, 69 and the tap are reused). */
  private static final List<Running> perTest = new ArrayList<>();

  @BeforeAll
  static void lab() throws Exception {
    NetnsLab.require("the PXE boot test needs a network namespace, a tap and ports 67/69");
    qemu = Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86; `make test` does it as root");
    Gate.require(Files.isRegularFile(Path.of(ROM)), ROM + " missing (apt-get install ipxe-qemu)");
    Gate.require(Initramfs.isStaticElf(Path.of("/bin/busybox")),
        "/bin/busybox missing or not statically linked (apt-get install busybox-static)");
    Gate.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun missing (no tap devices here)");

    Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    repo = findRepo(basedir);
    Path jar = repo.resolve("services/cli/target/boottorrent.jar");
    if (!Files.isRegularFile(jar)) {
      fail(jar + " does not exist: this test starts bin/boottorrent from the shaded jar, built in the package phase. "
          + "Run it through failsafe (`./mvnw -pl services/cli verify -Dit.test=PxeBootIT`) or `make build` first.");
    }
    logs = Files.createDirectories(basedir.resolve("target/pxe-boot-it"));

    // Debian's stock kernel (downloaded once, cached), our initrd with a marker unique to this run,
    // and the iPXE script for the TFTP variant — all in one folder: the catalog's client-image
    // folder and the TFTP root.
    bootDir = Files.createDirectories(dir.resolve("boot"));
    // (its cache folder may be set in the environment, which Proc does not pass on by itself)
    Proc.Result fetched = Proc.command(repo.resolve("client-image/fetch-kernel.sh").toString(), bootDir.toString())
        .env("BOOTTORRENT_KERNEL_CACHE", System.getenv("BOOTTORRENT_KERNEL_CACHE")).exec(Duration.ofSeconds(600));
    Gate.require(fetched.ok(), "client-image/fetch-kernel.sh could not get Debian's kernel "
        + "(network or apt lists missing?):\n" + fetched.output());
    kernelVersion = Files.readString(bootDir.resolve("vmlinuz.version")).trim();
    marker = "BOOTTORRENT-PXE-IT-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    Files.write(bootDir.resolve("initrd"), initrd(marker));
    initrdSize = Files.size(bootDir.resolve("initrd"));
    Files.writeString(bootDir.resolve("boot.ipxe"), """
        #!ipxe
        echo BootTorrent PXE IT: kernel and initrd over TFTP from ${next-server}
        kernel tftp://${next-server}/vmlinuz initrd=initrd boottorrent.mac=${net0/mac} boottorrent.via=tftp console=ttyS0,115200 || goto failed
        initrd --name initrd tftp://${next-server}/initrd || goto failed
        boot || goto failed
        :failed
        echo BootTorrent PXE IT: boot failed
        exit 1
        """);

    lab = NetnsLab.create("btpxe");
    ns = lab.namespace("pxe");
    ns.bridge(BRIDGE, SERVER + "/24");
    ns.tap(TAP, BRIDGE);
    // The DHCP server binds 0.0.0.0: its limited broadcasts follow this route, onto the bridge.
    ns.broadcastRoute(BRIDGE);
    // Without an IPv6 router advertisement iPXE waits ~13 s for IPv6 autoconfiguration (see ipv6-ra.py).
    routerAdvertisements = ns.startRouterAdvertisements(BRIDGE, logs.resolve("ipv6-ra.log")).isPresent();
  }

  @AfterEach
  void stopServerAndVm() {
    for (int i = perTest.size() - 1; i >= 0; i--) {
      perTest.get(i).stop(Duration.ofSeconds(10));
    }
    perTest.clear();
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void biosIpxeBootsOurKernelWithTheScriptAndFilesFromOurDhcpAndHttp() throws Exception {
    // GIVEN our DHCP with the default iPXE script URL (the catalog's /boot/ipxe), catalog and TFTP
    String mac = "52:54:00:d5:3c:01";
    Path data = dir.resolve("data-http");
    Running server = startServer("http", data, null);

    // WHEN a BIOS VM with Debian's iPXE ROM network-boots on the lab bridge
    Running vm = startVm("http", mac);

    // THEN iPXE gets its address and the script URL (with its own MAC) from our DHCP
    String base = "http://" + SERVER + ":" + HTTP_PORT;
    Line ipxe = vm.await(Match.contains("iPXE initialising devices"), seconds(60), BOOT_FAILURES);
    Line lease = vm.await(Match.of("a lease on 10.213.60.0/24", t -> LEASE.matcher(t).find()), seconds(90), BOOT_FAILURES);
    String ip = leaseAddress(lease);
    vm.await(Match.contains("Next server: " + SERVER), seconds(5), BOOT_FAILURES);
    Line url = vm.await(Match.contains("Filename: " + base + "/boot/ipxe?mac=" + mac), seconds(5), BOOT_FAILURES);
    // AND runs the script the catalog rendered for this MAC, which loads kernel and initrd over HTTP
    Line script = vm.await(Match.contains("BootTorrent: loading the client image for " + mac), seconds(20), BOOT_FAILURES);
    Line kernel = vm.await(loaded(base + "/boot/vmlinuz"), seconds(60), BOOT_FAILURES);
    Line initrd = vm.await(loaded(base + "/boot/initrd"), seconds(30), BOOT_FAILURES);
    // AND the kernel we served starts and runs the /init of the initrd we served
    Line linux = vm.await(Match.contains("Linux version " + kernelVersion), seconds(60), BOOT_FAILURES);
    Line init = vm.await(Match.contains(marker), seconds(60), BOOT_FAILURES);
    assertThat(init.text()).contains("boottorrent.catalog=" + base, "boottorrent.mac=" + mac, "console=ttyS0");
    // the catalog pins its signing key on the client's command line (catalog.pinKeysOnCmdline)
    assertThat(init.text()).containsPattern("boottorrent\\.keys=[0-9a-f]{64}");
    assertPoweredOff(vm);
    assertInOrder(ipxe, lease, url, script, kernel, initrd, linux, init);

    // AND our DHCP offered and acknowledged that address (PXE_OFFER, DHCP_LEASE) and journalled the lease
    Line[] dhcp = assertDhcp(server, data, mac, ip);
    // AND nothing came over TFTP: the HTTP variant used only DHCP and the catalog
    assertThat(server.first(t -> t.contains("RRQ "))).as("TFTP requests in the HTTP variant").isEmpty();
    report("HTTP", vm, server, dhcp, ip, ipxe, lease, script, initrd, linux, init);
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void biosIpxeBootsOurKernelWithTheScriptAndFilesFromOurDhcpAndTftp() throws Exception {
    // GIVEN our DHCP pointing iPXE at a script on our TFTP server, and that script in the TFTP root
    String mac = "52:54:00:d5:3c:02";
    Path data = dir.resolve("data-tftp");
    Running server = startServer("tftp", data, "tftp://{serverAddress}/boot.ipxe");

    // WHEN a BIOS VM with Debian's iPXE ROM network-boots on the lab bridge
    Running vm = startVm("tftp", mac);

    // THEN iPXE gets its address and the TFTP script URL from our DHCP
    String base = "tftp://" + SERVER;
    Line ipxe = vm.await(Match.contains("iPXE initialising devices"), seconds(60), BOOT_FAILURES);
    Line lease = vm.await(Match.of("a lease on 10.213.60.0/24", t -> LEASE.matcher(t).find()), seconds(90), BOOT_FAILURES);
    String ip = leaseAddress(lease);
    vm.await(Match.contains("Next server: " + SERVER), seconds(5), BOOT_FAILURES);
    Line url = vm.await(Match.contains("Filename: " + base + "/boot.ipxe"), seconds(5), BOOT_FAILURES);
    // AND runs the script from our TFTP server, which loads kernel and initrd over TFTP from next-server
    Line script = vm.await(Match.contains("BootTorrent PXE IT: kernel and initrd over TFTP from " + SERVER), seconds(20),
        BOOT_FAILURES);
    Line kernel = vm.await(loaded(base + "/vmlinuz"), seconds(90), BOOT_FAILURES);
    Line initrd = vm.await(loaded(base + "/initrd"), seconds(30), BOOT_FAILURES);
    // AND the kernel we served starts and runs the /init of the initrd we served
    Line linux = vm.await(Match.contains("Linux version " + kernelVersion), seconds(60), BOOT_FAILURES);
    Line init = vm.await(Match.contains(marker), seconds(60), BOOT_FAILURES);
    assertThat(init.text()).contains("boottorrent.mac=" + mac, "boottorrent.via=tftp");
    assertPoweredOff(vm);
    assertInOrder(ipxe, lease, url, script, kernel, initrd, linux, init);

    // AND our DHCP offered and acknowledged that address and journalled the lease
    Line[] dhcp = assertDhcp(server, data, mac, ip);
    // AND our TFTP server sent the script, the kernel and the initrd, whole, to that address
    // (each "sent" line is one TFTP_TRANSFER boot event)
    long kernelSize = Files.size(bootDir.resolve("vmlinuz"));
    long scriptSize = Files.size(bootDir.resolve("boot.ipxe"));
    for (String sent : List.of("sent boot.ipxe " + scriptSize + " bytes", "sent vmlinuz " + kernelSize + " bytes",
        "sent initrd " + initrdSize + " bytes")) {
      server.await(Match.of(sent + " … to " + ip, t -> t.contains(sent) && t.contains(" to " + ip)), seconds(10));
    }
    report("TFTP", vm, server, dhcp, ip, ipxe, lease, script, initrd, linux, init);
  }

  // ------------------------------------------------------------------------------------ helpers

  /** {@code bin/boottorrent serve --services catalog,dhcp,tftp} in the namespace, with a generated config. */
  private static Running startServer(String variant, Path data, String ipxeScriptUrl) throws Exception {
    StringBuilder yaml = new StringBuilder()
        .append("# generated by PxeBootIT (").append(variant).append(" variant)\n")
        .append("dataDir: ").append(quote(data)).append('\n')
        .append("publicHost: ").append(SERVER).append('\n')
        .append("cluster: {enabled: false}\n")
        .append("health: {port: -1}\n")
        .append("catalog:\n")
        .append("  httpPort: ").append(HTTP_PORT).append('\n')
        .append("  clientImageDir: ").append(quote(bootDir)).append('\n')
        .append("tftp:\n")
        .append("  root: ").append(quote(bootDir)).append('\n')
        .append("dhcp:\n")
        .append("  serverAddress: ").append(SERVER).append('\n')
        .append("  leaseSeconds: 600\n")
        .append("  pools: [{subnet: 10.213.60.0/24, rangeStart: 10.213.60.100, rangeEnd: 10.213.60.150, router: ")
        .append(SERVER).append("}]\n");
    if (ipxeScriptUrl != null) {
      yaml.append("  ipxeScriptUrl: ").append(quote(ipxeScriptUrl)).append('\n');
    }
    Path config = Files.writeString(dir.resolve("boottorrent-" + variant + ".yaml"), yaml);
    Running server = ns.command(repo.resolve("bin/boottorrent").toString(), "serve", "--services", "catalog,dhcp,tftp",
            "--config", config.toString())
        .name(variant + "-server").log(logs.resolve(variant + "-server.log"))
        .env(Map.of("JAVA_HOME", System.getProperty("java.home"),
            // DEBUG: one line per DHCP packet and TFTP request, what the boot-event checks read
            "BOOTTORRENT_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -DBOOTTORRENT_LOG_LEVEL=DEBUG"))
        .start();
    perTest.add(server);
    server.await("BootTorrent running: catalog, dhcp, tftp", seconds(90));
    return server;
  }

  /**
   * A BIOS (SeaBIOS) VM booting from its virtio NIC with Debian's iPXE ROM. That ROM's PCI header
   * names the modern virtio-net device (1af4:1041), so the NIC is made modern-only
   * ({@code disable-legacy=on}); as a transitional device (1af4:1000) SeaBIOS would not run the ROM.
   * {@code -nographic}: the serial port on stdout, and SeaBIOS/iPXE text output mirrored onto it.
   */
  private static Running startVm(String variant, String mac) throws IOException {
    Running vm = ns.command(qemu.toString(),
            "-accel", "tcg", "-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-boot", "n",
            "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",disable-legacy=on,romfile=" + ROM)
        .name(variant + "-vm").log(logs.resolve(variant + "-serial.log")).start();
    perTest.add(vm);
    return vm;
  }

  /** iPXE's line for a file it fetched: the URL (without its ?mac= query), "...", and "ok" at the end. */
  private static Match loaded(String url) {
    Predicate<String> ok = t -> t.contains(url + "...") && t.strip().endsWith("ok");
    return Match.of(url.substring(url.lastIndexOf('/') + 1) + "... ok", ok);
  }

  private static Duration seconds(long seconds) {
    return Duration.ofSeconds(seconds);
  }

  /** An initrd whose /init prints the marker and the kernel command line, then powers off. */
  private static byte[] initrd(String marker) throws IOException {
    return Initramfs.busyboxMarker(marker + " init of the served initrd");
  }

  private static String leaseAddress(Line lease) {
    Matcher m = LEASE.matcher(lease.text());
    assertThat(m.find()).isTrue();
    String ip = m.group(1);
    int host = Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
    assertThat(host).as("address from the pool 10.213.60.100-150").isBetween(100, 150);
    return ip;
  }

  /** The init's {@code poweroff -f} ends QEMU ({@code -no-reboot}) with exit status 0. */
  private static void assertPoweredOff(Running vm) throws InterruptedException {
    assertThat(vm.waitFor(seconds(30))).as("VM powered off after the marker\n" + tail(vm)).isTrue();
    assertThat(vm.process().exitValue()).as(tail(vm)).isZero();
  }

  /** The last 60 lines, for failure messages (the whole output is in the log). */
  private static String tail(Running p) {
    return "--- " + p.name() + " (full log: " + p.log().orElse(null) + ")\n" + p.tail(60);
  }

  private static void assertInOrder(Line... milestones) {
    for (int i = 1; i < milestones.length; i++) {
      assertThat(milestones[i].index()).as("'%s' after '%s'", milestones[i].text(), milestones[i - 1].text())
          .isGreaterThan(milestones[i - 1].index());
    }
  }

  /**
   * DHCP_LEASE and PXE_OFFER are published on the event bus only (the catalog's /api/v1/events keeps
   * just the events POSTed to it), so the evidence is the server's per-packet log lines — an OFFER
   * with boot information is a PXE_OFFER, an ACK with an address a DHCP_LEASE — and the lease journal.
   */
  private static Line[] assertDhcp(Running server, Path data, String mac, String ip) throws Exception {
    Line offer = server.await(Match.of("DISCOVER from " + mac + " → OFFER " + ip,
        t -> t.contains("DHCP DISCOVER from " + mac) && t.contains("OFFER " + ip + " ")), seconds(10));
    Line ack = server.await(Match.of("REQUEST from " + mac + " → ACK " + ip,
        t -> t.contains("DHCP REQUEST from " + mac) && t.contains("ACK " + ip + " ")), seconds(10));
    assertThat(Files.readAllLines(data.resolve("dhcp/leases"))).as("lease journal <dataDir>/dhcp/leases")
        .anyMatch(l -> l.startsWith(ip + " BOUND " + mac + " "));
    return new Line[] {offer, ack};
  }

  private static void report(String variant, Running vm, Running server, Line[] dhcp, String ip, Line ipxe,
      Line lease, Line script, Line files, Line linux, Line init) {
    double serverOffset = (server.startNanos() - vm.startNanos()) / 1e9; // server lines on the VM's clock
    List<String> stages = new ArrayList<>();
    stages.add(String.format(Locale.ROOT, "iPXE up %.1f s", ipxe.seconds()));
    stages.add(String.format(Locale.ROOT, "first OFFER %.1f s", serverOffset + dhcp[0].seconds()));
    stages.add(String.format(Locale.ROOT, "ACK %.1f s", serverOffset + dhcp[1].seconds()));
    stages.add(String.format(Locale.ROOT, "iPXE configured (%s) %.1f s", ip, lease.seconds()));
    stages.add(String.format(Locale.ROOT, "script running %.1f s", script.seconds()));
    stages.add(String.format(Locale.ROOT, "kernel+initrd loaded %.1f s", files.seconds()));
    stages.add(String.format(Locale.ROOT, "\"Linux version\" %.1f s", linux.seconds()));
    stages.add(String.format(Locale.ROOT, "initrd marker %.1f s", init.seconds()));
    System.out.printf(Locale.ROOT, "PxeBootIT %s boot (IPv6 RA %s), seconds since QEMU start: %s%n", variant,
        routerAdvertisements ? "on" : "off", String.join(", ", stages));
  }

  private static Path findRepo(Path from) {
    for (Path p = from; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/boottorrent")) && Files.isDirectory(p.resolve("client-image"))) {
        return p;
      }
    }
    throw new IllegalStateException("no bin/boottorrent above " + from);
  }

  /** A YAML double-quoted scalar (JSON string syntax). */
  private static String quote(Object value) {
    return "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
