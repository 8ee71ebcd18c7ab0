package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static io.boottorrent.it.PxeLab.require;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the client image that {@code make client-image} built (client-image/out/vmlinuz + initrd)
 * in QEMU (TCG) and follows its serial console from the kernel to the launched image: the kernel
 * boots, udhcpc gets a lease from our DHCP service, the agent shows its menu, downloads the exec
 * image from our seeder, verifies it and runs it, and the image prints its marker.
 *
 * <p>Root only. Everything lives in a network namespace this test creates: a bridge
 * 10.213.80.1/24, the VM's tap device on it, and our services (catalog, tracker, seeder, DHCP) in a
 * child JVM. Namespace, processes and files are removed afterwards, whatever happened. The serial
 * log and the services' log stay in target/client-image-boot/.
 */
class ClientImageBootTest {
  static final String SERVER = "10.213.80.1";
  static final String MAC = "52:54:00:00:80:01";
  static final String CATALOG = "http://" + SERVER + ":8080";

  @TempDir Path dir;

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void vmBootsTheClientImageAndLaunchesTheDefaultImageFromTheSwarm() throws Exception {
    Path repo = repoRoot();
    Path out = repo.resolve("client-image/out");
    require(Files.isRegularFile(out.resolve("vmlinuz")) && Files.isRegularFile(out.resolve("initrd")),
        "client image not built: run `make client-image` (Debian packages: busybox-static kexec-tools cpio zstd "
            + "kmod openjdk-17-jdk-headless); `make test` does it as root");
    require(isRoot(), "not root: the VM's tap device and the services live in a network namespace");
    require(executable("qemu-system-x86_64") && executable("ip"),
        "qemu-system-x86_64 or ip missing (apt-get install qemu-system-x86 iproute2)");

    Path logs = Files.createDirectories(Path.of("target/client-image-boot").toAbsolutePath());
    try (Lab lab = new Lab()) {
      // GIVEN our services in the namespace, with an exec image whose program prints a unique marker
      String[] marker = {"client-image-marker", UUID.randomUUID().toString()};
      Path binary = Files.createDirectories(dir.resolve("data/import")).resolve("marker.sh");
      // printf joins the two halves: the marker as a whole appears only if the script ran
      Files.writeString(binary, "#!/bin/sh\nprintf '%s-%s\\n' '" + marker[0] + "' '" + marker[1] + "'\n");
      Path config = dir.resolve("boottorrent.yaml");
      Files.writeString(config, servicesConfig(dir.resolve("data"), out).encodePrettily());
      Started services = lab.start(logs.resolve("services.log"), lab.java("io.boottorrent.cli.Main", "serve",
          "--services", "catalog,tracker,seeder,dhcp", "--config", config.toString()));
      services.await("BootTorrent running", Duration.ofSeconds(90));
      Result added = lab.run(Duration.ofSeconds(90), lab.java("io.boottorrent.cli.Main", "image", "add",
          "--name", "marker", "--kind", "exec", "--binary", binary.toString(), "--catalog", CATALOG));
      assertThat(added.exit()).as("image add: %s", added.output()).isZero();

      // WHEN a VM boots the client image with the command line the catalog's iPXE script writes
      Started serial = lab.boot(out, logs.resolve("serial.log"), "initrd=initrd boottorrent.catalog=" + CATALOG
          + " boottorrent.mac=" + MAC + " console=tty0 console=ttyS0,115200");

      // THEN the serial console shows every stage, in order, and the marker of the launched image
      Map<String, Double> at = new LinkedHashMap<>();
      at.put("kernel", serial.await("Linux version", Duration.ofMinutes(2)));
      at.put("/init", serial.await("boottorrent-init \\[[0-9.]+\\] BootTorrent client image", Duration.ofMinutes(2)));
      at.put("DHCP lease", serial.await("udhcpc: lease of 10\\.213\\.80\\.\\d+ obtained from " + Pattern.quote(SERVER),
          Duration.ofMinutes(2)));
      at.put("agent start", serial.await("starting the agent for " + MAC, Duration.ofMinutes(1)));
      at.put("agent up", serial.await("\\] agent \\S+ for " + MAC + ", catalog " + Pattern.quote(CATALOG),
          Duration.ofMinutes(3)));
      at.put("menu", serial.await("BootTorrent — choose what to boot", Duration.ofMinutes(2)));
      at.put("downloaded", serial.await("marker downloaded: .* from [1-9]\\d* peers", Duration.ofMinutes(3)));
      at.put("verified", serial.await("marker verified: SHA-256 of 1 file\\(s\\) match", Duration.ofMinutes(1)));
      at.put("launch", serial.await("launching exec: /run/boottorrent/work/marker/marker.sh", Duration.ofMinutes(2)));
      at.put("marker", serial.await(Pattern.quote(marker[0] + "-" + marker[1]), Duration.ofMinutes(1)));
      StringBuilder timing = new StringBuilder("client image boot (QEMU TCG), seconds since VM start:");
      at.forEach((stage, seconds) -> timing.append(String.format(" %s %.1f,", stage, seconds)));
      System.out.println(timing.substring(0, timing.length() - 1));
      assertThat(serial.text()).as("the init never gave up").doesNotContain("FAILED:");

      // AND the catalog heard every stage from this machine, the bytes coming from a peer (our seeder)
      JsonArray events = new JsonObject(lab.run(Duration.ofSeconds(60), lab.java(HttpGet.class.getName(),
          CATALOG + "/api/v1/events?mac=" + MAC + "&limit=200")).output().trim()).getJsonArray("events");
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

  static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  static boolean executable(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  record Result(int exit, String output) {}

  /** A process whose output goes to a log file and is searchable while it runs. */
  static class Started {
    final Process process;
    final long startNanos = System.nanoTime();
    private final StringBuilder text = new StringBuilder();
    private final List<double[]> lineStarts = new ArrayList<>(); // {offset in text, seconds}

    Started(Process process, Path log) {
      this.process = process;
      Thread reader = new Thread(() -> copy(process.getInputStream(), log), "client-image-test-output");
      reader.setDaemon(true);
      reader.start();
    }

    private void copy(InputStream in, Path log) {
      try (in; OutputStream file = Files.newOutputStream(log)) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
          if (b == '\n') {
            String clean = line.toString(StandardCharsets.UTF_8)
                .replaceAll("\u001B\\[[0-9;?]*[A-Za-z]|\u001Bc|\r", "");
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            String stamped = String.format("%8.2f| %s%n", seconds, clean);
            file.write(stamped.getBytes(StandardCharsets.UTF_8));
            file.flush();
            synchronized (this) {
              lineStarts.add(new double[] {text.length(), seconds});
              text.append(clean).append('\n');
              notifyAll();
            }
            line.reset();
          } else {
            line.write(b);
          }
        }
      } catch (IOException e) {
        // the process ended
      } finally {
        synchronized (this) {
          notifyAll();
        }
      }
    }

    synchronized String text() {
      return text.toString();
    }

    /**
     * Seconds (since this process started) at which a line matching {@code regex} appeared; fails
     * on timeout, when the process ends first, or when the client image's init gave up.
     */
    synchronized double await(String regex, Duration timeout) throws InterruptedException {
      Pattern pattern = Pattern.compile(regex);
      long deadline = System.nanoTime() + timeout.toNanos();
      int checked = 0;
      while (true) {
        for (; checked < lineStarts.size(); checked++) {
          int from = (int) lineStarts.get(checked)[0];
          int to = checked + 1 < lineStarts.size() ? (int) lineStarts.get(checked + 1)[0] : text.length();
          String line = text.substring(from, to);
          if (pattern.matcher(line).find()) {
            return lineStarts.get(checked)[1];
          }
          if (line.contains("boottorrent-init [") && line.contains("FAILED:")) {
            throw new AssertionError("the client image gave up while waiting for '" + regex + "': " + line.trim()
                + "\n--- output ---\n" + text);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && checked == lineStarts.size())) {
          throw new AssertionError("no line matching '" + regex + "' within " + timeout.toSeconds() + " s"
              + (process.isAlive() ? "" : " (process exited " + process.exitValue() + ")")
              + "\n--- output ---\n" + text);
        }
        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 500)));
      }
    }
  }

  /**
   * A network namespace with a bridge (10.213.80.1/24) and a tap device for the VM; the processes
   * started in it; all of it removed by {@link #close}. Nothing outside the namespace is touched.
   */
  static final class Lab implements AutoCloseable {
    final String ns = "btci-" + Long.toHexString(ProcessHandle.current().pid())
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
    private final List<Process> processes = new ArrayList<>();

    Lab() throws IOException, InterruptedException {
      try {
        sh("ip", "netns", "add", ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        sh("ip", "-n", ns, "link", "add", "br0", "type", "bridge", "forward_delay", "0");
        sh("ip", "-n", ns, "addr", "add", SERVER + "/24", "brd", "+", "dev", "br0");
        sh("ip", "-n", ns, "link", "set", "br0", "up");
        sh("ip", "-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap");
        sh("ip", "-n", ns, "link", "set", "tap0", "master", "br0");
        sh("ip", "-n", ns, "link", "set", "tap0", "up");
        // The DHCP server binds 0.0.0.0: its limited broadcasts follow this route onto the bridge.
        sh("ip", "-n", ns, "route", "add", "255.255.255.255/32", "dev", "br0");
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    /** A JVM on this test's classpath (our services, the CLI), with libjsig like bin/boottorrent. */
    List<String> java(String mainClass, String... args) {
      String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx512m", "-XX:+UseSerialGC", "-Dfile.encoding=UTF-8", "-cp", classpath, mainClass));
      command.addAll(List.of(args));
      return command;
    }

    private ProcessBuilder inNs(List<String> command, boolean jvm) {
      List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      full.addAll(command);
      ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
      if (jvm) {
        builder.environment().put("LD_PRELOAD", Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString());
      } else {
        builder.environment().remove("LD_PRELOAD");
      }
      return builder;
    }

    Started start(Path log, List<String> command) throws IOException {
      Process p = inNs(command, true).start();
      processes.add(p);
      return new Started(p, log);
    }

    Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
      return exec(inNs(command, true), timeout);
    }

    /** QEMU (TCG, 1 GiB) booting vmlinuz + initrd with its virtio NIC on the bridge, serial on stdio. */
    Started boot(Path out, Path log, String append) throws IOException {
      Process p = inNs(List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-nographic", "-no-reboot",
          "-kernel", out.resolve("vmlinuz").toString(), "-initrd", out.resolve("initrd").toString(),
          "-append", append,
          "-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no",
          "-device", "virtio-net-pci,netdev=net0,mac=" + MAC), false).start();
      processes.add(p);
      return new Started(p, log);
    }

    @Override
    public void close() {
      for (int i = processes.size() - 1; i >= 0; i--) {
        Process p = processes.get(i);
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy(); // the services JVM closes Vert.x on SIGTERM
        try {
          if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
      try {
        // anything still in the namespace is ended by its pid
        for (String pid : exec(new ProcessBuilder("ip", "netns", "pids", ns).redirectErrorStream(true),
            Duration.ofSeconds(10)).output().trim().split("\\s+")) {
          if (pid.matches("\\d+")) {
            exec(new ProcessBuilder("kill", "-KILL", pid), Duration.ofSeconds(5));
          }
        }
        exec(new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true), Duration.ofSeconds(10));
      } catch (IOException | InterruptedException e) {
        System.err.println("could not delete namespace " + ns + ": " + e.getMessage());
      }
    }

    private static void sh(String... command) throws IOException, InterruptedException {
      Result r = exec(new ProcessBuilder(command).redirectErrorStream(true), Duration.ofSeconds(30));
      if (r.exit() != 0) {
        throw new IOException(String.join(" ", command) + " exited " + r.exit() + ": " + r.output());
      }
    }

    private static Result exec(ProcessBuilder builder, Duration timeout) throws IOException, InterruptedException {
      Process p = builder.start();
      p.getOutputStream().close();
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      Thread reader = new Thread(() -> {
        try (InputStream in = p.getInputStream()) {
          in.transferTo(output);
        } catch (IOException ignored) {
          // process ended
        }
      });
      reader.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IOException(String.join(" ", builder.command()) + " did not finish in " + timeout.toSeconds() + " s");
      }
      reader.join(5000);
      return new Result(p.exitValue(), output.toString(StandardCharsets.UTF_8));
    }
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
