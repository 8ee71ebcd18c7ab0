package io.boottorrent.testsupport;

import io.boottorrent.testsupport.Proc.Result;
import io.boottorrent.testsupport.Proc.Running;
import io.boottorrent.testsupport.Proc.Spec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A private network for root-only tests, built from network namespaces this lab creates and deletes:
 * every address, route, bridge, tap and veth lives inside them, so nothing a test does reaches the
 * host's interfaces, and our services and the real clients (dhclient, perfdhcp, QEMU) run inside
 * them with {@code ip netns exec}. {@link #close} ends every process, then deletes the namespaces and
 * with them every link.
 *
 * <p>Namespaces are named {@code <prefix>-<test JVM pid>-<random>-<role>}: a lab whose JVM was killed
 * (a build timeout) is found by the next lab of that prefix and removed ({@link #removeStale}).
 */
public final class NetnsLab implements AutoCloseable {
  /** Lab names: a prefix starting with "bt" (ours), the pid of the JVM that made it, a random tag, a role. */
  private static final Pattern NAME = Pattern.compile("(bt[a-z0-9]*)-(\\d+)-([0-9a-f]+)(?:-([a-z0-9]+))?");
  private static final String IP = Gate.which("ip").map(Path::toString).orElse("ip");
  private static final String SYSCTL = Gate.which("sysctl").map(Path::toString).orElse("sysctl");

  private final String tag;
  private final List<Ns> namespaces = new CopyOnWriteArrayList<>();
  private final List<Running> processes = new CopyOnWriteArrayList<>();
  private Path scratch;
  private volatile Duration grace = Proc.GRACE;

  private NetnsLab(String tag) {
    this.tag = tag;
  }

  /**
   * Skips (or fails, see {@link Gate}) a test that needs a lab here: root and iproute2.
   * {@code why} says what the test does with it.
   */
  public static void require(String why) {
    Gate.requireRoot(why);
    Gate.requireCommand("ip", "iproute2");
  }

  /**
   * An empty lab; namespaces come with {@link #namespace}. First removes the labs of this
   * {@code prefix} whose JVM is gone. {@code prefix}: "bt" and lowercase letters or digits, e.g. "btdhcp".
   */
  public static NetnsLab create(String prefix) throws IOException, InterruptedException {
    if (!prefix.matches("bt[a-z0-9]*")) {
      throw new IllegalArgumentException("a lab prefix is bt + lowercase letters or digits: " + prefix);
    }
    removeStale(prefix);
    return new NetnsLab(prefix + "-" + ProcessHandle.current().pid() + "-"
        + String.format("%06x", ThreadLocalRandom.current().nextInt(0x1000000)));
  }

  /** How long {@link #close} gives the processes between SIGTERM and SIGKILL ({@link Proc#GRACE} by default). */
  public NetnsLab grace(Duration grace) {
    this.grace = grace;
    return this;
  }

  /** {@code <prefix>-<pid>-<random>}, the start of every namespace name of this lab. */
  public String tag() {
    return tag;
  }

  /**
   * A new namespace {@code <tag>-<role>} with its loopback up. {@code role}: lowercase letters or
   * digits ("server", "client", "pxe").
   */
  public Ns namespace(String role) throws IOException, InterruptedException {
    if (!role.matches("[a-z0-9]+")) {
      throw new IllegalArgumentException("a namespace role is lowercase letters or digits: " + role);
    }
    Ns ns = new Ns(tag + "-" + role);
    Proc.run(IP, "netns", "add", ns.name);
    namespaces.add(ns);
    ns.up("lo");
    return ns;
  }

  public List<Ns> namespaces() {
    return List.copyOf(namespaces);
  }

  /** Every process started in this lab's namespaces with {@link Ns#command} (or its shortcuts). */
  public List<Running> processes() {
    return List.copyOf(processes);
  }

  /**
   * A veth pair: {@code aDev} in {@code a}, {@code bDev} in {@code b} (may be the same namespace),
   * both up. Created inside the namespaces ({@code peer ... netns}), never in the host's, so the
   * names only need to be unique there.
   */
  public void veth(Ns a, String aDev, Ns b, String bDev) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(IP, "-n", a.name, "link", "add", aDev, "type", "veth",
        "peer", "name", bDev));
    if (a != b) {
      command.addAll(List.of("netns", b.name));
    }
    Proc.command(command).run(Proc.TIMEOUT);
    a.up(aDev);
    b.up(bDev);
  }

  /**
   * Deletes the namespaces named {@code <prefix>-<pid>-…} whose JVM is gone, with the processes
   * left inside; returns their names. A pid reused by another process keeps its lab (never a live one
   * deleted). Pids are this machine's: labs of JVMs in another pid namespace are not told apart.
   */
  public static List<String> removeStale(String prefix) throws IOException, InterruptedException {
    List<String> removed = new ArrayList<>();
    for (String name : list()) {
      Matcher m = NAME.matcher(name);
      if (m.matches() && m.group(1).equals(prefix)
          && ProcessHandle.of(Long.parseLong(m.group(2))).map(h -> !h.isAlive()).orElse(true)) {
        System.err.println("NetnsLab: deleting the namespace " + name + " left by a test JVM that is gone");
        delete(name);
        removed.add(name);
      }
    }
    return removed;
  }

  /** The names of all network namespaces here ({@code ip netns list}). */
  public static List<String> list() throws IOException, InterruptedException {
    return Arrays.stream(Proc.run(IP, "netns", "list").split("\n"))
        .map(l -> l.trim().split("\\s+")[0]).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * Ends every process started here (EOF to a piped input, then SIGTERM to all, each with
   * {@link #grace}, then SIGKILL), then what
   * still runs in each namespace (a daemonized dhclient: only test processes can be there), then
   * deletes the namespaces and so every link. Never throws; works when the test was interrupted.
   */
  @Override
  public void close() {
    boolean interrupted = Thread.interrupted(); // a @Timeout interrupts the test: clean up anyway
    try {
      List<Running> all = new ArrayList<>(processes);
      java.util.Collections.reverse(all); // the last started (the VM) first
      // EOF first to those reading a pipe, then SIGTERM to all still running, then SIGKILL
      List<Running> piped = all.stream().filter(Running::endInput).toList();
      long eofDeadline = System.nanoTime() + grace.toNanos();
      piped.forEach(p -> p.awaitGone(eofDeadline));
      all.forEach(Running::terminate);
      long deadline = System.nanoTime() + grace.toNanos();
      for (Running p : all) {
        if (!p.awaitGone(deadline)) {
          System.err.println("NetnsLab: " + p + " ignored SIGTERM for " + grace.toMillis() + " ms, killing it");
          p.kill();
        }
      }
      long killed = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (Running p : all) {
        p.awaitGone(killed);
        p.drain(Duration.ofSeconds(1));
      }
      for (int i = namespaces.size() - 1; i >= 0; i--) {
        try {
          delete(namespaces.get(i).name);
        } catch (IOException | RuntimeException e) {
          System.err.println("NetnsLab: could not delete namespace " + namespaces.get(i).name + ": " + e);
        } catch (InterruptedException e) {
          System.err.println("NetnsLab: interrupted deleting namespace " + namespaces.get(i).name);
          interrupted = true;
        }
      }
      if (scratch != null) {
        try (Stream<Path> files = Files.walk(scratch)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          System.err.println("NetnsLab: could not delete " + scratch + ": " + e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Ends what runs in {@code name} (SIGTERM, SIGKILL after 2 s), then deletes the namespace. */
  private static void delete(String name) throws IOException, InterruptedException {
    List<ProcessHandle> inside = pids(name).stream().map(ProcessHandle::of).flatMap(Optional::stream)
        .filter(h -> h.pid() != ProcessHandle.current().pid()).toList();
    inside.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (inside.stream().anyMatch(Proc::running) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    inside.stream().filter(Proc::running).forEach(ProcessHandle::destroyForcibly);
    Result deleted = Proc.exec(Duration.ofSeconds(10), IP, "netns", "del", name);
    if (!deleted.ok()) {
      System.err.println("NetnsLab: could not delete namespace " + name + ": " + deleted.output());
    }
  }

  private static List<Long> pids(String name) throws IOException, InterruptedException {
    Result pids = Proc.exec(Duration.ofSeconds(10), IP, "netns", "pids", name);
    return Arrays.stream(pids.output().trim().split("\\s+")).filter(p -> p.matches("\\d+")).map(Long::valueOf)
        .toList();
  }

  private synchronized Path scratch() throws IOException {
    if (scratch == null) {
      scratch = Files.createTempDirectory(tag + "-");
    }
    return scratch;
  }

  /** One namespace of the lab: its links, and commands run inside it. */
  public final class Ns {
    private final String name;

    private Ns(String name) {
      this.name = name;
    }

    public String name() {
      return name;
    }

    public NetnsLab lab() {
      return NetnsLab.this;
    }

    /** {@code ip -n NS ARGS…}, returning its output; throws with the output when it fails. */
    public String ip(String... args) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>(List.of(IP, "-n", name));
      command.addAll(List.of(args));
      return Proc.command(command).run(Proc.TIMEOUT);
    }

    /**
     * {@code command} inside the namespace ({@code ip netns exec}, which execs it: the pid is the
     * command's). Processes it {@link Spec#start}s are ended by the lab's {@link #close}.
     */
    public Spec command(String... command) {
      return command(List.of(command));
    }

    public Spec command(List<String> command) {
      return inside(Proc.command(command));
    }

    private Spec inside(Spec spec) {
      return spec.prefix(List.of(IP, "netns", "exec", name)).onStart(processes::add);
    }

    /** Runs {@code command} inside the namespace to completion; see {@link Spec#exec}. */
    public Result exec(Duration timeout, String... command) throws IOException, InterruptedException {
      return command(command).exec(timeout);
    }

    /** Runs {@code command} inside the namespace ({@link Proc#TIMEOUT} at most); throws on a non-zero exit. */
    public String run(String... command) throws IOException, InterruptedException {
      return command(command).run(Proc.TIMEOUT);
    }

    /** Starts {@code command} inside the namespace, output copied to {@code log} ({@code null}: none). */
    public Running start(String processName, Path log, String... command) throws IOException {
      return command(command).name(processName).log(log).start();
    }

    /** {@link Proc#java(String, String...)} inside the namespace: our services where the test's network is. */
    public Spec java(String mainClass, String... args) {
      return inside(Proc.java(mainClass, args));
    }

    public Spec java(List<String> jvmOptions, String mainClass, String... args) {
      return inside(Proc.java(jvmOptions, mainClass, args));
    }

    /** Sets a sysctl of this namespace ({@code net.*} keys are per namespace); throws when it fails. */
    public void sysctl(String key, String value) throws IOException, InterruptedException {
      run(SYSCTL, "-q", "-w", key + "=" + value);
    }

    /** {@link #sysctl}, or false when the key does not exist here (IPv6 disabled): for optional tuning. */
    public boolean trySysctl(String key, String value) throws IOException, InterruptedException {
      return exec(Duration.ofSeconds(10), SYSCTL, "-q", "-w", key + "=" + value).ok();
    }

    public void up(String dev) throws IOException, InterruptedException {
      ip("link", "set", dev, "up");
    }

    /** Adds {@code cidr} (e.g. 10.213.77.1/24) to {@code dev}, with the subnet's broadcast address ({@code brd +}). */
    public void address(String dev, String cidr) throws IOException, InterruptedException {
      ip("addr", "add", cidr, "brd", "+", "dev", dev);
    }

    /** Sets the MAC of {@code dev} (a DHCP test's client MAC), also while it is up. */
    public void mac(String dev, String mac) throws IOException, InterruptedException {
      ip("link", "set", dev, "address", mac);
    }

    /**
     * Routes 255.255.255.255 out of {@code dev}: our DHCP server binds 0.0.0.0, and its limited
     * broadcasts must leave through the lab's link, not wherever the kernel would pick.
     */
    public void broadcastRoute(String dev) throws IOException, InterruptedException {
      ip("route", "add", "255.255.255.255/32", "dev", dev);
    }

    /**
     * A bridge {@code name}, up, with {@code cidr} ({@code null}: no address) and no forward delay:
     * a port forwards the moment QEMU opens its tap.
     */
    public void bridge(String name, String cidr) throws IOException, InterruptedException {
      ip("link", "add", name, "type", "bridge", "forward_delay", "0");
      if (cidr != null) {
        address(name, cidr);
      }
      up(name);
    }

    /** A tap device {@code name} on {@code bridge}, up, for a QEMU NIC ({@code -netdev tap,ifname=NAME,script=no}). */
    public void tap(String name, String bridge) throws IOException, InterruptedException {
      ip("tuntap", "add", "dev", name, "mode", "tap");
      ip("link", "set", name, "master", bridge);
      up(name);
    }

    /** Any link (veth end, bridge port) into {@code bridge}. */
    public void attach(String dev, String bridge) throws IOException, InterruptedException {
      ip("link", "set", dev, "master", bridge);
    }

    /** The pids of every process in this namespace, started here or not. */
    public List<Long> pids() throws IOException, InterruptedException {
      return NetnsLab.pids(name);
    }

    /**
     * Sends IPv6 router advertisements on {@code dev} every 0.5 s (ipv6-ra.py): without one, iPXE
     * waits ~13 s for IPv6 autoconfiguration. Call it before the VM starts: it also turns off
     * duplicate address detection on {@code dev}, so the link-local source address is usable at
     * once. Empty (the boot is only slower) without python3 or when the sender did not start.
     */
    public Optional<Running> startRouterAdvertisements(String dev, Path log) throws IOException, InterruptedException {
      Optional<Path> python = Gate.which("python3");
      if (python.isEmpty()) {
        System.out.println("NetnsLab: python3 not found, no IPv6 router advertisements: iPXE will wait ~13 s for IPv6");
        return Optional.empty();
      }
      trySysctl("net.ipv6.conf." + dev + ".accept_dad", "0");
      Path script = scratch().resolve("ipv6-ra.py");
      try (InputStream in = NetnsLab.class.getResourceAsStream("ipv6-ra.py")) {
        if (in == null) {
          throw new UncheckedIOException(new IOException("ipv6-ra.py missing from test-support's resources"));
        }
        Files.write(script, in.readAllBytes());
      }
      Running sender = start("ipv6-ra", log, python.get().toString(), script.toString(), dev);
      try {
        sender.await("sending router advertisements", Duration.ofSeconds(20));
        return Optional.of(sender);
      } catch (AssertionError e) {
        System.out.println("NetnsLab: no IPv6 router advertisements, iPXE will wait ~13 s for IPv6: " + e.getMessage());
        sender.stop(Duration.ofSeconds(5));
        return Optional.empty();
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
