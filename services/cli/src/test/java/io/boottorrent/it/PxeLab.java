package io.boottorrent.it;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private boot network for the root-only PXE tests: one network namespace holding a bridge (the
 * server's address, e.g. 10.213.60.1/24) and a tap device on that bridge for QEMU's NIC. Our services
 * and QEMU both run inside it ({@code ip netns exec}), so every DHCP broadcast, TFTP and HTTP packet
 * stays in the namespace. {@link #close} ends every process started here (by its own pid) and deletes
 * the namespace, and with it the bridge and the tap.
 */
final class PxeLab implements AutoCloseable {
  static final String BRIDGE = "btbr0";
  static final String TAP = "bttap0";
  /** Namespaces are named btpxe-<pid of the test JVM>-<random>: see {@link #removeStale}. */
  private static final String NS_PREFIX = "btpxe-";
  private static final Pattern NS_NAME = Pattern.compile(Pattern.quote(NS_PREFIX) + "(\\d+)-[0-9a-f]+");

  final String ns;
  private final List<Running> processes = new CopyOnWriteArrayList<>();

  PxeLab(String bridgeCidr) throws IOException, InterruptedException {
    ns = NS_PREFIX + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    run("ip", "netns", "add", ns);
    try {
      run("ip", "-n", ns, "link", "set", "lo", "up");
      run("ip", "-n", ns, "link", "add", BRIDGE, "type", "bridge");
      run("ip", "-n", ns, "addr", "add", bridgeCidr, "brd", "+", "dev", BRIDGE);
      run("ip", "-n", ns, "tuntap", "add", "dev", TAP, "mode", "tap");
      run("ip", "-n", ns, "link", "set", TAP, "master", BRIDGE);
      run("ip", "-n", ns, "link", "set", TAP, "up");
      run("ip", "-n", ns, "link", "set", BRIDGE, "up");
      // The DHCP server binds 0.0.0.0: its limited broadcasts follow this route, onto the bridge.
      run("ip", "-n", ns, "route", "add", "255.255.255.255/32", "dev", BRIDGE);
      // The bridge's link-local address is usable (as the router advertisements' source) as soon as
      // QEMU brings the tap up, without a second of duplicate address detection. Absent without IPv6.
      exec(10, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf." + BRIDGE + ".accept_dad=0");
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Another tap device on the bridge, for one more VM. */
  void addTap(String tap) throws IOException, InterruptedException {
    run("ip", "-n", ns, "tuntap", "add", "dev", tap, "mode", "tap");
    run("ip", "-n", ns, "link", "set", tap, "master", BRIDGE);
    run("ip", "-n", ns, "link", "set", tap, "up");
  }

  /**
   * Starts ipv6-ra.py on the bridge: without an IPv6 router advertisement iPXE waits ~13 s for IPv6
   * autoconfiguration. Returns false (only slower) when python3 is missing or the sender did not start.
   */
  boolean startRouterAdvertisements(Path workDir, Path logs) throws IOException, InterruptedException {
    Optional<Path> python = which("python3");
    if (python.isEmpty()) {
      System.out.println("PxeLab: python3 not found, no IPv6 router advertisements: iPXE will wait ~13 s for IPv6");
      return false;
    }
    Path script = workDir.resolve("ipv6-ra.py");
    try (var in = PxeLab.class.getResourceAsStream("ipv6-ra.py")) {
      Files.write(script, in.readAllBytes());
    }
    Running sender = start("ipv6-ra", logs.resolve("ipv6-ra.log"), Map.of(), python.get().toString(),
        script.toString(), BRIDGE);
    try {
      sender.await("sending router advertisements", 20);
      return true;
    } catch (AssertionError e) {
      System.out.println("PxeLab: no IPv6 router advertisements, iPXE will wait ~13 s for IPv6: " + e.getMessage());
      sender.stop(5);
      return false;
    }
  }

  /** A line of a process's output, with its index and the seconds since the process started. */
  record Line(int index, double seconds, String text) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%7.2f %s", seconds, text);
    }
  }

  /** A process running inside the namespace; its output is kept, timestamped, and copied to a log. */
  final class Running {
    final String name;
    final Process process;
    final long startNanos;
    final Path log;
    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private Running(String name, Process process, long startNanos, Path log) {
      this.name = name;
      this.process = process;
      this.startNanos = startNanos;
      this.log = log;
      this.reader = new Thread(this::read, "pxe-lab-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
        String text;
        while ((text = in.readLine()) != null) {
          Line line = new Line(lines.size(), (System.nanoTime() - startNanos) / 1e9, text);
          lines.add(line);
          out.println(line);
        }
      } catch (IOException ended) {
        // the process is gone
      }
    }

    List<Line> lines() {
      return List.copyOf(lines);
    }

    Optional<Line> first(Predicate<String> matches) {
      return lines.stream().filter(l -> matches.test(l.text())).findFirst();
    }

    /**
     * The first output line containing {@code needle} (searching from the start), waiting up to
     * {@code seconds}; fails at once when a line contains one of {@code failures} or the process
     * ended without printing it.
     */
    Line await(String needle, int seconds, String... failures) throws InterruptedException {
      return await(needle, text -> text.contains(needle), seconds, failures);
    }

    Line await(String what, Predicate<String> matches, int seconds, String... failures) throws InterruptedException {
      return awaitAfter(null, what, matches, seconds, failures);
    }

    /** Like {@link #await}, but only lines after {@code previous} (null: from the start) count. */
    Line awaitAfter(Line previous, String what, Predicate<String> matches, int seconds, String... failures)
        throws InterruptedException {
      int from = previous == null ? 0 : previous.index() + 1;
      Predicate<Line> hitAfter = l -> l.index() >= from && matches.test(l.text());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        boolean ended = !process.isAlive();
        if (ended) {
          reader.join(2000); // the last lines may still be in the pipe
        }
        Optional<Line> hit = lines.stream().filter(hitAfter).findFirst();
        if (hit.isPresent()) {
          return hit.get();
        }
        for (String failure : failures) {
          Optional<Line> bad = first(text -> text.contains(failure));
          if (bad.isPresent()) {
            throw new AssertionError(name + " printed '" + failure + "' before '" + what + "':\n" + tail());
          }
        }
        if (ended) {
          throw new AssertionError(name + " exited (" + process.exitValue() + ") without printing '" + what
              + "':\n" + tail());
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(name + " did not print '" + what + "' within " + seconds + " s:\n" + tail());
        }
        Thread.sleep(50);
      }
    }

    /** The last 60 lines, for failure messages (the whole output is in {@link #log}). */
    String tail() {
      List<Line> all = lines();
      StringBuilder out = new StringBuilder("--- " + name + " (full log: " + log + ")\n");
      all.subList(Math.max(0, all.size() - 60), all.size()).forEach(l -> out.append(l).append('\n'));
      return out.toString();
    }

    /** Ends the process: SIGTERM, then SIGKILL after {@code graceSeconds}. */
    void stop(int graceSeconds) throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      }
      reader.join(2000);
    }
  }

  /**
   * Starts {@code command} inside the namespace ({@code ip netns exec} replaces itself with it, so the
   * pid is the command's), output and errors merged, standard input from /dev/null.
   */
  Running start(String name, Path log, Map<String, String> environment, String... command) throws IOException {
    return start(name, log, environment, false, command);
  }

  /** {@link #start}, with {@code input}: the process reads a pipe ({@code process.getOutputStream()}). */
  Running start(String name, Path log, Map<String, String> environment, boolean input, String... command)
      throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(command));
    ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
        .redirectInput(input ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().keySet().removeIf(k -> k.startsWith("BOOTTORRENT_"));
    builder.environment().putAll(environment);
    Files.createDirectories(log.getParent());
    long start = System.nanoTime();
    Running running = new Running(name, builder.start(), start, log);
    processes.add(running);
    return running;
  }

  record Result(int exit, String output) {}

  static Result exec(int timeoutSeconds, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    // read while it runs: a chatty command must not block on a full pipe
    StringBuilder output = new StringBuilder();
    Thread reader = new Thread(() -> {
      try {
        output.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // process killed
      }
    });
    reader.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    reader.join(5000);
    return new Result(p.exitValue(), output.toString());
  }

  static String run(String... command) throws IOException, InterruptedException {
    Result result = exec(30, command);
    if (result.exit() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + result.exit() + ": " + result.output());
    }
    return result.output();
  }

  /** The first executable {@code name} on the PATH (and the sbin folders, which a non-login PATH may lack). */
  static Optional<Path> which(String name) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
  }

  /**
   * Skips the calling test with {@code reason} when {@code condition} is false — or fails it when
   * {@code BOOTTORRENT_E2E=required} (CI sets it: there the VM tests must run, never pass by skipping).
   */
  static void require(boolean condition, String reason) {
    if (!condition && "required".equals(System.getenv("BOOTTORRENT_E2E"))) {
      org.junit.jupiter.api.Assertions.fail("BOOTTORRENT_E2E=required, but " + reason);
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(condition, "SKIPPED: " + reason);
  }

  static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  /**
   * Deletes the labs of test JVMs that died without their {@link #close} (killed by a build timeout):
   * namespaces named by this class whose JVM is gone, with the processes those tests left inside.
   */
  static void removeStale() throws IOException, InterruptedException {
    for (String entry : exec(10, "ip", "netns", "list").output().split("\n")) {
      String name = entry.trim().split("\\s+")[0];
      Matcher m = NS_NAME.matcher(name);
      if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
        System.err.println("deleting the namespace " + name + " left by a test JVM that is gone");
        delete(name);
      }
    }
  }

  /**
   * Ends every process started here (SIGTERM, then SIGKILL), then any process still inside the
   * namespace (only ours can be: it is private to this lab), then deletes the tap and the namespace.
   */
  @Override
  public void close() {
    for (Running p : processes) {
      try {
        p.stop(10);
      } catch (InterruptedException e) {
        p.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      delete(ns);
    } catch (IOException | InterruptedException e) {
      System.err.println("could not delete namespace " + ns + ": " + e);
    }
  }

  /** Kills what still runs inside {@code name} (a lab namespace: only test processes), deletes it. */
  private static void delete(String name) throws IOException, InterruptedException {
    Result pids = exec(10, "ip", "netns", "pids", name);
    for (String pid : pids.output().trim().split("\\s+")) {
      if (pid.matches("\\d+")) {
        exec(5, "kill", "-KILL", pid);
      }
    }
    exec(10, "ip", "-n", name, "link", "del", TAP);
    Result deleted = exec(10, "ip", "netns", "del", name);
    if (deleted.exit() != 0) {
      System.err.println("could not delete namespace " + name + ": " + deleted.output());
    }
  }
}
