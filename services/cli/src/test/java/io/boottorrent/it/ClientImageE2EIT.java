package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Initramfs;
import io.boottorrent.testsupport.TestTokens;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Input;
import io.boottorrent.testsupport.Proc.Line;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Running;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's end-to-end proof: virtual machines go from power-on to the chosen OS through BootTorrent
 * alone. In a network namespace this test creates ({@link NetnsLab}), one {@code bin/boottorrent serve} runs every
 * service (DHCP, TFTP, catalog with HTTP boot, tracker, seeder) on a bridge; QEMU VMs (TCG, Debian's
 * stock iPXE ROM) on tap devices PXE-boot the client image that {@code make client-image} built
 * (client-image/out), whose agent fetches a kexec image through the swarm, verifies it and kexecs
 * into it; that image's initrd prints a marker unique to the image and powers the VM off.
 *
 * <p>The three tests: two VMs at once take the default image after the menu's countdown, and the
 * second receives pieces from the first (the seeder is capped so the swarm matters); then one VM
 * whose menu is driven through its serial console boots the non-default image; then a VM with Secure
 * Boot enforced boots through Debian's signed shim, GRUB and kernel, whose lockdown refuses to kexec an
 * unsigned kernel and then kexecs a signed one. Boot events come from
 * telemetry's event log ({@code /api/v1/events}), which keeps every event on the bus.
 *
 * <p>Root only, and the client image must be built: otherwise skipped with the reason — or failed,
 * when {@code BOOTTORRENT_E2E=required} (CI sets it, so the test cannot pass by not running).
 * Serial consoles, the services' log and the events: {@code services/cli/target/client-image-e2e/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientImageE2EIT {
  private static final String SERVER = "10.213.90.1";
  private static final int HTTP_PORT = 8080;
  private static final String CATALOG = "http://" + SERVER + ":" + HTTP_PORT;
  private static final String TELEMETRY = "http://" + SERVER + ":8081";
  private static final String ROM = "/usr/lib/ipxe/qemu/pxe-virtio.rom";
  private static final String OVMF = "/usr/share/ovmf/OVMF.fd";
  /** Debian's OVMF with Secure Boot enforced, and variables with Microsoft's keys enrolled (so shim runs). */
  private static final String OVMF_SECBOOT = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";
  private static final String OVMF_VARS_MS = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
  /** The Secure Boot VM: DHCP hands it shim (dhcp.hostBootFiles), not iPXE. */
  private static final String SECURE_BOOT_MAC = "52:54:00:e2:e0:04";
  private static final String BRIDGE = "btbr0";
  private static final String TAP = "bttap0";
  /** The seeder's upload cap per torrent: slow enough that the VMs' pieces to each other matter. */
  private static final int SEEDER_BYTES_PER_SECOND = 768 * 1024;
  private static final int MENU_SECONDS = 5;
  /** Printed when the boot cannot succeed any more: fail at once instead of waiting for a timeout. */
  private static final Match[] FAILURES = Stream.of("could not load the client image", "No bootable device",
      "Kernel panic", "(http://ipxe.org/", "FAILED:", "boot failed:").map(Match::contains).toArray(Match[]::new);
  private static final Pattern UDHCPC_LEASE = Pattern.compile("udhcpc: lease of (10\\.213\\.90\\.\\d+) obtained");

  @TempDir
  static Path dir;

  private static NetnsLab lab;
  private static Ns ns;
  private static Path qemu;
  private static Path curlPath;
  private static Path repo;
  private static Path logs;
  private static Running services;
  private static String kernelVersion;
  /** Image name → the marker its initrd prints. alpha is the default (first by name), beta is not. */
  private static final Map<String, String> markers = new LinkedHashMap<>();

  @BeforeAll
  static void servicesOnABridge() throws Exception {
    NetnsLab.require("the end-to-end test needs a network namespace, taps and ports 67/69");
    qemu = Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    curlPath = Gate.requireCommand("curl", "curl");
    Gate.require(Files.isRegularFile(Path.of(ROM)), ROM + " missing (apt-get install ipxe-qemu)");
    Gate.require(Initramfs.isStaticElf(Path.of("/bin/busybox")),
        "/bin/busybox missing or not static (apt-get install busybox-static)");
    Gate.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun missing (no tap devices here)");
    Gate.require(Files.isRegularFile(Path.of(OVMF)), OVMF + " missing (apt-get install ovmf)");
    Gate.require(Files.isRegularFile(Path.of("/usr/lib/ipxe/snponly.efi")),
        "/usr/lib/ipxe/snponly.efi missing (apt-get install ipxe)");
    Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    repo = findRepo(basedir);
    Path out = repo.resolve("client-image/out");
    Gate.require(Files.isRegularFile(out.resolve("vmlinuz")) && Files.isRegularFile(out.resolve("initrd")),
        "client image not built: run `make client-image` first (`make test` does, as root)");
    Path jar = repo.resolve("services/cli/target/boottorrent.jar");
    if (!Files.isRegularFile(jar)) {
      fail(jar + " does not exist: run this test through failsafe (`./mvnw -pl services/cli verify "
          + "-Dit.test=ClientImageE2EIT`) or `make build` first");
    }
    logs = Files.createDirectories(basedir.resolve("target/client-image-e2e"));
    kernelVersion = Files.readString(out.resolve("vmlinuz.version")).trim();

    // GIVEN two kexec images, each Debian's kernel (the client image's own) + an initrd with its marker
    Path imports = Files.createDirectories(dir.resolve("data/import"));
    Files.copy(out.resolve("vmlinuz"), imports.resolve("vmlinuz"));
    for (String name : List.of("alpha", "beta")) {
      String marker = "BOOTTORRENT-E2E-" + name + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
      markers.put(name, marker);
      Files.write(imports.resolve(name + ".initrd"), markerInitrd(marker));
    }

    lab = NetnsLab.create("bte2e");
    ns = lab.namespace("pxe");
    ns.bridge(BRIDGE, SERVER + "/24");
    ns.tap(TAP, BRIDGE);
    ns.tap("bttap1", BRIDGE);
    // The DHCP server binds 0.0.0.0: its limited broadcasts follow this route, onto the bridge.
    ns.broadcastRoute(BRIDGE);
    ns.startRouterAdvertisements(BRIDGE, logs.resolve("ipv6-ra.log"));

    // AND every service in one process on the bridge, the client image from client-image/out
    services = ns.command(repo.resolve("bin/boottorrent").toString(), "serve",
            "--services", "catalog,tracker,seeder,telemetry,dhcp,tftp", "--config", writeConfig(out).toString())
        .name("services").log(logs.resolve("services.log"))
        .env(Map.of("JAVA_HOME", System.getProperty("java.home"), "BOOTTORRENT_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC"))
        .start();
    services.await("BootTorrent running", Duration.ofSeconds(120));
    for (String name : markers.keySet()) {
      Proc.Result added = ns.command(repo.resolve("bin/boottorrent").toString(), "image", "add", "--catalog", CATALOG,
              "--token-file", dir.resolve("data/catalog/admin.token").toString(), "--name", name, "--kind", "kexec", "--kernel", imports.resolve("vmlinuz").toString(),
              "--initrd", imports.resolve(name + ".initrd").toString(),
              "--cmdline", "console=ttyS0,115200 boottorrent.e2e=" + name,
              "--description", "E2E test image " + name)
          .env("JAVA_HOME", System.getProperty("java.home")).exec(Duration.ofSeconds(120));
      assertThat(added.exit()).as("image add %s: %s", name, added.output()).isZero();
    }
    // AND the two BIOS VMs form a group whose rule hands out piece stripes (the UEFI VM is in no group)
    String policy = new JsonObject().put("defaultImage", "alpha").put("menuTimeoutSeconds", MENU_SECONDS)
        .put("rules", new JsonArray().add(new JsonObject().put("group", "pair").put("image", "alpha")
            .put("menuTimeoutSeconds", -1).put("pieceStripes", true)))
        .put("groups", new JsonObject().put("52:54:00:e2:e0:01", "pair").put("52:54:00:e2:e0:02", "pair")).encode();
    Proc.Result put = ns.command(curlPath.toString(), "-sS", "--fail", "-X", "PUT", "-H", "Content-Type: application/json",
        "-H", TestTokens.authorizationHeader(dir.resolve("data")),
        "--data", policy, CATALOG + "/api/v1/policy").exec(Duration.ofSeconds(30));
    assertThat(put.exit()).as("PUT policy: %s", put.output()).isZero();
    // the seeder has both torrents before any VM asks (it follows the catalog's image.added events)
    for (String name : markers.keySet()) {
      services.await(": seeding " + name + " (", Duration.ofSeconds(60));
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (lab != null) {
      try {
        Files.writeString(logs.resolve("events.json"), curl(TELEMETRY + "/api/v1/events?limit=1000").encodePrettily());
      } catch (IOException | RuntimeException e) {
        System.err.println("could not save the event log: " + e);
      }
      lab.close();
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void twoVmsPxeBootTheClientImageAndKexecTheDefaultImageSharingPieces() throws Exception {
    // WHEN two VMs power on at the same time and nobody touches a key
    List<Vm> vms = List.of(new Vm("52:54:00:e2:e0:01", TAP, false, false),
        new Vm("52:54:00:e2:e0:02", "bttap1", false, false));

    // THEN each goes PXE → client image → agent → menu → default image over the swarm → kexec → marker
    for (Vm vm : vms) {
      vm.followBoot("alpha");
    }
    for (Vm vm : vms) {
      vm.assertPoweredOff();
      vm.report();
    }

    // AND the boot events show every stage for every VM
    for (Vm vm : vms) {
      vm.assertEvents("alpha", "default");
    }
    // AND each took the piece stripe its group rule handed out (by MAC order)
    for (int i = 0; i < vms.size(); i++) {
      assertThat(vms.get(i).last("DOWNLOAD_STARTED").getString("message")).as("DOWNLOAD_STARTED of %s", vms.get(i).mac)
          .endsWith(", piece stripe " + i + "/2 first");
    }
    // AND the VM that started downloading second received pieces from the first
    Vm first = vms.get(0).downloadStarted() <= vms.get(1).downloadStarted() ? vms.get(0) : vms.get(1);
    Vm second = first == vms.get(0) ? vms.get(1) : vms.get(0);
    JsonObject fromPeers = second.complete().getJsonObject("bytesFromPeers", new JsonObject());
    long fromFirst = fromPeers.fieldNames().stream().filter(peer -> peer.startsWith(first.ip + ":"))
        .mapToLong(peer -> Long.parseLong(String.valueOf(fromPeers.getValue(peer)))).sum();
    System.out.printf(Locale.ROOT, "ClientImageE2EIT: %s got %d bytes from %s (the other VM); all sources: %s%n",
        second.mac, fromFirst, first.ip, fromPeers.encode());
    assertThat(fromFirst).as("bytes %s (%s) received from %s (%s): %s", second.mac, second.ip, first.mac, first.ip,
        fromPeers.encode()).isPositive();
    assertThat(fromPeers.fieldNames()).as("no web seed needed").noneMatch(peer -> peer.startsWith("web:"));
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aKeyOnTheSerialConsoleBootsTheChosenNonDefaultImage() throws Exception {
    // GIVEN a UEFI VM (OVMF's own PXE: DHCP, then iPXE's snponly.efi over our TFTP) whose serial console we type on
    Vm vm = new Vm("52:54:00:e2:e0:03", TAP, true, true);

    // WHEN its menu shows (alpha, the default, highlighted) and we press ↓ and Enter
    Line menu = vm.serial.await(Match.contains("BootTorrent — choose what to boot"), Duration.ofSeconds(300), FAILURES);
    vm.serial.awaitAfter(menu, Match.contains("> 1. alpha"), Duration.ofSeconds(10), FAILURES);
    OutputStream keys = vm.serial.input();
    keys.write("\u001b[B".getBytes(StandardCharsets.US_ASCII));
    keys.flush();
    vm.serial.awaitAfter(menu, Match.contains("> 2. beta"), Duration.ofSeconds(30), FAILURES);
    keys.write('\r');
    keys.flush();

    // THEN beta is fetched, verified and kexec'd, and it is beta's marker on the console, not alpha's
    vm.followBoot("beta");
    vm.assertPoweredOff();
    assertThat(vm.serial.first(t -> t.contains(markers.get("alpha")))).as("alpha's marker").isEmpty();
    vm.assertEvents("beta", "chosen from the menu");
    // AND alone in the swarm it launched after the minimum 2 s of seeding, on our tracker's word
    assertThat(vm.last("SEEDING_DONE").getString("message"))
        .endsWith("every connected peer is a seed and the tracker knows no one still downloading");
    // AND our TFTP sent the UEFI firmware iPXE (TFTP_TRANSFER events carry the client's address, no MAC)
    List<String> tftp = tftpTransfersTo(vm.ip);
    assertThat(tftp).as("TFTP transfers to %s", vm.ip).anyMatch(m -> m.matches("snponly\\.efi \\d+ bytes in \\d+ ms"));
    // AND OVMF's size probe before it (tsize, then an ERROR) is reported as one, not as a failure
    assertThat(tftp).as("TFTP transfers to %s", vm.ip).noneMatch(m -> m.contains("failed"))
        .anyMatch(m -> m.startsWith("snponly.efi size probe (tsize "));
    vm.report();
  }

  @Test
  @Order(3)
  @Timeout(value = 14, unit = TimeUnit.MINUTES)
  void aSecureBootMachineBootsSignedShimGrubAndKernelAndKexecsOnlyASignedKernel() throws Exception {
    for (String file : List.of(OVMF_SECBOOT, OVMF_VARS_MS, "/usr/lib/shim/shimx64.efi.signed",
        "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed")) {
      Gate.require(Files.isRegularFile(Path.of(file)), file + " missing (apt-get install ovmf shim-signed "
          + "grub-efi-amd64-signed)");
    }
    Path sbattach = Gate.requireCommand("sbattach", "sbsigntool");
    // GIVEN an image whose kernel is Debian's with its Authenticode signature removed ...
    Path imports = dir.resolve("data/import");
    Path unsigned = Files.copy(imports.resolve("vmlinuz"), imports.resolve("vmlinuz.unsigned"));
    Proc.run(sbattach.toString(), "--remove", unsigned.toString());
    markers.put("unsigned", "BOOTTORRENT-E2E-unsigned-never-runs");
    Files.write(imports.resolve("unsigned.initrd"), markerInitrd(markers.get("unsigned")));
    Proc.Result added = ns.command(repo.resolve("bin/boottorrent").toString(), "image", "add", "--catalog", CATALOG,
            "--token-file", dir.resolve("data/catalog/admin.token").toString(),
            "--name", "unsigned", "--kind", "kexec", "--kernel", unsigned.toString(),
            "--initrd", imports.resolve("unsigned.initrd").toString(), "--cmdline", "console=ttyS0,115200")
        .env("JAVA_HOME", System.getProperty("java.home")).exec(Duration.ofSeconds(120));
    assertThat(added.exit()).as("image add unsigned: %s", added.output()).isZero();
    services.await(": seeding unsigned (", Duration.ofSeconds(60));
    // ... assigned to the Secure Boot machine without a menu
    JsonObject policy = curl(CATALOG + "/api/v1/policy");
    policy.getJsonArray("rules").add(new JsonObject().put("mac", SECURE_BOOT_MAC).put("image", "unsigned")
        .put("skipMenu", true));
    Proc.Result put = ns.command(curlPath.toString(), "-sS", "--fail", "-X", "PUT", "-H", "Content-Type: application/json",
        "-H", TestTokens.authorizationHeader(dir.resolve("data")), "--data", policy.encode(), CATALOG + "/api/v1/policy")
        .exec(Duration.ofSeconds(30));
    assertThat(put.exit()).as("PUT policy: %s", put.output()).isZero();

    // WHEN a machine with Secure Boot enforced (Microsoft's keys enrolled) PXE-boots
    Vm vm = new Vm(SECURE_BOOT_MAC, TAP, true, true, true);
    // THEN its firmware runs Debian's signed shim from our TFTP, shim runs Debian's signed GRUB, GRUB reads
    // the catalog's grub.cfg and has shim verify Debian's signed kernel, which boots locked down
    vm.step("UEFI PXE", "Start PXE over IPv4", 240);
    vm.step("shim", "Fetching Netboot Image grubx64.efi", 120);
    vm.step("GRUB", "BootTorrent: loading the client image for " + SECURE_BOOT_MAC, 120);
    vm.step("Secure Boot kernel", "EFI stub: UEFI Secure Boot is enabled.", 400);
    vm.step("lockdown", "Kernel is locked down from EFI Secure Boot", 60);
    vm.step("/init", "Secure Boot: the kernel is locked down (integrity); kexec will load only signed kernels", 120);
    Line lease = vm.step("Linux DHCP", t -> UDHCPC_LEASE.matcher(t).find(), 120);
    Matcher m = UDHCPC_LEASE.matcher(lease.text());
    assertThat(m.find()).isTrue();
    vm.ip = m.group(1);
    // AND the agent checks the manifest's signature (the key grub.cfg pinned), downloads and verifies
    vm.step("signed", t -> t.contains("unsigned: manifest version ") && t.contains("signed by a trusted key"), 300);
    vm.step("verified", "unsigned verified: SHA-256 of 2 file(s) match", 240);
    // BUT the kernel refuses to kexec the unsigned kernel; the agent says why and stops in the rescue shell
    Line refused = vm.serial.awaitAfter(vm.stages.get("verified"), Match.contains("boot failed: kexec exited with"),
        Duration.ofSeconds(120), Match.contains("Kernel panic"), Match.contains(markers.get("unsigned")));
    assertThat(refused.text()).contains("this kernel is locked down (integrity, Secure Boot)")
        .contains("is vmlinuz of image unsigned signed?");
    Line rescue = vm.serial.awaitAfter(refused, Match.contains("FAILED: the agent exited with code 1"),
        Duration.ofSeconds(30));
    vm.stages.put("kexec refused", rescue); // later steps look for failures after this line only
    JsonArray events = curl(TELEMETRY + "/api/v1/events?mac=" + SECURE_BOOT_MAC + "&limit=1000").getJsonArray("events");
    JsonObject failed = null;
    for (int i = 0; i < events.size(); i++) {
      if ("FAILED".equals(events.getJsonObject(i).getString("stage"))) {
        failed = events.getJsonObject(i);
      }
    }
    assertThat(failed).as("a FAILED event for %s", SECURE_BOOT_MAC).isNotNull();
    assertThat(failed.getString("message")).contains("locked down (integrity, Secure Boot)");

    // WHEN, at the rescue shell, the operator boots the signed image instead
    OutputStream keys = vm.serial.input();
    keys.write("sed -i \"s/^IMAGE=.*/IMAGE='alpha'/\" /run/boottorrent/env && /opt/boottorrent/agent.sh\r"
        .getBytes(StandardCharsets.US_ASCII));
    keys.flush();
    // THEN Debian's signed kernel is kexec'd through kexec_file_load, and alpha's marker shows
    vm.step("kexec -s", "launching kexec: kexec --load --kexec-file-syscall", 600);
    vm.step("new kernel", "Linux version " + kernelVersion, 120);
    vm.step("marker", markers.get("alpha"), 120);
    vm.assertPoweredOff();
    StringBuilder line = new StringBuilder("ClientImageE2EIT Secure Boot " + SECURE_BOOT_MAC + ", seconds since VM start:");
    vm.stages.forEach((stage, at) -> line.append(String.format(Locale.ROOT, " %s %.1f,", stage, at.seconds())));
    System.out.println(line.substring(0, line.length() - 1));
    // AND our TFTP served the whole chain: shim, GRUB, the catalog's grub.cfg, the kernel and the initrd
    List<String> tftp = tftpTransfersTo(vm.ip);
    for (String file : List.of("shimx64.efi", "grubx64.efi", "grub.cfg", "vmlinuz", "initrd")) {
      assertThat(tftp).as("TFTP transfers to %s", vm.ip).anyMatch(t -> t.contains(file + " ") && t.contains(" bytes in "));
    }
  }

  // ------------------------------------------------------------------------------------ one VM

  /**
   * A VM booting from its virtio NIC: BIOS with Debian's iPXE ROM (see PxeBootIT for why disable-legacy),
   * or UEFI (OVMF) with no option ROM, so the firmware's own PXE client fetches iPXE from our TFTP.
   */
  private static final class Vm {
    final String mac;
    final boolean uefi;
    final Running serial;
    final Map<String, Line> stages = new LinkedHashMap<>();
    String ip;
    private JsonArray events;

    Vm(String mac, String tap, boolean keyboard, boolean uefi) throws IOException {
      this(mac, tap, keyboard, uefi, false);
    }

    /**
     * @param secureBoot OVMF with Secure Boot enforced (q35 with SMM, which that build needs) and
     *     Microsoft's keys enrolled in a copy of its variable store
     */
    Vm(String mac, String tap, boolean keyboard, boolean uefi, boolean secureBoot) throws IOException {
      this.mac = mac;
      this.uefi = uefi;
      List<String> command = new ArrayList<>(List.of(qemu.toString(),
          "-accel", "tcg", "-m", "1024", "-smp", "1", "-nographic", "-no-reboot",
          "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"));
      if (secureBoot) {
        Path vars = Files.copy(Path.of(OVMF_VARS_MS), dir.resolve("vars-" + mac.replace(":", "") + ".fd"));
        command.addAll(List.of("-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on",
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_SECBOOT,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars,
            "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",romfile="));
      } else if (uefi) {
        command.addAll(List.of("-bios", OVMF, "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",romfile="));
      } else {
        command.addAll(List.of("-boot", "n",
            "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",disable-legacy=on,romfile=" + ROM));
      }
      this.serial = ns.command(command).name("vm-" + mac.substring(12).replace(":", ""))
          .log(logs.resolve("serial-" + mac.replace(":", "") + ".log")).input(keyboard ? Input.PIPE : Input.NULL).start();
    }

    /** Waits for every milestone of the boot on the serial console, in order, and the image's marker. */
    void followBoot(String image) throws InterruptedException {
      String base = CATALOG + "/boot/";
      if (uefi) {
        step("UEFI PXE", "Start PXE over IPv4", 180);
        step("TFTP snponly.efi", "NBP file downloaded successfully", 120);
      }
      step("iPXE", "iPXE initialising devices", 120);
      step("iPXE DHCP", "Filename: " + CATALOG + "/boot/ipxe?mac=" + mac, 120);
      step("script", "BootTorrent: loading the client image for " + mac, 30);
      // iPXE prints the URL without its ?mac= query
      step("vmlinuz", t -> t.contains(base + "vmlinuz...") && t.strip().endsWith("ok"), 120);
      step("initrd", t -> t.contains(base + "initrd...") && t.strip().endsWith("ok"), 180);
      step("kernel", "Linux version " + kernelVersion, 120);
      step("/init", t -> t.contains("boottorrent-init [") && t.contains("BootTorrent client image"), 120);
      Line lease = step("Linux DHCP", t -> UDHCPC_LEASE.matcher(t).find(), 120);
      Matcher m = UDHCPC_LEASE.matcher(lease.text());
      assertThat(m.find()).isTrue();
      ip = m.group(1);
      step("agent start", "starting the agent for " + mac, 60);
      step("agent up", t -> t.contains("] agent ") && t.contains(" for " + mac + ", catalog " + CATALOG), 180);
      step("menu", "BootTorrent — choose what to boot", 120);
      // the iPXE script pinned the catalog's key (boottorrent.keys=): the agent checks the signed manifest —
      // of the default image while the menu is shown (agent.prefetch), so before or after the menu's first lines
      stepSince("agent up", "signed", t -> t.contains(image + ": manifest version ") && t.contains("signed by a trusted key"),
          300);
      step("downloaded", t -> t.contains(image + " downloaded: "), 240);
      step("verified", image + " verified: SHA-256 of 2 file(s) match", 60);
      step("kexec", "launching kexec", 120);
      step("new kernel", "Linux version " + kernelVersion, 120);
      Line marker = step("marker", markers.get(image), 120);
      assertThat(marker.text()).as("the kexec'd kernel got the image's command line").contains("boottorrent.e2e=" + image);
    }

    private Line step(String stage, String needle, int seconds) throws InterruptedException {
      return step(stage, t -> t.contains(needle), seconds);
    }

    /** The first matching line after milestone {@code since} (not the latest one): for lines that may come in either order. */
    private Line stepSince(String since, String stage, Predicate<String> matches, int seconds) throws InterruptedException {
      Line line = serial.awaitAfter(stages.get(since), Match.of(stage, matches), Duration.ofSeconds(seconds), FAILURES);
      stages.put(stage, line);
      return line;
    }

    /** The first matching line after the previous milestone: "Linux version" twice means two kernels. */
    private Line step(String stage, Predicate<String> matches, int seconds) throws InterruptedException {
      Line previous = stages.isEmpty() ? null : new ArrayList<>(stages.values()).get(stages.size() - 1);
      Line line = serial.awaitAfter(previous, Match.of(stage, matches), Duration.ofSeconds(seconds), FAILURES);
      stages.put(stage, line);
      return line;
    }

    /** The marker initrd's {@code poweroff -f} ends QEMU ({@code -no-reboot}) with exit status 0. */
    void assertPoweredOff() throws InterruptedException {
      assertThat(serial.waitFor(Duration.ofSeconds(60))).as("%s powered off after the marker\n%s", mac, tail(serial))
          .isTrue();
      assertThat(serial.process().exitValue()).as(tail(serial)).isZero();
    }

    /** Every stage this machine went through is in the catalog's event log, the image and reason as expected. */
    void assertEvents(String image, String chosenBecause) throws Exception {
      events = curl(TELEMETRY + "/api/v1/events?mac=" + mac + "&limit=1000").getJsonArray("events");
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < events.size(); i++) {
        seen.add(events.getJsonObject(i).getString("stage"));
      }
      assertThat(seen).as("boot events of %s", mac).contains("PXE_OFFER", "DHCP_LEASE", "HTTP_BOOT_FILE",
          "AGENT_STARTED", "MENU_SHOWN", "IMAGE_CHOSEN", "DOWNLOAD_STARTED", "DOWNLOAD_PROGRESS",
          "DOWNLOAD_COMPLETE", "VERIFIED", "LAUNCHING").doesNotContain("FAILED");
      assertThat(messages("HTTP_BOOT_FILE")).as("HTTP boot files of %s", mac)
          .anyMatch(t -> t.equals("ipxe script"))
          .anyMatch(t -> t.matches("vmlinuz \\d+ bytes in \\d+ ms"))
          .anyMatch(t -> t.matches("initrd \\d+ bytes in \\d+ ms"));
      JsonObject chosen = last("IMAGE_CHOSEN");
      assertThat(chosen.getString("image")).isEqualTo(image);
      assertThat(chosen.getString("message")).isEqualTo(chosenBecause);
      assertThat(last("LAUNCHING").getString("message")).startsWith("kexec");
      assertThat(last("DHCP_LEASE").getString("ip")).isEqualTo(ip);
    }

    private List<String> messages(String stage) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < events.size(); i++) {
        if (stage.equals(events.getJsonObject(i).getString("stage"))) {
          out.add(events.getJsonObject(i).getString("message", ""));
        }
      }
      return out;
    }

    JsonObject last(String stage) {
      JsonObject found = null;
      for (int i = 0; i < events.size(); i++) {
        if (stage.equals(events.getJsonObject(i).getString("stage"))) {
          found = events.getJsonObject(i);
        }
      }
      assertThat(found).as("a %s event for %s", stage, mac).isNotNull();
      return found;
    }

    JsonObject complete() {
      return last("DOWNLOAD_COMPLETE");
    }

    long downloadStarted() {
      return Long.parseLong(String.valueOf(last("DOWNLOAD_STARTED").getValue("timestampMs")));
    }

    /** Seconds since QEMU started at each milestone, and where the time went. */
    void report() {
      StringBuilder line = new StringBuilder("ClientImageE2EIT " + mac + " (" + ip + "), seconds since VM start:");
      stages.forEach((stage, at) -> line.append(String.format(Locale.ROOT, " %s %.1f,", stage, at.seconds())));
      System.out.println(line.substring(0, line.length() - 1));
      double[] t = stages.values().stream().mapToDouble(Line::seconds).toArray();
      List<String> keys = new ArrayList<>(stages.keySet());
      double firmware = t[keys.indexOf("iPXE DHCP")];
      double http = t[keys.indexOf("initrd")] - firmware;
      double kernel = t[keys.indexOf("Linux DHCP")] - t[keys.indexOf("initrd")];
      double agent = t[keys.indexOf("menu")] - t[keys.indexOf("Linux DHCP")];
      double download = t[keys.indexOf("verified")] - t[keys.indexOf("menu")];
      double launch = t[keys.indexOf("marker")] - t[keys.indexOf("verified")];
      System.out.printf(Locale.ROOT, "ClientImageE2EIT %s where the time went: firmware+iPXE DHCP %.1f s, "
              + "script+kernel+initrd over HTTP %.1f s, kernel+/init+DHCP %.1f s, agent start to menu %.1f s, "
              + "menu+download+verify %.1f s, seeding+kexec+new kernel to marker %.1f s; total %.1f s%n",
          mac, firmware, http, kernel, agent, download, launch, t[t.length - 1]);
    }
  }

  // ------------------------------------------------------------------------------------ helpers

  /** A YAML config: every service on the bridge address, a short menu, the seeder capped. */
  private static Path writeConfig(Path clientImage) throws IOException {
    String yaml = """
        # generated by ClientImageE2EIT
        dataDir: "%s"
        publicHost: %s
        cluster: {enabled: false}
        health: {port: -1}
        catalog:
          httpPort: %d
          defaultMenuTimeoutSeconds: %d
          clientImageDir: "%s"
          # The agent's JVM starts in half the time with C1 only, under TCG emulation
          clientCmdline: "console=ttyS0,115200 boottorrent.java_opts=-XX:TieredStopAtLevel=1"
        tracker: {httpPort: 6969}
        seeder: {listenPort: 6881, uploadLimit: %d, statusIntervalMs: 1000}
        tftp: {root: "%s"}
        dhcp:
          serverAddress: %s
          leaseSeconds: 600
          hostBootFiles: {"%s": shimx64.efi}
          pools: [{subnet: 10.213.90.0/24, rangeStart: 10.213.90.100, rangeEnd: 10.213.90.150, router: %s, dns: [%s]}]
        """.formatted(dir.resolve("data"), SERVER, HTTP_PORT, MENU_SECONDS, clientImage, SEEDER_BYTES_PER_SECOND,
        clientImage, SERVER, SECURE_BOOT_MAC, SERVER, SERVER);
    return Files.writeString(dir.resolve("boottorrent.yaml"), yaml);
  }

  /** An initrd whose /init prints the marker and the kernel command line, then powers off. */
  private static byte[] markerInitrd(String marker) throws IOException {
    return Initramfs.busyboxMarker(marker + " kexec'd image running");
  }

  /** The messages of telemetry's TFTP_TRANSFER events to {@code ip} (they carry the client's address, no MAC). */
  private static List<String> tftpTransfersTo(String ip) throws IOException, InterruptedException {
    JsonArray all = curl(TELEMETRY + "/api/v1/events?limit=1000").getJsonArray("events");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      JsonObject e = all.getJsonObject(i);
      if ("TFTP_TRANSFER".equals(e.getString("stage")) && ip.equals(e.getString("ip"))) {
        out.add(e.getString("message"));
      }
    }
    return out;
  }

  /** GET from inside the namespace (the catalog listens on the bridge); throws with curl's output when it fails. */
  private static JsonObject curl(String url) throws IOException, InterruptedException {
    return new JsonObject(ns.command(curlPath.toString(), "-sS", "--fail", url).run(Duration.ofSeconds(30)));
  }

  /** The last 60 lines, for failure messages (the whole output is in the log). */
  private static String tail(Running p) {
    return "--- " + p.name() + " (full log: " + p.log().orElse(null) + ")\n" + p.tail(60);
  }

  private static Path findRepo(Path from) {
    for (Path p = from; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/boottorrent")) && Files.isDirectory(p.resolve("client-image"))) {
        return p;
      }
    }
    throw new IllegalStateException("no bin/boottorrent above " + from);
  }
}
