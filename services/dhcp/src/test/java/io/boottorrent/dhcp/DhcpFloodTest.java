package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Match;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bursts of spoofed DISCOVERs against our server (a child JVM in a server namespace, {@link DhcpLab};
 * 10.91.0.0/16 only) with a pool of 200 addresses, the default MAC limits (a burst of 8) and the relay's
 * lowered to a burst of {@value #RELAY_BURST} and {@value #RELAY_RATE}/s (a server on 2 busy cores answers
 * fewer than the default 1000 before the kernel drops the rest of a burst in its socket buffer): perfdhcp
 * (kea-admin) as a relay sends thousands of DISCOVERs from random MACs and never REQUESTs (-i), then
 * hundreds from a single MAC. The offers are limited to the relay's burst and rate and to the MAC's
 * burst; the pool fills with offers never REQUESTed, and a real client (busybox udhcpc, then ISC
 * dhclient with another MAC) still gets a lease at once, from the oldest of them. The server's open
 * descriptors and VmRSS (/proc/&lt;pid&gt;) stay flat, and its lease journal never has an address held
 * by two MACs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DhcpFloodTest {
  private static final String MAC = "02:42:0a:5b:00:02";
  private static final String SECOND_MAC = "02:42:0a:5b:00:03";
  private static final int POOL = 200;
  private static final int RATE = 2000;
  private static final int SECONDS = 3;
  private static final int RELAY_BURST = 300;
  private static final int RELAY_RATE = 50;

  @TempDir
  Path dir;

  @Test
  void aBurstOfSpoofedDiscoversIsLimitedAndARealClientStillGetsALeaseAtOnce() throws Exception {
    String perfdhcp = Gate.requireCommand("perfdhcp", "kea-admin").toString();
    String udhcpc = Gate.requireCommand("udhcpc", "udhcpc").toString();
    String dhclient = Gate.requireCommand("dhclient", "isc-dhcp-client").toString();
    try (DhcpLab lab = new DhcpLab("10.91.0.1/16", MAC)) {
      // GIVEN our server with a pool of 200 addresses; perfdhcp's address
      // on the client link (it relays: giaddr 10.91.0.2)
      lab.client.address(DhcpLab.DEV, "10.91.0.2/16");
      JsonObject config = new JsonObject()
          .put("dataDir", dir.resolve("data").toString())
          .put("publicHost", "10.91.0.1")
          .put("dhcp", new JsonObject()
              .put("mode", "full").put("bindHost", "0.0.0.0").put("port", 67).put("serverAddress", "10.91.0.1")
              .put("offerBurstPerRelay", RELAY_BURST).put("offerRatePerRelay", RELAY_RATE)
              .put("pools", new JsonArray().add(new JsonObject().put("subnet", "10.91.0.0/16")
                  .put("rangeStart", "10.91.1.1").put("rangeEnd", "10.91.1." + POOL).put("router", "10.91.0.1"))));
      Proc.Running server = lab.startServer(config, dir);
      long pid = server.pid();
      long fdsBefore = fds(pid);
      long rssBefore = rssKiB(pid);

      // WHEN perfdhcp sends DISCOVERs from random MACs at 2000/s for 3 s, never REQUESTing (-i) (again, up
      // to 3 runs, until the pool is all offers: on 2 busy cores the server may answer fewer than 200 in one)
      LeaseJournal journal = LeaseJournal.inDataDir(dir.resolve("data"));
      long floodStart = System.nanoTime();
      int discovers = 0;
      int offers = 0;
      String out = "";
      for (int run = 0; run < 3 && offersHeld(journal) < POOL; run++) {
        Proc.Result flood = lab.client.exec(Duration.ofSeconds(60), perfdhcp, "-4", "-l", "10.91.0.2", "-r",
            Integer.toString(RATE), "-p", Integer.toString(SECONDS), "-R", "100000000", "-i", "10.91.0.1");
        out = flood.output();
        assertThat(flood.exit()).as(out).isIn(0, 3); // 3: unanswered DISCOVERs, which is the point
        discovers += first(out, "sent packets: (\\d+)");
        offers += first(out, "received packets: (\\d+)");
      }
      double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
      long fdsAfterFlood = fds(pid);
      long rssAfterFlood = rssKiB(pid);

      // THEN the relay got at most its burst of offers and its rate after it
      assertThat(discovers).as(out).isGreaterThan(2000);
      assertThat(offers).as(out).isLessThanOrEqualTo(RELAY_BURST + (int) (RELAY_RATE * (floodSeconds + 2)));

      // WHEN one spoofed MAC sends 500 DISCOVERs (perfdhcp -R 1: a single client)
      Proc.Result oneMac = lab.client.exec(Duration.ofSeconds(60), perfdhcp, "-4", "-l", "10.91.0.2", "-r", "500",
          "-p", "1", "-R", "1", "-b", "mac=02:42:0a:5b:ff:01", "-i", "10.91.0.1");
      // THEN it is answered its burst of 8 (and maybe one refill), not 500 times
      int oneMacDiscovers = first(oneMac.output(), "sent packets: (\\d+)");
      int oneMacOffers = first(oneMac.output(), "received packets: (\\d+)");
      assertThat(oneMacDiscovers).as(oneMac.output()).isGreaterThan(100);
      assertThat(oneMacOffers).as(oneMac.output()).isBetween(8, 9);

      // AND the whole pool is held by offers nobody REQUESTed
      List<Lease> held = LeaseStore.replay(journal.load()).held(System.currentTimeMillis());
      assertThat(held).hasSize(POOL).allMatch(l -> l.state() == State.OFFERED);

      // WHEN a real client asks for an address (udhcpc on the same link, not relayed)
      Path log = dir.resolve("udhcpc.log");
      Path script = script("udhcpc.sh", "#!/bin/sh\necho \"event=$1 ip=$ip serverid=$serverid\" >> " + log + "\nexit 0\n");
      long clientStart = System.nanoTime();
      Proc.Result real = lab.client.exec(Duration.ofSeconds(30), udhcpc, "-f", "-q", "-n", "-i", DhcpLab.DEV,
          "-s", script.toString(), "-t", "5", "-T", "1", "-A", "1");
      double udhcpcSeconds = (System.nanoTime() - clientStart) / 1e9;

      // THEN it gets a lease of the pool at once: the oldest offer's address
      assertThat(real.exit()).as(real.output()).isZero();
      String bound = Files.readAllLines(log).stream().filter(l -> l.startsWith("event=bound")).findFirst()
          .orElseThrow(() -> new AssertionError("udhcpc bound nothing:\n" + real.output()));
      Ipv4 address = Ipv4.parse(bound.replaceAll(".* ip=(\\S+) .*", "$1"));
      assertThat(address.compareTo(Ipv4.parse("10.91.1.1"))).isGreaterThanOrEqualTo(0);
      assertThat(address.compareTo(Ipv4.parse("10.91.1." + POOL))).isLessThanOrEqualTo(0);
      assertThat(udhcpcSeconds).as("udhcpc's time to a lease, s").isLessThan(10);
      server.await("EVENT DHCP_LEASE " + MAC + " " + address, Duration.ofSeconds(10));

      // AND so does ISC dhclient, with another MAC (its own script only logs)
      lab.client.mac(DhcpLab.DEV, SECOND_MAC);
      Path dhclientLog = dir.resolve("dhclient.log");
      Path dhclientScript = script("dhclient.sh", "#!/bin/sh\necho \"reason=$reason ip=$new_ip_address\" >> "
          + dhclientLog + "\nexit 0\n");
      Path conf = Files.writeString(dir.resolve("dhclient.conf"), "timeout 20;\nretry 1;\n");
      long dhclientStart = System.nanoTime();
      // (-1: one try; it daemonizes once bound, and the lab ends it)
      Proc.Result second = lab.client.exec(Duration.ofSeconds(40), dhclient, "-1", "-v", "-cf", conf.toString(),
          "-lf", dir.resolve("dhclient.leases").toString(), "-pf", dir.resolve("dhclient.pid").toString(),
          "-sf", dhclientScript.toString(), DhcpLab.DEV);
      double dhclientSeconds = (System.nanoTime() - dhclientStart) / 1e9;
      assertThat(second.exit()).as(second.output()).isZero();
      server.await(Match.prefix("EVENT DHCP_LEASE " + SECOND_MAC + " 10.91.1."), Duration.ofSeconds(10));
      String dhclientBound = Files.readAllLines(dhclientLog).stream().filter(l -> l.startsWith("reason=BOUND"))
          .findFirst().orElseThrow(() -> new AssertionError("dhclient bound nothing:\n" + second.output()));

      // AND the server's reports (a line per 10 s with limiting) account for the DISCOVERs it did not answer
      long[] limited = limitedSoFar(server);
      for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
          limited[0] < oneMacDiscovers - oneMacOffers - 10 && System.nanoTime() < deadline; Thread.sleep(200)) {
        limited = limitedSoFar(server);
      }
      assertThat(limited[0]).as("DISCOVERs not answered over the MAC limit").isBetween(
          (long) oneMacDiscovers - oneMacOffers - 10, (long) oneMacDiscovers - oneMacOffers);
      // (the rest of the random MACs' DISCOVERs the kernel dropped, its receive buffer full: counted in the
      // server namespace's UDP RcvbufErrors)
      long rcvbufErrors = udpRcvbufErrors(lab.server) + udpRcvbufErrors(lab.client);
      assertThat(limited[1]).as("DISCOVERs not answered over the relay limit").isPositive()
          .isLessThanOrEqualTo(discovers - offers);
      // (90%: the last DISCOVERs of the backlog may be answered too late for perfdhcp, or limited after the report)
      assertThat(limited[1] + rcvbufErrors).as("relay-limited + dropped by the kernel")
          .isGreaterThanOrEqualTo((long) ((discovers - offers) * 0.9));
      assertThat(limited[2]).as("offers taken back for new clients").isGreaterThan(offers - POOL - 10);
      long fdsAfter = fds(pid);
      long rssAfter = rssKiB(pid);
      System.out.printf("DhcpFloodTest: %d DISCOVERs from random MACs in %.1f s -> %d OFFERs; 1 MAC: %d DISCOVERs -> %d"
          + " OFFERs; udhcpc bound %s in %.2f s; dhclient %s (%.1f s); server /proc/%d/fd %d before, %d after the"
          + " floods, %d at the end; VmRSS %d KiB before, %d after the floods, %d at the end; server counted %d over"
          + " the MAC limit, %d over the relay limit, %d offers taken back; UDP RcvbufErrors in the namespaces: %d%n",
          discovers, floodSeconds, offers, oneMacDiscovers, oneMacOffers, address, udhcpcSeconds, dhclientBound,
          dhclientSeconds, pid, fdsBefore, fdsAfterFlood, fdsAfter, rssBefore, rssAfterFlood, rssAfter, limited[0], limited[1],
          limited[2], rcvbufErrors);

      // AND the server's descriptors and memory stayed flat
      assertThat(fdsAfterFlood - fdsBefore).as("descriptors the flood left open").isLessThanOrEqualTo(8);
      assertThat(rssAfterFlood - rssBefore).as("VmRSS growth in the flood, KiB").isLessThan(128 * 1024);

      // AND no address was given to a MAC while another held it, at any point of the journal (a reclaimed
      // offer is journaled RELEASED before its address is offered again)
      Map<Ipv4, Lease> holder = new HashMap<>();
      long now = System.currentTimeMillis();
      for (Lease lease : journal.load()) {
        if (lease.state() == State.OFFERED || lease.state() == State.BOUND) {
          long madeAt = lease.expiresAtMs() - 1000L * (lease.state() == State.OFFERED ? 60 : 3600);
          Lease previous = holder.get(lease.ip());
          assertThat(previous == null || previous.mac().equals(lease.mac()) || previous.expiresAtMs() <= madeAt)
              .as("%s given to %s while %s held it", lease.ip(), lease.mac(), previous).isTrue();
          holder.put(lease.ip(), lease);
        } else {
          holder.remove(lease.ip());
        }
      }
      List<Lease> end = LeaseStore.replay(journal.load()).held(now);
      assertThat(end).filteredOn(l -> l.state() == State.BOUND).extracting(Lease::mac)
          .containsExactlyInAnyOrder(MAC, SECOND_MAC);
    }
  }

  private static final Pattern REPORT = Pattern.compile("offer limits in the last \\d+ s: (\\d+) DISCOVERs not answered"
      + " over dhcp.offerRatePerMacPerMinute, (\\d+) over dhcp.offerRatePerRelay; (\\d+) offers");

  /** The server's report lines summed: DISCOVERs refused by the MAC limit, by the relay limit, offers taken back. */
  private static long[] limitedSoFar(Proc.Running server) {
    long[] sum = new long[3];
    for (Proc.Line line : server.lines()) {
      Matcher m = REPORT.matcher(line.text());
      if (m.find()) {
        for (int i = 0; i < 3; i++) {
          sum[i] += Long.parseLong(m.group(i + 1));
        }
      }
    }
    return sum;
  }

  private static long offersHeld(LeaseJournal journal) throws IOException {
    return LeaseStore.replay(journal.load()).held(System.currentTimeMillis()).stream()
        .filter(l -> l.state() == State.OFFERED).count();
  }

  /** Datagrams the kernel of the server namespace dropped for a full socket buffer (/proc/net/snmp, Udp:). */
  private static long udpRcvbufErrors(io.boottorrent.testsupport.NetnsLab.Ns ns) throws Exception {
    List<String> udp = ns.run("cat", "/proc/net/snmp").lines().filter(l -> l.startsWith("Udp: ")).toList();
    List<String> names = List.of(udp.get(0).split("\\s+"));
    return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("RcvbufErrors")]);
  }

  private Path script(String name, String text) throws IOException {
    Path file = Files.writeString(dir.resolve(name), text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  private static int first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new AssertionError("'" + regex + "' not in perfdhcp output:\n" + text);
    }
    return Integer.parseInt(m.group(1));
  }

  static long fds(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.count();
    }
  }

  static long rssKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new AssertionError("no VmRSS for " + pid);
  }
}
