package io.boottorrent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc.Result;
import io.boottorrent.testsupport.Proc.Running;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab as root: namespaces, veth, bridge and taps, processes inside, and the cleanup. Addresses
 * only in 10.213.250.0/23, inside namespaces the tests create; the host's links are compared before
 * and after to show nothing reached them.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NetnsLabTest {
  @TempDir Path dir;

  @BeforeEach
  void root() {
    NetnsLab.require("the lab tests create network namespaces");
  }

  @Test
  void twoNamespacesJoinedByAVethPairPingEachOtherAndTheHostIsUntouched() throws Exception {
    // iputils' ping, else busybox's (busybox-static is one of `make deps`' packages)
    List<String> ping = Gate.which("ping").map(p -> List.of(p.toString()))
        .or(() -> Gate.which("busybox").map(b -> List.of(b.toString(), "ping"))).orElse(null);
    Gate.require(ping != null, "ping not installed (apt-get install iputils-ping, or busybox-static)");
    List<String> hostLinks = hostLinks();
    List<String> names;
    try (NetnsLab lab = NetnsLab.create("btlabtest")) {
      // GIVEN a server and a client namespace joined by a veth pair, a MAC on the client end
      Ns server = lab.namespace("server");
      Ns client = lab.namespace("client");
      lab.veth(server, "veth0", client, "veth0");
      client.mac("veth0", "02:42:0a:d5:fa:02");
      server.address("veth0", "10.213.250.1/24");
      client.address("veth0", "10.213.250.2/24");
      server.broadcastRoute("veth0");
      names = List.of(server.name(), client.name());

      // THEN they reach each other, with the names, MAC, broadcast address and route asked for
      List<String> pingClient = new ArrayList<>(ping);
      pingClient.addAll(List.of("-c1", "-W2", "10.213.250.2"));
      Result pinged = server.command(pingClient).exec(Duration.ofSeconds(10));
      assertThat(pinged.exit()).as(pinged.output()).isZero();
      assertThat(pinged.output()).contains("1 packets received");
      assertThat(names).allMatch(n -> n.matches("btlabtest-" + ProcessHandle.current().pid() + "-[0-9a-f]{6}-\\w+"));
      assertThat(NetnsLab.list()).containsAll(names);
      assertThat(client.ip("link", "show", "veth0")).contains("link/ether 02:42:0a:d5:fa:02");
      assertThat(server.ip("-4", "addr", "show", "veth0")).contains("inet 10.213.250.1/24 brd 10.213.250.255");
      assertThat(server.ip("route", "show", "255.255.255.255")).contains("255.255.255.255 dev veth0");
      // AND the host's own links are as they were
      assertThat(hostLinks()).isEqualTo(hostLinks);
    }
    // AND close deleted both namespaces
    assertThat(NetnsLab.list()).doesNotContainAnyElementsOf(names);
    assertThat(hostLinks()).isEqualTo(hostLinks);
  }

  @Test
  void aBridgeWithAnAddressHasTapDevicesForVms() throws Exception {
    Gate.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun missing (no tap devices here)");
    String name;
    try (NetnsLab lab = NetnsLab.create("btlabtest")) {
      Ns pxe = lab.namespace("pxe");
      name = pxe.name();
      pxe.bridge("btbr0", "10.213.251.1/24");
      pxe.tap("bttap0", "btbr0");
      pxe.tap("bttap1", "btbr0");
      pxe.broadcastRoute("btbr0");
      assertThat(pxe.trySysctl("net.ipv6.conf.btbr0.accept_dad", "0")).isTrue();
      assertThat(pxe.trySysctl("net.no.such.key", "0")).isFalse();

      assertThat(pxe.ip("-o", "link", "show", "master", "btbr0")).contains("bttap0", "bttap1");
      assertThat(pxe.ip("tuntap", "show")).contains("bttap0: tap", "bttap1: tap");
      assertThat(pxe.ip("-4", "addr", "show", "btbr0")).contains("inet 10.213.251.1/24 brd 10.213.251.255");
      assertThat(pxe.run("cat", "/proc/sys/net/ipv6/conf/btbr0/accept_dad").trim()).isEqualTo("0");
    }
    assertThat(NetnsLab.list()).doesNotContain(name);
    assertThat(hostLinks()).noneMatch(l -> l.startsWith("bttap") || l.startsWith("btbr0"));
  }

  @Test
  void closeEndsStartedProcessesAndStrayOnesThenDeletesTheNamespace() throws Exception {
    String name;
    List<Long> pids = new ArrayList<>();
    Running jvm;
    try (NetnsLab lab = NetnsLab.create("btlabtest").grace(Duration.ofSeconds(2))) {
      Ns ns = lab.namespace("procs");
      name = ns.name();
      lab.veth(ns, "veth0", lab.namespace("peer"), "veth0");
      // GIVEN a long-running process, a stubborn one, a daemon no one tracks, and a child JVM
      Running sleeper = ns.start("sleeper", dir.resolve("sleeper.log"), "sleep", "600");
      Running stubborn = ns.command("sh", "-c", "trap '' TERM; echo armed; while :; do sleep 0.2; done").start();
      stubborn.await("armed", Duration.ofSeconds(10));
      ns.run("sh", "-c", "sleep 600 > /dev/null 2>&1 &");
      jvm = ns.java(LabEchoMain.class.getName(), "in", "the", "lab").input(Proc.Input.PIPE).start();

      // THEN the JVM runs inside the namespace: it sees the lab's links, not the host's
      jvm.await("READY in the lab", Duration.ofSeconds(30));
      assertThat(jvm.await(Proc.Match.prefix("INTERFACES "), Duration.ofSeconds(5)).text())
          .isEqualTo("INTERFACES lo,veth0");
      assertThat(lab.processes()).containsExactly(sleeper, stubborn, jvm);
      pids.addAll(ns.pids());
      assertThat(pids).contains(sleeper.pid(), stubborn.pid(), jvm.pid()).hasSizeGreaterThanOrEqualTo(5);
    }
    // THEN every one of them is gone, and so is the namespace
    for (long pid : pids) {
      assertThat(ProcessHandle.of(pid).map(Proc::running).orElse(false)).as("pid %d running", pid).isFalse();
    }
    assertThat(jvm.lines()).last().extracting(Proc.Line::text).isEqualTo("BYE"); // it saw its input end
    assertThat(NetnsLab.list()).doesNotContain(name);
    assertThat(Files.readString(dir.resolve("sleeper.log"))).isEmpty();
  }

  @Test
  void removeStaleDeletesTheLabsOfDeadJvmsWithTheirProcessesAndKeepsLiveOnes() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String stale = "btlabstale-" + gone.pid() + "-0a1b2c-x";
    String live = "btlabstale-" + ProcessHandle.current().pid() + "-0a1b2c-y";
    String other = "btlabother-" + gone.pid() + "-0a1b2c-x";
    Running leftover = null;
    try {
      for (String ns : List.of(stale, live, other)) {
        Proc.run(Gate.which("ip").orElseThrow().toString(), "netns", "add", ns);
      }
      leftover = Proc.command(Gate.which("ip").orElseThrow().toString(), "netns", "exec", stale, "sleep", "600").start();
      awaitPid(stale);

      assertThat(NetnsLab.removeStale("btlabstale")).containsExactly(stale);

      assertThat(NetnsLab.list()).doesNotContain(stale).contains(live, other);
      assertThat(leftover.waitFor(Duration.ofSeconds(5))).as("the process left in the stale lab ended").isTrue();
      // and a new lab of that prefix does it by itself
      Proc.run(Gate.which("ip").orElseThrow().toString(), "netns", "add", stale);
      NetnsLab.create("btlabstale").close();
      assertThat(NetnsLab.list()).doesNotContain(stale).contains(live);
    } finally {
      if (leftover != null) {
        leftover.stop(Duration.ofSeconds(1));
      }
      for (String ns : List.of(stale, live, other)) {
        Proc.exec(Duration.ofSeconds(10), Gate.which("ip").orElseThrow().toString(), "netns", "del", ns);
      }
    }
  }

  @Test
  void routerAdvertisementsGoOutOnTheBridge() throws Exception {
    Gate.requireCommand("python3", "python3");
    try (NetnsLab lab = NetnsLab.create("btlabtest")) {
      // GIVEN a bridge with a port that has a carrier (a veth to another namespace)
      Ns pxe = lab.namespace("pxe");
      Ns vm = lab.namespace("vm");
      pxe.bridge("btbr0", "10.213.251.1/24");
      lab.veth(pxe, "port0", vm, "eth0");
      pxe.attach("port0", "btbr0");

      // WHEN the sender starts
      Optional<Running> sender = pxe.startRouterAdvertisements("btbr0", dir.resolve("ra.log"));

      // THEN it sends
      assertThat(sender).isPresent();
      sender.get().await("first router advertisement sent", Duration.ofSeconds(20));
      assertThat(pxe.run("cat", "/proc/sys/net/ipv6/conf/btbr0/accept_dad").trim()).isEqualTo("0");
      assertThat(lab.processes()).contains(sender.get());
    }
  }

  private static void awaitPid(String ns) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (Proc.run(Gate.which("ip").orElseThrow().toString(), "netns", "pids", ns).isBlank()) {
      assertThat(System.nanoTime()).as("a process in " + ns).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** The host namespace's link names. */
  private static List<String> hostLinks() throws Exception {
    List<String> names = new ArrayList<>();
    for (String line : Proc.run(Gate.which("ip").orElseThrow().toString(), "-o", "link", "show").split("\n")) {
      if (!line.isBlank()) {
        names.add(line.split(":\\s+")[1].split("[@:]")[0]);
      }
    }
    return names;
  }
}
