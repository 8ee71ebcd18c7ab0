package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.LogFiles;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real DHCP clients (ISC dhclient, busybox udhcpc) against our server, root only. The test creates a
 * server and a client network namespace joined by a veth pair (10.213.77.0/24, {@link DhcpLab}),
 * runs the server as a child JVM inside the server namespace ({@link NetnsServerMain}) and the clients
 * inside the client namespace; nothing is sent anywhere else, and everything is deleted in
 * {@link #tearDown}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealDhcpClientsTest {
  private static final String MAC = "02:42:0a:d5:4d:02";
  private static final Ipv4 SERVER = Ipv4.parse("10.213.77.1");

  @TempDir
  static Path dir;

  private static final String DEV = DhcpLab.DEV;
  private static final Duration SHORT = Duration.ofSeconds(10);

  private static DhcpLab lab;
  private static NetnsLab.Ns client;
  private static Proc.Running server;
  private static LeaseJournal journal;

  @BeforeAll
  static void lab() throws Exception {
    lab = new DhcpLab("10.213.77.1/24", MAC);
    client = lab.client;
    JsonObject config = new JsonObject()
        .put("dataDir", dir.resolve("data").toString())
        .put("publicHost", SERVER.toString())
        .put("dhcp", new JsonObject()
            .put("mode", "full").put("bindHost", "0.0.0.0").put("port", 67).put("serverAddress", SERVER.toString())
            .put("leaseSeconds", 120)
            .put("pools", new JsonArray().add(new JsonObject()
                .put("subnet", "10.213.77.0/24").put("rangeStart", "10.213.77.100").put("rangeEnd", "10.213.77.150")
                .put("router", "10.213.77.1").put("dns", new JsonArray().add("10.213.77.53").add("10.213.77.54"))
                .put("domain", "lab.boottorrent.test"))));
    journal = LeaseJournal.inDataDir(dir.resolve("data"));
    server = lab.startServer(config, dir);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void unconfiguredClient() throws Exception {
    client.ip("-4", "addr", "flush", "dev", DEV);
  }

  @Test
  void iscDhclientGetsALeaseWithRouterAndDnsThenRebootsIntoItAndReleasesIt() throws Exception {
    String dhclientPath = Gate.requireCommand("dhclient", "isc-dhcp-client").toString();
    // GIVEN dhclient with a script that applies the lease with ip(8) and logs what it got
    // (our own script: Debian's dhclient-script would rewrite the host's /etc/resolv.conf)
    Path conf = Files.writeString(dir.resolve("dhclient.conf"),
        "timeout 20;\nretry 1;\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers;\n");
    Path log = dir.resolve("dhclient-script.log");
    Path script = script("dhclient-script.sh", """
        #!/bin/sh
        echo "reason=$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers domain=$new_domain_name old=$old_ip_address" >> LOG
        case "$reason" in
          BOUND|RENEW|REBIND|REBOOT)
            ip -4 addr flush dev "$interface"
            ip addr add "$new_ip_address/$new_subnet_mask" brd + dev "$interface"
            for r in $new_routers; do ip route replace default via "$r" dev "$interface"; done ;;
          RELEASE|EXPIRE|FAIL|STOP)
            ip -4 addr flush dev "$interface" ;;
        esac
        exit 0
        """.replace("LOG", log.toString()));
    Path leases = dir.resolve("dhclient.leases");
    Path pid = dir.resolve("dhclient.pid");
    String[] dhclient = {dhclientPath, "-v", "-cf", conf.toString(), "-lf", leases.toString(), "-pf", pid.toString(),
        "-sf", script.toString()};

    // WHEN it asks for a lease (-1: one try; it daemonizes once bound)
    Proc.Result first = client.exec(Duration.ofSeconds(40), concat(dhclient, "-1", DEV));

    // THEN it is bound to a pool address with our router, DNS and domain, and applied it
    assertThat(first.exit()).as(first.output()).isZero();
    String bound = LogFiles.lastLine(log, "reason=BOUND");
    assertThat(bound).contains("mask=255.255.255.0", "routers=10.213.77.1", "dns=10.213.77.53 10.213.77.54",
        "domain=lab.boottorrent.test");
    Ipv4 address = Ipv4.parse(bound.replaceAll(".* ip=(\\S+) .*", "$1"));
    assertThat(address.compareTo(Ipv4.parse("10.213.77.100"))).isGreaterThanOrEqualTo(0);
    assertThat(address.compareTo(Ipv4.parse("10.213.77.150"))).isLessThanOrEqualTo(0);
    assertThat(client.ip("-4", "addr", "show", "dev", DEV)).contains("inet " + address + "/24");
    assertThat(client.ip("route")).contains("default via 10.213.77.1");
    assertThat(Files.readString(leases)).contains("fixed-address " + address + ";", "option routers 10.213.77.1;",
        "option domain-name-servers 10.213.77.53,10.213.77.54;", "option dhcp-server-identifier 10.213.77.1;");
    assertThat(awaitStore(l -> l.mac().equals(MAC) && l.state() == State.BOUND && l.ip().equals(address))).isTrue();
    server.await("EVENT DHCP_LEASE " + MAC + " " + address, SHORT);
    long firstExpiry = boundExpiry(address);

    // WHEN the client is stopped without release (-x) and run again: INIT-REBOOT with its address
    client.exec(Duration.ofSeconds(20), concat(dhclient, "-x", DEV));
    Thread.sleep(1100); // expiries are in ms: make the renewed one visibly later
    Proc.Result again = client.exec(Duration.ofSeconds(40), concat(dhclient, "-1", DEV));

    // THEN the same address is confirmed and its lease extended in our store
    assertThat(again.exit()).as(again.output()).isZero();
    assertThat(LogFiles.lastLine(log, "reason=")).startsWith("reason=REBOOT ip=" + address + " ");
    assertThat(awaitStore(l -> l.ip().equals(address) && l.state() == State.BOUND && l.expiresAtMs() > firstExpiry)).isTrue();

    // WHEN it releases (-r)
    Proc.Result release = client.exec(Duration.ofSeconds(40), concat(dhclient, "-r", DEV));

    // THEN our store has the address as released
    assertThat(release.exit()).as(release.output()).isZero();
    assertThat(awaitStore(l -> l.ip().equals(address) && l.state() == State.RELEASED && l.mac().equals(MAC))).isTrue();
    assertThat(client.ip("-4", "addr", "show", "dev", DEV)).doesNotContain("inet ");
  }

  @Test
  void busyboxUdhcpcGetsALeaseRenewsItByUnicastAndReleasesIt() throws Exception {
    String[] udhcpc = {Gate.requireCommand("udhcpc", "udhcpc").toString()};
    Path log = dir.resolve("udhcpc-script.log");
    Path script = script("udhcpc-script.sh", """
        #!/bin/sh
        echo "event=$1 ip=$ip subnet=$subnet router=$router dns=$dns domain=$domain serverid=$serverid" >> LOG
        case "$1" in
          bound|renew)
            ip -4 addr flush dev "$interface"
            ip addr add "$ip/$subnet" brd + dev "$interface"
            for r in $router; do ip route replace default via "$r" dev "$interface"; done ;;
          deconfig)
            ip -4 addr flush dev "$interface" ;;
        esac
        exit 0
        """.replace("LOG", log.toString()));

    // WHEN udhcpc runs in the foreground
    Proc.Running udhcpcRun = client.command(concat(udhcpc, "-f", "-i", DEV, "-s", script.toString(),
        "-t", "5", "-T", "1", "-A", "1")).name("udhcpc").start();
    udhcpcRun.awaitNext(Match.prefix("udhcpc: lease of"), Duration.ofSeconds(30));

    // THEN it is bound with our options
    String bound = LogFiles.lastLine(log, "event=bound");
    assertThat(bound).contains("subnet=255.255.255.0", "router=10.213.77.1", "dns=10.213.77.53 10.213.77.54",
        "domain=lab.boottorrent.test", "serverid=10.213.77.1");
    Ipv4 address = Ipv4.parse(bound.replaceAll(".* ip=(\\S+) .*", "$1"));
    // udhcpc prints "lease of" before it runs the script that configures the address: wait for it
    String shown = "";
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        !shown.contains("inet " + address + "/24") && System.nanoTime() < deadline; Thread.sleep(50)) {
      shown = client.ip("-4", "addr", "show", "dev", DEV);
    }
    assertThat(shown).contains("inet " + address + "/24");
    assertThat(awaitStore(l -> l.mac().equals(MAC) && l.state() == State.BOUND && l.ip().equals(address))).isTrue();
    long firstExpiry = boundExpiry(address);

    // WHEN it is told to renew (SIGUSR1: a unicast REQUEST with ciaddr, RFC 2131 RENEWING)
    Thread.sleep(1100);
    udhcpcRun.signal("USR1");
    udhcpcRun.awaitNext(Match.prefix("udhcpc: sending renew"), SHORT);
    udhcpcRun.awaitNext(Match.prefix("udhcpc: lease of"), SHORT);

    // THEN the lease is extended
    assertThat(LogFiles.lastLine(log, "event=renew")).startsWith("event=renew ip=" + address + " ");
    assertThat(awaitStore(l -> l.ip().equals(address) && l.state() == State.BOUND && l.expiresAtMs() > firstExpiry)).isTrue();

    // WHEN it releases (SIGUSR2)
    udhcpcRun.signal("USR2");
    udhcpcRun.awaitNext(Match.prefix("udhcpc: entering released state"), SHORT);

    // THEN our store has the address as released
    assertThat(awaitStore(l -> l.ip().equals(address) && l.state() == State.RELEASED && l.mac().equals(MAC))).isTrue();
    udhcpcRun.stop(Duration.ofSeconds(5));
  }

  // -------------------------------------------------------------- helpers

  private static Path script(String name, String text) throws Exception {
    Path path = dir.resolve(name);
    Files.writeString(path, text);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
    return path;
  }

  private static String[] concat(String[] head, String... tail) {
    String[] out = java.util.Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, out, head.length, tail.length);
    return out;
  }

  /** Whether the server's lease journal (as a restarted server would read it) reaches a record matching {@code wanted}. */
  private static boolean awaitStore(Predicate<Lease> wanted) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      LeaseStore store = LeaseStore.replay(journal.load());
      if (store.snapshot().stream().anyMatch(wanted)) {
        return true;
      }
      Thread.sleep(100);
    }
    System.err.println("journal: " + journal.load());
    return false;
  }

  private static long boundExpiry(Ipv4 address) throws Exception {
    return LeaseStore.replay(journal.load()).byIp(address).orElseThrow().expiresAtMs();
  }
}
