package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load from ISC Kea's perfdhcp (package kea-admin) for a fixed 3 seconds, in a client namespace
 * against our server in a server namespace (10.213.0.0/16 only, both created and deleted here).
 * perfdhcp acts as a relay (giaddr = its address) with sequential client MACs, so every exchange is a
 * new client: no address may show up twice, neither in perfdhcp's own uniqueness check ({@code -u})
 * nor in our lease journal. Prints the rate.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PerfdhcpTest {
  private static final int RATE = 1000;
  private static final int SECONDS = 3;

  @TempDir
  Path dir;

  @Test
  void sustainedLoadNeverHandsOutAnAddressTwice() throws Exception {
    String perfdhcp = Gate.requireCommand("perfdhcp", "kea-admin").toString();
    try (DhcpLab lab = new DhcpLab("10.213.0.1/16", "02:42:0a:d5:00:02")) {
      // GIVEN our server with a /16 pool and perfdhcp's namespace on the same link
      lab.client.address(DhcpLab.DEV, "10.213.0.2/16");
      JsonObject config = new JsonObject()
          .put("dataDir", dir.resolve("data").toString())
          .put("publicHost", "10.213.0.1")
          .put("dhcp", new JsonObject()
              .put("mode", "full").put("bindHost", "0.0.0.0").put("port", 67).put("serverAddress", "10.213.0.1")
              .put("leaseSeconds", 3600)
              // a throughput test: perfdhcp's thousands of new MACs from one relay would meet dhcp.offerRatePerRelay
              .put("offerBurstPerRelay", 1_000_000).put("offerRatePerRelay", 1_000_000)
              .put("pools", new JsonArray().add(new JsonObject().put("subnet", "10.213.0.0/16")
                  .put("rangeStart", "10.213.1.0").put("rangeEnd", "10.213.255.254").put("router", "10.213.0.1"))));
      lab.startServer(config, dir);

      // (a 1 s warm-up with other client MACs, so the measured rate is not the JIT's)
      lab.client.exec(Duration.ofSeconds(30), perfdhcp, "-4", "-l", "10.213.0.2", "-r", "300", "-p", "1", "-R", "1000000",
          "-b", "mac=00:0c:02:00:00:00", "10.213.0.1");

      // WHEN perfdhcp runs DORA exchanges at a fixed rate for a few seconds (-u: check uniqueness)
      Proc.Result run = lab.client.exec(Duration.ofSeconds(60), perfdhcp, "-4", "-l", "10.213.0.2", "-r", Integer.toString(RATE),
          "-p", Integer.toString(SECONDS), "-R", "1000000", "-u", "-x", "e", "10.213.0.1");
      String out = run.output();

      // THEN it completed exchanges, saw no duplicate address, and neither did our journal
      assertThat(run.exit()).as(out).isIn(0, 3); // 3: finished, some packets dropped
      double rate = Double.parseDouble(find(out, "Rate: ([0-9.]+) 4-way exchanges/second"));
      List<Integer> received = all(out, "received packets: (\\d+)");
      List<Integer> nonUnique = all(out, "non unique addresses: (\\d+)");
      assertThat(received).as(out).hasSize(2);
      int acks = received.get(1);
      System.out.printf("perfdhcp against DhcpVerticle: %.1f DORA exchanges/s for %d s (asked %d/s), %d ACKs, "
          + "drops DO %s / RA %s%n", rate, SECONDS, RATE, acks, all(out, "drops: (\\d+)").get(0), all(out, "drops: (\\d+)").get(1));
      assertThat(nonUnique).as(out).containsExactly(0, 0);
      assertThat(acks).as(out).isGreaterThan(RATE * SECONDS / 4);

      Map<Ipv4, Set<String>> holders = new HashMap<>();
      Map<String, Set<Ipv4>> addressesOf = new HashMap<>();
      Set<String> boundMacs = new HashSet<>();
      LeaseJournal journal = LeaseJournal.inDataDir(dir.resolve("data"));
      long deadline = System.currentTimeMillis() + 5000;
      List<Lease> records = journal.load();
      while (records.stream().filter(l -> l.state() == State.BOUND).count() < acks && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
        records = journal.load();
      }
      for (Lease lease : records) {
        assertThat(lease.state()).isIn(State.OFFERED, State.BOUND); // perfdhcp neither releases nor declines
        holders.computeIfAbsent(lease.ip(), k -> new HashSet<>()).add(lease.mac());
        addressesOf.computeIfAbsent(lease.mac(), k -> new HashSet<>()).add(lease.ip());
        if (lease.state() == State.BOUND) {
          boundMacs.add(lease.mac());
        }
      }
      assertThat(holders.entrySet()).as("addresses given to more than one MAC")
          .filteredOn(e -> e.getValue().size() > 1).isEmpty();
      assertThat(addressesOf.entrySet()).as("MACs given more than one address")
          .filteredOn(e -> e.getValue().size() > 1).isEmpty();
      assertThat(boundMacs.size()).as("a lease in our journal for every ACK perfdhcp received").isGreaterThanOrEqualTo(acks);
    }
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new AssertionError("'" + regex + "' not in perfdhcp output:\n" + text);
    }
    return m.group(1);
  }

  private static List<Integer> all(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    List<Integer> out = new java.util.ArrayList<>();
    while (m.find()) {
      out.add(Integer.parseInt(m.group(1)));
    }
    return out;
  }
}
