package io.boottorrent.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.EnvOverrides;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Result;
import io.boottorrent.testsupport.Proc.Running;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/install.sh and the systemd units it installs (docs/DEPLOY.md). A failsafe test: it installs
 * the shaded jar, which exists only after the package phase ({@code ./mvnw -pl services/cli verify
 * -Dit.test='InstallScript*'}; {@code make build} first when run from an IDE).
 *
 * <p>Without root: staged installs into a scratch {@code DESTDIR} (tree, modes, units, upgrade,
 * uninstall, errors), {@code systemd-analyze verify} and {@code security} on the units, and the
 * all-in-one unit's own command line (paths mapped into DESTDIR, every port on 127.0.0.1) answering
 * {@code /readiness}. As root, additionally a real install into a throwaway overlay of {@code /} in
 * private mount and network namespaces, where the units' command lines run as user boottorrent with
 * the units' capabilities and file-system sandbox, on the real ports.
 */
class InstallScriptIT {
  static final String ALL_IN_ONE = "boottorrent.service";
  /** Per-service unit -> its health port. */
  static final Map<String, Integer> PER_SERVICE = new LinkedHashMap<>(Map.of(
      "catalog", 8091, "tracker", 8092, "telemetry", 8093, "dhcp", 8094, "tftp", 8095));
  static final List<String> ALL_SERVICES = List.of("catalog", "tracker", "seeder", "telemetry", "dhcp", "tftp");
  static final String SEEDER_TEMPLATE = "boottorrent-seeder@.service";
  static final String SEEDER_2 = "boottorrent-seeder@2.service";
  /** systemd's PATH for services, the one bin/boottorrent finds java on. */
  static final String SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  static final Duration INSTALL = Duration.ofSeconds(60);
  static final Duration START = Duration.ofSeconds(120);

  static Path repo;
  static Path jar;
  static Path script;
  static String hostname;
  /** What the started processes printed, kept after the run: target/install-script-it. */
  static Path logs;

  @BeforeAll
  static void locate() throws IOException {
    Path p = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("deploy/install.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      fail("deploy/install.sh not found above " + System.getProperty("user.dir"));
    }
    repo = p;
    script = repo.resolve("deploy/install.sh");
    jar = repo.resolve("services/cli/target/boottorrent.jar");
    if (!Files.isRegularFile(jar)) {
      fail(jar + " does not exist: run this test through failsafe (`./mvnw -pl services/cli verify "
          + "-Dit.test='InstallScript*'`), after the package phase, or `make build` first");
    }
    hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    logs = Files.createDirectories(repo.resolve("services/cli/target/install-script-it"));
  }

  static List<String> unitNames() {
    List<String> names = new ArrayList<>(List.of(ALL_IN_ONE, SEEDER_TEMPLATE));
    PER_SERVICE.keySet().forEach(s -> names.add("boottorrent-" + s + ".service"));
    return names;
  }

  /** deploy/install.sh with {@code args}, DESTDIR set (null: unset) and nothing else of ours inherited. */
  static Result install(Path destdir, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    Proc.Spec spec = Proc.command(command).env("DESTDIR", destdir == null ? null : destdir.toString())
        .env("PREFIX", null).env("UNITDIR", null);
    env.forEach(spec::env);
    return spec.exec(INSTALL);
  }

  static Result install(Path destdir, String... args) throws Exception {
    return install(destdir, Map.of(), args);
  }

  static Path staged(Path destdir) throws Exception {
    Result r = install(destdir);
    assertThat(r.exit()).as(r.output()).isZero();
    return destdir;
  }

  static UnitFile unit(Path destdir, String name) throws IOException {
    String file = name.contains("@") ? name.replaceAll("@[^.]+\\.", "@.") : name;
    return UnitFile.read(destdir.resolve("lib/systemd/system").resolve(file), name, hostname);
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void stagedInstallLaysOutTheTreeWithTheRightModes(@TempDir Path dir) throws Exception {
    Path d = dir.resolve("stage");

    Result r = install(d);

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("installed " + d + "/etc/boottorrent/boottorrent.yaml")
        .contains("staged into " + d + ": no user or ownership set")
        .contains("installed BootTorrent in " + d + "/opt/boottorrent");
    Path opt = d.resolve("opt/boottorrent");
    assertThat(Files.mismatch(opt.resolve("boottorrent.jar"), jar)).isEqualTo(-1L);
    assertThat(mode(opt.resolve("boottorrent.jar"))).isEqualTo("rw-r--r--");
    Path launcher = opt.resolve("bin/boottorrent");
    assertThat(mode(launcher)).isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(launcher))
        .contains("jar=${BOOTTORRENT_JAR:-/opt/boottorrent/boottorrent.jar}")
        .doesNotContain("services/cli/target")
        .contains("LD_PRELOAD=$jsig");
    assertThat(Files.mismatch(opt.resolve("docs/DEPLOY.md"), repo.resolve("docs/DEPLOY.md"))).isEqualTo(-1L);
    assertThat(Files.readSymbolicLink(d.resolve("usr/local/bin/boottorrent")))
        .isEqualTo(Path.of("/opt/boottorrent/bin/boottorrent"));
    Path config = d.resolve("etc/boottorrent/boottorrent.yaml");
    assertThat(Files.mismatch(config, repo.resolve("deploy/boottorrent.yaml"))).isEqualTo(-1L);
    assertThat(mode(config)).isEqualTo("rw-r--r--");
    assertThat(d.resolve("etc/boottorrent/boottorrent.yaml.new")).doesNotExist();
    assertThat(mode(d.resolve("var/lib/boottorrent"))).isEqualTo("rwxr-x---");
    assertThat(mode(d.resolve("var/log/boottorrent"))).isEqualTo("rwxr-x---");
    assertThat(mode(d.resolve("srv/boottorrent/import"))).isEqualTo("rwxr-xr-x");
    // where secrets live: the catalog's keys and tokens, TLS material, secrets.env; none world-readable
    assertThat(mode(d.resolve("var/lib/boottorrent/catalog"))).isEqualTo("rwx------");
    assertThat(mode(d.resolve("etc/boottorrent/tls"))).isEqualTo("rwxr-x---");
    Path secrets = d.resolve("etc/boottorrent/secrets.env");
    assertThat(mode(secrets)).isEqualTo("rw-r-----");
    assertThat(Files.readAllLines(secrets)).as("shipped without a value").allMatch(l -> l.isBlank() || l.startsWith("#"));
    assertThat(Files.readString(config)).doesNotContainPattern("(?m)^\\s*secret:");
    for (String u : unitNames()) {
      assertThat(Files.readString(d.resolve("lib/systemd/system").resolve(u))).as(u)
          .contains("\nEnvironmentFile=-/etc/boottorrent/secrets.env\n");
    }
    try (Stream<Path> units = Files.list(d.resolve("lib/systemd/system"))) {
      assertThat(units.map(u -> u.getFileName().toString())).containsExactlyInAnyOrderElementsOf(unitNames());
    }
    for (String u : unitNames()) {
      assertThat(mode(d.resolve("lib/systemd/system").resolve(u))).as(u).isEqualTo("rw-r--r--");
    }
    // DESTDIR: owners are not set here, the sysusers.d and tmpfiles.d files say them for the target
    assertThat(Files.readAllLines(d.resolve("usr/lib/sysusers.d/boottorrent.conf")))
        .contains("u boottorrent - \"BootTorrent services\" /var/lib/boottorrent /usr/sbin/nologin");
    Map<String, String> tmpfiles = Files.readAllLines(d.resolve("usr/lib/tmpfiles.d/boottorrent.conf")).stream()
        .filter(l -> l.startsWith("d ") || l.startsWith("f "))
        .map(l -> l.split("\\s+"))
        .collect(Collectors.toMap(f -> f[1], f -> f[2] + " " + f[3] + ":" + f[4]));
    assertThat(tmpfiles).containsEntry("/var/lib/boottorrent", "0750 boottorrent:boottorrent")
        .containsEntry("/var/lib/boottorrent/catalog", "0700 boottorrent:boottorrent")
        .containsEntry("/etc/boottorrent/tls", "0750 root:boottorrent")
        .containsEntry("/var/log/boottorrent", "0750 boottorrent:boottorrent")
        .containsEntry("/etc/boottorrent", "0755 root:root")
        .containsEntry("/srv/boottorrent/import", "0755 root:root")
        .containsEntry("/etc/boottorrent/secrets.env", "0640 root:boottorrent");
    // the rename-into-place left no temporary files
    try (Stream<Path> all = Files.walk(d)) {
      assertThat(all.map(p -> p.getFileName().toString()))
          .noneMatch(n -> Pattern.matches(".*\\.[A-Za-z0-9]{6}", n) && !n.endsWith(".service"));
    }
  }

  @Test
  void unitsRunTheRightServicesWithTheirPathsHardeningAndPorts(@TempDir Path dir) throws Exception {
    Path d = staged(dir.resolve("stage"));
    ConfigKeys known = new ConfigKeys();
    Map<String, Integer> healthPorts = new LinkedHashMap<>();

    for (String name : List.of(ALL_IN_ONE, SEEDER_2, "boottorrent-catalog.service", "boottorrent-tracker.service",
        "boottorrent-telemetry.service", "boottorrent-dhcp.service", "boottorrent-tftp.service")) {
      UnitFile u = unit(d, name);
      List<String> exec = u.execStart();
      Map<String, String> env = u.environment();
      String stem = name.substring(0, name.lastIndexOf('.'));

      // paths: every one the unit names exists in the staged tree
      assertThat(d.resolve(exec.get(0).substring(1))).as(name + " ExecStart").isExecutable();
      assertThat(exec.get(0)).isEqualTo("/opt/boottorrent/bin/boottorrent");
      assertThat(exec.get(1)).isEqualTo("serve");
      assertThat(d.resolve(after(exec, "--config").substring(1))).as(name + " --config").isRegularFile();
      assertThat(after(exec, "--config")).isEqualTo("/etc/boottorrent/boottorrent.yaml");
      assertThat(d.resolve(env.get("BOOTTORRENT_JAR").substring(1))).as(name + " BOOTTORRENT_JAR").isRegularFile();
      assertThat(u.service("User")).isEqualTo("boottorrent");
      assertThat(u.service("Group")).isEqualTo("boottorrent");
      List<String> state = u.words("Service", "StateDirectory");
      assertThat(state).isNotEmpty().allMatch(s -> s.equals("boottorrent") || s.startsWith("boottorrent/"));
      assertThat(u.service("WorkingDirectory")).isEqualTo("/var/lib/" + state.get(state.size() - 1));
      assertThat(u.service("LogsDirectory")).isEqualTo("boottorrent");
      assertThat(env.get("BOOTTORRENT_JAVA_OPTS"))
          .contains("-XX:ErrorFile=/var/log/boottorrent/hs_err_" + stem + "_%p.log");
      assertThat(u.service("SuccessExitStatus")).isEqualTo("143");
      assertThat(u.service("Restart")).isEqualTo("on-failure");
      // every BOOTTORRENT_* variable is a config key or one bin/boottorrent reads: no typo is ignored
      assertThat(known.unknown(env)).as(name + " environment").isEmpty();

      // hardening that fits a JVM with libtorrent's native code
      assertThat(u.service("NoNewPrivileges")).isEqualTo("yes");
      assertThat(u.service("ProtectSystem")).isEqualTo("strict");
      assertThat(u.service("ProtectHome")).isEqualTo("yes");
      assertThat(u.service("PrivateTmp")).isEqualTo("yes");
      assertThat(u.get("Service", "MemoryDenyWriteExecute")).as(name + ": the JIT needs W+X memory").isEmpty();
      assertThat(u.get("Service", "PrivateUsers")).isEmpty();
      assertThat(u.get("Service", "NoExecPaths")).isEmpty();

      List<String> services = List.of(after(exec, "--services").split(","));
      assertThat(ALL_SERVICES).containsAll(services);
      boolean binds = services.contains("dhcp") || services.contains("tftp");
      assertThat(u.words("Service", "AmbientCapabilities"))
          .isEqualTo(binds ? List.of("CAP_NET_BIND_SERVICE") : List.of());
      assertThat(u.words("Service", "CapabilityBoundingSet"))
          .isEqualTo(binds ? List.of("CAP_NET_BIND_SERVICE") : List.of());

      int health = Integer.parseInt(env.getOrDefault("BOOTTORRENT_HEALTH_PORT", "8090"));
      if (health > 0) {
        healthPorts.put(name, health);
      }
      if (name.equals(ALL_IN_ONE)) {
        assertThat(services).containsExactlyElementsOf(ALL_SERVICES);
        assertThat(exec).doesNotContain("--cluster");
        assertThat(u.words("Unit", "Conflicts")).containsExactlyInAnyOrderElementsOf(
            PER_SERVICE.keySet().stream().map(s -> "boottorrent-" + s + ".service").toList());
      } else if (name.equals(SEEDER_2)) {
        assertThat(services).containsExactly("seeder");
        assertThat(exec).contains("--cluster");
        assertThat(env).containsEntry("BOOTTORRENT_SEEDER_DATADIR", "/var/lib/boottorrent/seeder-2")
            .containsEntry("BOOTTORRENT_SEEDER_LISTENPORT", "0")
            .containsEntry("BOOTTORRENT_SEEDER_ID", hostname.split("\\.")[0] + "-seeder-2");
        assertThat(state).containsExactly("boottorrent/seeder-2");
        assertThat(u.words("Unit", "Conflicts")).isEmpty();
      } else {
        String service = stem.substring("boottorrent-".length());
        assertThat(services).containsExactly(service);
        assertThat(exec).contains("--cluster");
        assertThat(health).isEqualTo(PER_SERVICE.get(service));
        assertThat(u.words("Unit", "Conflicts")).containsExactly(ALL_IN_ONE);
      }
    }
    // all of them fit on one host
    assertThat(new HashSet<>(healthPorts.values())).as(healthPorts.toString()).hasSameSizeAs(healthPorts.values());
  }

  @Test
  void prefixAndUnitDirGoIntoTheUnitsAndTheLauncher(@TempDir Path dir) throws Exception {
    Path d = dir.resolve("stage");

    Result r = install(d, Map.of("PREFIX", "/usr/local/lib/bt"), "--unit-dir", "/etc/systemd/system");

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(d.resolve("usr/local/lib/bt/boottorrent.jar")).isRegularFile();
    assertThat(d.resolve("opt")).doesNotExist();
    assertThat(d.resolve("lib")).doesNotExist();
    assertThat(Files.readString(d.resolve("usr/local/lib/bt/bin/boottorrent")))
        .contains("jar=${BOOTTORRENT_JAR:-/usr/local/lib/bt/boottorrent.jar}");
    assertThat(Files.readSymbolicLink(d.resolve("usr/local/bin/boottorrent")))
        .isEqualTo(Path.of("/usr/local/lib/bt/bin/boottorrent"));
    for (String name : unitNames()) {
      String text = Files.readString(d.resolve("etc/systemd/system").resolve(name));
      assertThat(text).as(name).doesNotContain("/opt/boottorrent")
          .contains("ExecStart=/usr/local/lib/bt/bin/boottorrent serve")
          .contains("BOOTTORRENT_JAR=/usr/local/lib/bt/boottorrent.jar");
    }
  }

  @Test
  void unitsPassSystemdAnalyzeVerifyAndSecurity(@TempDir Path dir) throws Exception {
    Path analyze = Gate.requireCommand("systemd-analyze", "systemd");
    Path d = staged(dir.resolve("stage"));
    // `verify --root=DESTDIR` (systemd 252) also looks for sysinit.target & co. in DESTDIR and fails
    // there; so the units are verified as files against this host's systemd, their PREFIX pointed
    // into DESTDIR (verify checks that ExecStart's program exists and is executable).
    Path copies = Files.createDirectories(dir.resolve("verify"));
    List<String> files = new ArrayList<>();
    for (String name : unitNames()) {
      String text = Files.readString(d.resolve("lib/systemd/system").resolve(name));
      Files.writeString(copies.resolve(name), text.replace("/opt/boottorrent", d + "/opt/boottorrent"));
      files.add(copies.resolve(name).toString());
    }
    files.add(copies.resolve(SEEDER_2).toString()); // an instance of the template in the same folder

    Result verify = verify(analyze, copies, files);

    assertThat(complaints(verify, copies)).as(verify.output()).isEmpty();
    for (String name : unitNames()) {
      // exposure 0..100 (printed /10): ours are 1.5-1.7; dropping hardening would cross 2.5
      Result security = Proc.command(analyze.toString(), "security", "--offline=yes", "--threshold=25",
          copies.resolve(name).toString()).dir(copies).exec(INSTALL);
      assertThat(security.exit()).as(name + ":\n" + security.output()).isZero();
    }

    // ... and the check would catch a broken unit: a typo'd key (verify only warns, exit 0) and a
    // missing program (exit 1)
    Path broken = Files.createDirectories(dir.resolve("broken"));
    String good = Files.readString(copies.resolve(ALL_IN_ONE));
    Files.writeString(broken.resolve("bt-typo.service"), good.replace("ProtectHome=yes", "ProtectHome=yes\nProtectHomee=yes"));
    Files.writeString(broken.resolve("bt-noexec.service"), good.replace(d + "/opt/boottorrent/bin", d + "/opt/missing/bin"));
    Result typo = verify(analyze, broken, List.of(broken.resolve("bt-typo.service").toString()));
    assertThat(complaints(typo, broken)).as(typo.output()).anyMatch(l -> l.contains("ProtectHomee"));
    Result noexec = verify(analyze, broken, List.of(broken.resolve("bt-noexec.service").toString()));
    assertThat(noexec.exit()).as(noexec.output()).isNotZero();
    assertThat(noexec.output()).contains("/opt/missing/bin/boottorrent");
  }

  static Result verify(Path analyze, Path dir, List<String> files) throws Exception {
    List<String> command = new ArrayList<>(List.of(analyze.toString(), "verify"));
    command.addAll(files);
    return Proc.command(command).dir(dir).exec(INSTALL);
  }

  /** What verify said about our units: a non-zero exit, or any line naming one of them. */
  static List<String> complaints(Result verify, Path dir) {
    List<String> lines = new ArrayList<>(verify.output().lines()
        .filter(l -> l.contains(dir.toString()) || l.contains("boottorrent") || l.contains("bt-")).toList());
    if (verify.exit() != 0) {
      lines.add("exit " + verify.exit());
    }
    return lines;
  }

  @Test
  void upgradeKeepsConfigDataAndLogsWritesDotNewAndUninstallKeepsThemToo(@TempDir Path dir) throws Exception {
    Path d = staged(dir.resolve("stage"));
    Path config = d.resolve("etc/boottorrent/boottorrent.yaml");
    Path shipped = repo.resolve("deploy/boottorrent.yaml");
    String mine = Files.readString(config).replace("publicHost: 10.0.0.1", "publicHost: 192.168.7.1");
    Files.writeString(config, mine);
    Path data = Files.writeString(Files.createDirectories(d.resolve("var/lib/boottorrent/catalog")).resolve("images.json"), "{}");
    Path log = Files.writeString(d.resolve("var/log/boottorrent/hs_err_old.log"), "old crash");
    Files.writeString(d.resolve("opt/boottorrent/boottorrent.jar"), "PK\3\4 an older build");
    Files.writeString(d.resolve("lib/systemd/system/boottorrent.service"), "[Unit]\n");
    Path byHand = Files.writeString(Files.createDirectories(d.resolve("etc/systemd/system")).resolve(ALL_IN_ONE), "[Unit]\n");

    // WHEN upgraded (found by the installed jar, no flag needed)
    Result upgrade = install(d);

    assertThat(upgrade.exit()).as(upgrade.output()).isZero();
    assertThat(upgrade.output())
        .contains("kept " + config + " (yours); the shipped version is in " + config + ".new")
        .contains("upgraded BootTorrent in " + d + "/opt/boottorrent; config, data and logs kept")
        .contains("warning: " + byHand + " overrides the installed " + d + "/lib/systemd/system/" + ALL_IN_ONE);
    assertThat(config).hasContent(mine);
    assertThat(Files.mismatch(d.resolve("etc/boottorrent/boottorrent.yaml.new"), shipped)).isEqualTo(-1L);
    assertThat(data).hasContent("{}");
    assertThat(log).hasContent("old crash");
    assertThat(Files.mismatch(d.resolve("opt/boottorrent/boottorrent.jar"), jar)).isEqualTo(-1L);
    assertThat(Files.mismatch(d.resolve("lib/systemd/system/boottorrent.service"),
        repo.resolve("deploy/systemd/boottorrent.service"))).isEqualTo(-1L);

    // --upgrade says the same; a config equal to the shipped one drops the stale .new
    Result again = install(d, "--upgrade");
    assertThat(again.exit()).as(again.output()).isZero();
    assertThat(config).hasContent(mine);
    Files.copy(shipped, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Result same = install(d, "--upgrade");
    assertThat(same.output()).contains("kept " + config + " (same as the shipped one)");
    assertThat(d.resolve("etc/boottorrent/boottorrent.yaml.new")).doesNotExist();

    // WHEN uninstalled: the program goes, config, data and logs stay
    Result uninstall = install(d, "--uninstall");

    assertThat(uninstall.exit()).as(uninstall.output()).isZero();
    assertThat(uninstall.output()).contains("kept " + d + "/etc/boottorrent");
    assertThat(d.resolve("opt/boottorrent")).doesNotExist();
    assertThat(d.resolve("usr/local/bin/boottorrent")).doesNotExist();
    assertThat(d.resolve("usr/lib/sysusers.d/boottorrent.conf")).doesNotExist();
    assertThat(d.resolve("usr/lib/tmpfiles.d/boottorrent.conf")).doesNotExist();
    try (Stream<Path> units = Files.list(d.resolve("lib/systemd/system"))) {
      assertThat(units).isEmpty();
    }
    assertThat(config).exists();
    assertThat(data).exists();
    assertThat(log).exists();
  }

  @Test
  void badInputsFailWithAMessageNamingThem(@TempDir Path dir) throws Exception {
    Path d = dir.resolve("stage");
    Result help = install(null, "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.output()).contains("Usage: deploy/install.sh").contains("--upgrade").contains("--uninstall")
        .contains("DESTDIR").contains("PREFIX");

    assertFails(install(d, "--jar", dir + "/nope.jar"), "error: no jar at " + dir + "/nope.jar: run 'make build' first");
    Path notJar = Files.writeString(dir.resolve("text.jar"), "not a zip");
    assertFails(install(d, "--jar", notJar.toString()), notJar + " is not a jar (zip) file");
    assertFails(install(d, Map.of("PREFIX", "opt/boottorrent")), "PREFIX 'opt/boottorrent' must be an absolute path");
    assertFails(install(d, "--prefix", "/opt/boot torrent"), "PREFIX '/opt/boot torrent' must be an absolute path");
    assertFails(install(d, "--prefix", "/opt/../etc"), "PREFIX '/opt/../etc' must be an absolute path");
    assertFails(install(d, "--unit-dir", "/etc/systemd/system/"), "UNITDIR '/etc/systemd/system/' must be");
    assertFails(install(d, "--frobnicate"), "unknown argument '--frobnicate' (see --help)");
    assertFails(install(d, "--jar"), "--jar needs a value");
    assertFails(install(d, "--upgrade"), "--upgrade: nothing installed at " + d + "/opt/boottorrent");
    assertThat(d).doesNotExist(); // nothing half-done

    // not root and no DESTDIR: refused before anything is touched
    Result notRoot;
    if (!Gate.isRoot()) {
      notRoot = install(null);
    } else {
      Path setpriv = Gate.requireCommand("setpriv", "util-linux");
      // as nobody, from a copy nobody can read (the checkout may be in root's home)
      Path open = Files.createTempDirectory("bt-install-");
      try {
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path copy = Files.copy(script, open.resolve("install.sh"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        notRoot = Proc.command(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups", "bash",
            copy.toString()).env("DESTDIR", null).env("PREFIX", null).dir(Path.of("/")).exec(INSTALL);
      } finally {
        Files.deleteIfExists(open.resolve("install.sh"));
        Files.deleteIfExists(open);
      }
    }
    assertFails(notRoot, "error: installing into / needs root: run 'sudo ");
  }

  static void assertFails(Result r, String message) {
    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(r.output()).contains(message);
  }

  static String after(List<String> words, String option) {
    int i = words.indexOf(option);
    assertThat(i).as(option + " in " + words).isNotNegative().isLessThan(words.size() - 1);
    return words.get(i + 1);
  }

  /**
   * Proof the unit's command line is real: boottorrent.service's ExecStart and Environment, as
   * installed, run with systemd's PATH in its WorkingDirectory — its absolute paths mapped into
   * DESTDIR, every port moved to a free one on 127.0.0.1 — answers /readiness with all six services,
   * and a SIGTERM (systemctl stop) ends it with an exit status the unit counts as success.
   */
  @Test
  void allInOneUnitCommandLineStartsAndAnswersReadiness(@TempDir Path dir) throws Exception {
    Path d = staged(dir.resolve("stage"));
    UnitFile u = unit(d, ALL_IN_ONE);
    int health = Ports.freeTcp();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + SYSTEMD_PATH);
    u.environment().forEach((k, v) -> env.put(k, mapped(d, v)));
    // the operator's config names /var/lib/boottorrent and the host's addresses; the test moves them
    env.put("BOOTTORRENT_DATADIR", d + "/var/lib/boottorrent");
    env.put("BOOTTORRENT_PUBLICHOST", "127.0.0.1");
    env.put("BOOTTORRENT_HEALTH_HOST", "127.0.0.1");
    env.put("BOOTTORRENT_HEALTH_PORT", Integer.toString(health));
    for (String section : List.of("catalog", "tracker", "telemetry")) {
      env.put("BOOTTORRENT_" + section.toUpperCase() + "_HOST", "127.0.0.1");
      env.put("BOOTTORRENT_" + section.toUpperCase() + "_HTTPPORT", Integer.toString(Ports.freeTcp()));
    }
    env.put("BOOTTORRENT_SEEDER_LISTENHOST", "127.0.0.1");
    env.put("BOOTTORRENT_SEEDER_LISTENPORT", "0");
    env.put("BOOTTORRENT_DHCP_BINDHOST", "127.0.0.1");
    env.put("BOOTTORRENT_DHCP_PORT", Integer.toString(freeUdp()));
    env.put("BOOTTORRENT_DHCP_PROXYPORT", Integer.toString(freeUdp()));
    env.put("BOOTTORRENT_TFTP_BINDHOST", "127.0.0.1");
    env.put("BOOTTORRENT_TFTP_PORT", Integer.toString(freeUdp()));
    List<String> command = new ArrayList<>(List.of("env", "-i", "-C", mapped(d, u.service("WorkingDirectory"))));
    env.forEach((k, v) -> command.add(k + "=" + v));
    u.execStart().forEach(w -> command.add(mapped(d, w)));

    try (Running service = Proc.command(command).name(ALL_IN_ONE).log(logs.resolve("all-in-one.log")).start()) {
      service.await("BootTorrent running: " + String.join(", ", ALL_SERVICES), START, "error:", "Exception in thread");
      HttpResponse<String> ready = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health + "/readiness")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      assertThat(ready.body()).contains("\"status\":\"UP\"");
      ALL_SERVICES.forEach(s -> assertThat(ready.body()).contains("\"" + s + "\""));
      assertThat(d.resolve("var/lib/boottorrent/catalog")).isDirectory();

      service.stop(Proc.GRACE);
      int exit = service.process().exitValue();
      assertThat(List.of(0, Integer.parseInt(u.service("SuccessExitStatus")))).as(service.tail(20)).contains(exit);
    }
  }

  /** An absolute path (or a word containing one) of the installed system, inside {@code destdir}. */
  static String mapped(Path destdir, String word) {
    String out = word;
    for (String root : List.of("/opt/boottorrent", "/etc/boottorrent", "/var/lib/boottorrent", "/var/log/boottorrent")) {
      out = out.replaceAll("(^|[=:\\s])" + Pattern.quote(root), "$1" + Matcher.quoteReplacement(destdir + root));
    }
    return out;
  }

  static int freeUdp() throws IOException {
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The config keys and the variables bin/boottorrent reads: what a unit's BOOTTORRENT_* may name. */
  static final class ConfigKeys {
    private final io.vertx.core.json.JsonObject defaults = BtConfig.load(null, Map.of());

    List<String> unknown(Map<String, String> env) {
      return EnvOverrides.unknown(defaults, env);
    }
  }

  /**
   * The real thing, as far as it goes without systemd as PID 1: deploy/install.sh as root into a
   * throwaway overlay of {@code /} (private mount namespace: the host's / is never written), which
   * creates the user and owns the directories; then the installed units' command lines, built from
   * the unit files (User, Group, WorkingDirectory, UMask, Environment, capability sets,
   * NoNewPrivileges; StateDirectory/LogsDirectory created as systemd does; ProtectSystem=strict,
   * PrivateTmp and ProtectHome emulated with read-only and tmpfs mounts), run chrooted in it with
   * setpriv in a private network namespace, on the units' real ports: the all-in-one (DHCP 67,
   * TFTP 69 as user boottorrent) answers /readiness; the catalog unit and boottorrent-seeder@2
   * cluster and the seeder fills its own data dir; an upgrade keeps config and data and, with a
   * fake systemctl as if systemd ran, reloads it and restarts the running units; uninstall disables
   * them. Not covered: the other sandboxing options (syscall filter, Protect*Kernel*, …), which only
   * systemd applies.
   */
  @Test
  void rootInstallIntoAnOverlayRunsTheUnitsAsTheServiceUser(@TempDir Path dir) throws Exception {
    Gate.requireRoot("installs into an overlay of / and runs units as user boottorrent in namespaces");
    Path unshare = Gate.requireCommand("unshare", "util-linux");
    Gate.requireCommand("setpriv", "util-linux");
    Gate.requireCommand("chroot", "coreutils");
    Path ip = Gate.requireCommand("ip", "iproute2");
    Path d = staged(dir.resolve("stage")); // the same units the overlay install writes
    Path scratch = Files.createDirectories(dir.resolve("overlay"));
    Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
    String cluster = "catalog";

    StringBuilder sh = new StringBuilder();
    sh.append("set -euo pipefail\n")
        // a failed step must not leave a service running in the namespaces
        .append("trap 'for p in $(jobs -p); do kill -TERM \"$p\" 2>/dev/null || true; done' EXIT\n")
        .append("S=").append(q(scratch.toString())).append("; M=$S/m; repo=").append(q(repo.toString())).append("\n")
        .append("mount -t tmpfs tmpfs \"$S\"; mkdir \"$S/u\" \"$S/w\" \"$M\"\n")
        .append("mount -t overlay overlay -o \"lowerdir=/,upperdir=$S/u,workdir=$S/w\" \"$M\" || { echo OVERLAY-UNAVAILABLE; exit 77; }\n")
        .append("for d in /proc /dev /sys; do mount --rbind \"$d\" \"$M$d\"; done\n")
        // an empty /run: no systemd (and never the host's) until the test fakes one
        .append("mount -t tmpfs tmpfs \"$M/run\"\n")
        .append("for d in \"$repo\" ").append(q(javaHome.toString())).append("; do mkdir -p \"$M$d\"; mount --bind \"$d\" \"$M$d\"; done\n")
        .append(q(ip.toString())).append(" link set lo up\n")
        .append("inside() { chroot \"$M\" env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \"$@\"; }\n")
        .append("""
            ready() { # port seconds pid: GET /readiness until UP, while pid runs
              local out i
              for i in $(seq "$2"); do
                kill -0 "$3" 2>/dev/null || { echo "DIED before ready on $1"; return 1; }
                out=$(exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /readiness HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3) || true
                # the status line: the body names each check's own status, UP ones too
                if [[ $out == 'HTTP/1.'?' 200 '* ]]; then echo "READY $1 ${out##*$'\\r\\n\\r\\n'}"; return 0; fi
                sleep 1
              done
              echo "NOT-READY $1"; return 1
            }
            logged() { # file pattern seconds pid
              local i
              for i in $(seq "$3"); do kill -0 "$4" 2>/dev/null || { echo "DIED before logging $2"; return 1; }; grep -q -- "$2" "$1" && { echo "LOGGED $2"; return 0; }; sleep 1; done
              echo "NOT-LOGGED $2"; return 1
            }
            stop() { # pid name
              kill -TERM "$1"; local rc=0; wait "$1" || rc=$?; echo "EXIT $2 $rc"
            }
            show() { echo "== $1"; tail -n 40 "$S/$1.log"; }
            # sandboxed M tmp home n rw-dir... command...: in a mount namespace of its own, the overlay
            # read-only but for the n rw dirs (ProtectSystem=strict with StateDirectory/LogsDirectory/
            # ReadWritePaths), a private /tmp and /var/tmp (PrivateTmp), /home and /root inaccessible
            # (ProtectHome), then command chrooted into it
            sandboxed() {
              exec unshare --mount --propagation private bash -c '
                M=$1 tmp=$2 home=$3 n=$4; shift 4
                mount --rbind "$M" "$M" && mount -o remount,bind,ro "$M" || exit 70
                for ((i = 0; i < n; i++)); do
                  mount --bind "$M$1" "$M$1" && mount -o remount,bind,rw "$M$1" || exit 71; shift
                done
                if [ "$tmp" = yes ]; then
                  for t in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$M$t" || exit 72; done
                fi
                if [ "$home" = yes ]; then
                  for h in /home /root; do [ ! -d "$M$h" ] || mount -t tmpfs -o mode=000 tmpfs "$M$h" || exit 73; done
                fi
                exec chroot "$M" "$@"' sandbox "$@"
            }
            owners() { inside stat -c '%U:%G %a %n' /var/lib/boottorrent /var/log/boottorrent /etc/boottorrent/boottorrent.yaml \\
              /opt/boottorrent/boottorrent.jar /opt/boottorrent/bin/boottorrent /srv/boottorrent/import \\
              /var/lib/boottorrent/catalog /etc/boottorrent/tls /etc/boottorrent/secrets.env; }
            # what the catalog wrote at its first start, as the service user
            secrets() { inside stat -c 'SECRET %U:%G %a %n' /var/lib/boottorrent/catalog/keys.pb \\
              /var/lib/boottorrent/catalog/tokens.pb /var/lib/boottorrent/catalog/admin.token; }
            """)
        .append("echo '== install'; inside \"$repo/deploy/install.sh\"\n")
        .append("echo \"USER $(inside getent passwd boottorrent)\"; owners\n");
    for (String name : List.of(ALL_IN_ONE, "boottorrent-" + cluster + ".service", SEEDER_2)) {
      sh.append(startFunction(unit(d, name)));
    }
    sh.append("""
        start_boottorrent; pid=$!
        ready 8090 120 $pid || { show boottorrent; exit 1; }
        stop $pid boottorrent.service
        show boottorrent
        secrets
        inside sed -i 's/10\\.0\\.0\\.1/127.0.0.1/g' /etc/boottorrent/boottorrent.yaml
        start_boottorrent_catalog; cpid=$!
        ready 8091 120 $cpid || { show boottorrent-catalog; exit 1; }
        start_boottorrent_seeder_2; spid=$!
        logged "$S/boottorrent-seeder@2.log" 'catalog lists 0 image(s)' 120 $spid || { show boottorrent-seeder@2; exit 1; }
        inside test -d /var/lib/boottorrent/seeder-2/payload && echo SEEDER-OWN-DATADIR
        stop $spid boottorrent-seeder@2.service; stop $cpid boottorrent-catalog.service
        show boottorrent-seeder@2
        echo '# mine' | inside tee -a /etc/boottorrent/boottorrent.yaml >/dev/null
        # from here systemd "runs": a systemctl that logs its calls and lists two units as running
        mkdir -p "$M/run/systemd/system" "$M/etc/systemd/system/multi-user.target.wants"
        cat >"$M/usr/local/sbin/systemctl" <<'FAKE'
        #!/bin/sh
        echo "systemctl $*" >>/run/systemctl.calls
        if [ "$1" = list-units ]; then
          printf '%s\\n' 'boottorrent.service loaded active running BootTorrent' \\
            'boottorrent-seeder@2.service loaded active running BootTorrent extra seeder 2'
        fi
        FAKE
        chmod 755 "$M/usr/local/sbin/systemctl"
        ln -s /lib/systemd/system/boottorrent-seeder@.service "$M/etc/systemd/system/multi-user.target.wants/boottorrent-seeder@3.service"
        echo '== upgrade'; inside "$repo/deploy/install.sh" --upgrade
        inside grep -q '^# mine' /etc/boottorrent/boottorrent.yaml && echo KEPT-CONFIG
        inside test -f /etc/boottorrent/boottorrent.yaml.new && echo WROTE-NEW
        inside test -d /var/lib/boottorrent/catalog && echo KEPT-DATA
        owners
        echo '== uninstall'; inside "$repo/deploy/install.sh" --uninstall
        inside test ! -e /opt/boottorrent/boottorrent.jar && echo REMOVED
        inside getent passwd boottorrent >/dev/null && echo USER-KEPT
        echo '== systemctl calls'; cat "$M/run/systemctl.calls"
        """);
    Path file = Files.writeString(dir.resolve("overlay.sh"), sh);

    Result r = Proc.command(unshare.toString(), "--mount", "--net", "--propagation", "private", "bash", file.toString())
        .log(logs.resolve("overlay.log")).exec(Duration.ofMinutes(8));

    Gate.require(!r.output().contains("OVERLAY-UNAVAILABLE"), "cannot mount an overlay over / here:\n" + r.output());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("created system user boottorrent")
        .containsPattern("USER boottorrent:x:\\d+:\\d+:BootTorrent services:/var/lib/boottorrent:/usr/sbin/nologin")
        .contains("boottorrent:boottorrent 750 /var/lib/boottorrent")
        .contains("boottorrent:boottorrent 750 /var/log/boottorrent")
        .contains("root:root 644 /etc/boottorrent/boottorrent.yaml")
        .contains("root:root 644 /opt/boottorrent/boottorrent.jar")
        .contains("root:root 755 /opt/boottorrent/bin/boottorrent")
        .contains("boottorrent:boottorrent 700 /var/lib/boottorrent/catalog")
        .contains("root:boottorrent 750 /etc/boottorrent/tls")
        .contains("root:boottorrent 640 /etc/boottorrent/secrets.env")
        .contains("SECRET boottorrent:boottorrent 600 /var/lib/boottorrent/catalog/keys.pb")
        .contains("SECRET boottorrent:boottorrent 600 /var/lib/boottorrent/catalog/tokens.pb")
        .contains("SECRET boottorrent:boottorrent 600 /var/lib/boottorrent/catalog/admin.token")
        .contains("systemd is not running here: no daemon-reload, nothing restarted")
        .containsPattern("READY 8090 .*\"ready\":\\[\"catalog\",\"dhcp\",\"seeder\",\"telemetry\",\"tftp\",\"tracker\"\\]")
        .contains("dhcp (proxy mode) on 0.0.0.0:67 and :4011")
        .contains("tftp listening on 0.0.0.0:69")
        .contains("EXIT boottorrent.service 143")
        .contains("READY 8091")
        .contains("LOGGED catalog lists 0 image(s)")
        .contains("SEEDER-OWN-DATADIR")
        .containsPattern("seeder \\S+-seeder-2 on port \\d+, payload /var/lib/boottorrent/seeder-2/payload \\(own data dir\\)")
        .contains("KEPT-CONFIG").contains("WROTE-NEW").contains("KEPT-DATA")
        .contains("upgraded BootTorrent in /opt/boottorrent; config, data and logs kept")
        .contains("REMOVED").contains("USER-KEPT")
        .contains("restarted: boottorrent.service boottorrent-seeder@2.service")
        .contains("stopped and disabled: boottorrent-seeder@2.service boottorrent-seeder@3.service boottorrent.service");
    String calls = r.output().substring(r.output().indexOf("== systemctl calls"));
    assertThat(calls.lines().map(l -> l.replaceFirst("^\\s*[0-9.]+ ", "")).filter(l -> l.startsWith("systemctl "))
        .filter(l -> !l.startsWith("systemctl list-units")).toList()).containsExactly(
        "systemctl daemon-reload",
        "systemctl restart boottorrent.service boottorrent-seeder@2.service",
        "systemctl disable --now boottorrent-seeder@2.service boottorrent-seeder@3.service boottorrent.service",
        "systemctl daemon-reload");
  }

  /**
   * A bash function {@code start_<unit>} that starts {@code u}'s ExecStart in the background (its
   * output to {@code $S/<unit>.log}) the way systemd would, as far as the unit's settings go.
   */
  static String startFunction(UnitFile u) {
    String stem = u.name().substring(0, u.name().lastIndexOf('.'));
    String user = u.service("User");
    String group = u.service("Group");
    StringBuilder f = new StringBuilder("start_" + stem.replaceAll("[^A-Za-z0-9]", "_") + "() {\n");
    for (String state : u.words("Service", "StateDirectory")) {
      f.append("  inside install -d -o ").append(user).append(" -g ").append(group).append(" -m ")
          .append(u.get("Service", "StateDirectoryMode").orElse("0755")).append(" /var/lib/").append(q(state)).append("\n");
    }
    for (String logs : u.words("Service", "LogsDirectory")) {
      f.append("  inside install -d -o ").append(user).append(" -g ").append(group).append(" -m ")
          .append(u.get("Service", "LogsDirectoryMode").orElse("0755")).append(" /var/log/").append(q(logs)).append("\n");
    }
    String caps = String.join("", u.words("Service", "CapabilityBoundingSet").stream()
        .map(c -> ",+" + c.toLowerCase().replaceFirst("^cap_", "")).toList());
    String ambient = String.join("", u.words("Service", "AmbientCapabilities").stream()
        .map(c -> ",+" + c.toLowerCase().replaceFirst("^cap_", "")).toList());
    List<String> writable = new ArrayList<>();
    u.words("Service", "StateDirectory").forEach(d -> writable.add("/var/lib/" + d));
    u.words("Service", "LogsDirectory").forEach(d -> writable.add("/var/log/" + d));
    writable.addAll(u.words("Service", "ReadWritePaths"));
    assertThat(u.service("ProtectSystem")).as(u.name()).isEqualTo("strict"); // what sandboxed emulates
    List<String> command = new ArrayList<>(List.of("sandboxed", "$M", u.service("PrivateTmp"), u.service("ProtectHome"),
        Integer.toString(writable.size())));
    command.addAll(writable);
    command.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + group, "--init-groups"));
    if ("yes".equals(u.get("Service", "NoNewPrivileges").orElse("no"))) {
      command.add("--no-new-privs");
    }
    command.addAll(List.of("--inh-caps=-all" + ambient, "--ambient-caps=-all" + ambient, "--bounding-set=-all" + caps,
        "env", "-i", "-C", u.service("WorkingDirectory"),
        "PATH=" + Path.of(System.getProperty("java.home"), "bin") + ":" + SYSTEMD_PATH));
    u.environment().forEach((k, v) -> command.add(k + "=" + v));
    command.addAll(u.execStart());
    f.append("  (umask ").append(u.get("Service", "UMask").orElse("0022")).append("; ")
        .append(command.stream().map(w -> w.equals("$M") ? "\"$M\"" : w.equals("sandboxed") ? w : q(w))
            .collect(Collectors.joining(" ")))
        .append(") >\"$S/").append(stem).append(".log\" 2>&1 &\n}\n");
    return f.toString();
  }

  /** Single-quoted for bash. */
  static String q(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
