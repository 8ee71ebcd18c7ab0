package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease;
import io.boottorrent.dhcp.LeaseJournal;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DHCP and TFTP services as real processes ({@code boottorrent serve --services dhcp}, then
 * {@code tftp}) in a server namespace, clients in a client namespace (10.93.0.0/16), each service
 * killed with SIGKILL mid-load and started again on the same data dir (issue 13, "Faults"). DHCP: no
 * lease perfdhcp was ACKed is lost or handed to another MAC after the restart. TFTP: a transfer cut by
 * the kill is retried, as PXE firmware does, and completes byte for byte from the restarted server.
 */
@Tag("faults")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DhcpTftpRestartTest {
  static final String DEV = "veth0";
  static final int KILLS = 3;

  @TempDir static Path dir;
  private NetnsLab lab;
  private NetnsLab.Ns server;
  private NetnsLab.Ns client;

  @BeforeAll
  void network() throws Exception {
    NetnsLab.require("DHCP and TFTP restarts need network namespaces and ports 67 and 69");
    lab = NetnsLab.create("btfr");
    server = lab.namespace("server");
    client = lab.namespace("client");
    lab.veth(server, DEV, client, DEV);
    server.address(DEV, "10.93.0.1/16");
    server.broadcastRoute(DEV);
    client.address(DEV, "10.93.0.2/16");
  }

  @AfterAll
  void close() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void theLeaseJournalKeepsEveryAcknowledgedLeaseThroughKillsMidPerfdhcp() throws Exception {
    String perfdhcp = Gate.requireCommand("perfdhcp", "kea-admin").toString();
    Path dataDir = Files.createDirectories(dir.resolve("dhcp"));
    Path config = config("dhcp", dataDir, new JsonObject().put("dhcp", new JsonObject()
        .put("mode", "full").put("bindHost", "0.0.0.0").put("port", 67).put("serverAddress", "10.93.0.1")
        .put("leaseSeconds", 3600)
        .put("pools", new JsonArray().add(new JsonObject().put("subnet", "10.93.0.0/16")
            .put("rangeStart", "10.93.1.0").put("rangeEnd", "10.93.255.254").put("router", "10.93.0.1")))));
    Proc.Running dhcp = start("dhcp", config);
    // (a 1 s warm-up, so that the first round's kill does not fall before the first ACK)
    Proc.Result warmUp = client.exec(Duration.ofSeconds(30), perfdhcp, "-4", "-l", "10.93.0.2", "-r", "300", "-p", "1",
        "-R", "1000000", "-b", "mac=00:0c:0f:00:00:00", "10.93.0.1");
    int ackedTotal = all(warmUp.output(), "received packets: (\\d+)").get(1);
    Map<String, Ipv4> acknowledged = new HashMap<>();
    int ackedInKillRounds = 0;
    for (int kill = 1; kill <= KILLS; kill++) {
      // WHEN perfdhcp runs DORA exchanges (new MACs each round) and the server is killed at a random moment
      Proc.Running load = client.command(perfdhcp, "-4", "-l", "10.93.0.2", "-r", "300", "-p", "6", "-R", "1000000",
          "-b", String.format("mac=00:0c:%02x:00:00:00", kill), "-u", "10.93.0.1").name("perfdhcp-" + kill).start();
      long delay = ThreadLocalRandom.current().nextLong(1500, 4000);
      Thread.sleep(delay);
      dhcp.process().destroyForcibly();
      assertThat(dhcp.waitFor(Duration.ofSeconds(10))).isTrue();
      Proc.Result run = load.finish(Duration.ofSeconds(60));
      int acks = all(run.output(), "received packets: (\\d+)").get(1);
      ackedTotal += acks;
      ackedInKillRounds += acks;
      // THEN the journal, as the kill left it, holds a BOUND lease for at least every ACK perfdhcp received
      List<Lease> journal = LeaseJournal.inDataDir(dataDir).load();
      Map<String, Ipv4> bound = boundLeases(journal);
      System.out.printf(Locale.ROOT, "DHCP killed %.1f s into perfdhcp round %d: %d ACKs received, %d leases bound "
          + "in the journal left behind%n", delay / 1000.0, kill, acks, bound.size());
      assertThat(bound.size()).as("bound leases after kill " + kill).isGreaterThanOrEqualTo(ackedTotal);
      assertThat(bound).as("leases bound before this kill").containsAllEntriesOf(acknowledged);
      acknowledged.putAll(bound);
      // AND the server starts again on that journal
      long restarted = System.nanoTime();
      dhcp = start("dhcp", config);
      System.out.printf(Locale.ROOT, "DHCP restarted: serving %.1f s after the start%n",
          (System.nanoTime() - restarted) / 1e9);
    }
    // (some kill fell between ACKs: each lease is forced to the journal before its ACK, so a slow shared
    // disk can delay ACKs past perfdhcp's 1 s timeout in one round, never in all of them)
    assertThat(ackedInKillRounds).as("ACKs perfdhcp received in the rounds that were cut").isPositive();
    // WHEN more clients come after the last restart
    Proc.Result after = client.exec(Duration.ofSeconds(60), perfdhcp, "-4", "-l", "10.93.0.2", "-r", "100", "-p", "5",
        "-R", "1000000", "-b", "mac=00:0c:ff:00:00:00", "-u", "10.93.0.1");
    assertThat(all(after.output(), "received packets: (\\d+)").get(1)).as(after.output()).isPositive();
    assertThat(all(after.output(), "non unique addresses: (\\d+)")).as(after.output()).containsOnly(0);
    // THEN every lease bound before a kill is still that MAC's, and no address is held by two MACs
    List<Lease> journal = LeaseJournal.inDataDir(dataDir).load();
    Map<Ipv4, Set<String>> holders = new HashMap<>();
    for (Lease lease : journal) {
      holders.computeIfAbsent(lease.ip(), k -> new HashSet<>()).add(lease.mac());
    }
    assertThat(boundLeases(journal)).containsAllEntriesOf(acknowledged);
    assertThat(holders.entrySet()).as("addresses given to more than one MAC").filteredOn(e -> e.getValue().size() > 1)
        .isEmpty();
    System.out.printf(Locale.ROOT, "DHCP after %d kills: %d leases ACKed before a kill, all kept; %d leases, "
        + "no address held twice%n", KILLS, acknowledged.size(), journal.size());
    dhcp.close();
  }

  @Test
  void aTftpTransferCutByAKillIsRetriedAndCompletesFromTheRestartedServer() throws Exception {
    String tftp = Gate.requireCommand("tftp", "tftp-hpa").toString();
    Path root = Files.createDirectories(dir.resolve("tftp-root"));
    Stack.writeRandom(root.resolve("big.bin"), 24L << 20, 93);
    Path config = config("tftp", Files.createDirectories(dir.resolve("tftp")), new JsonObject().put("tftp",
        new JsonObject().put("bindHost", "0.0.0.0").put("port", 69).put("root", root.toString())));
    Proc.Running tftpd = start("tftp", config);
    Path out = dir.resolve("fetched.bin");
    // WHEN tftp-hpa fetches a 24 MiB file in 512-byte blocks and the server is killed mid-transfer
    Proc.Running cut = client.command(tftp, "-m", "binary", "10.93.0.1", "-c", "get", "big.bin", out.toString())
        .name("tftp-cut").start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!(Files.exists(out) && Files.size(out) > (1 << 20))) {
      assertThat(System.nanoTime()).as("the transfer started; tftp says " + cut.output()).isLessThan(deadline);
      Thread.sleep(20);
    }
    long had = Files.size(out);
    tftpd.process().destroyForcibly();
    assertThat(tftpd.waitFor(Duration.ofSeconds(10))).isTrue();
    Proc.Result failed = cut.finish(Duration.ofSeconds(120));
    System.out.printf(Locale.ROOT, "TFTP killed with %d of %d bytes sent: tftp-hpa exited %d (%s)%n", had, 24L << 20,
        failed.exit(), failed.output().strip().lines().reduce((a, b) -> b).orElse(""));
    assertThat(Files.mismatch(out, root.resolve("big.bin"))).as("a cut transfer is not the file").isNotEqualTo(-1L);
    // AND started again
    long restarted = System.nanoTime();
    tftpd = start("tftp", config);
    // THEN the client's retries (with back-off, as firmware retries) fetch the whole file, byte for byte
    int attempts = 0;
    long backoff = 500;
    Proc.Result fetched;
    do {
      attempts++;
      Files.deleteIfExists(out);
      fetched = client.exec(Duration.ofSeconds(120), tftp, "-m", "binary", "10.93.0.1", "-c", "get", "big.bin",
          out.toString());
      if (fetched.ok() && Files.exists(out) && Files.mismatch(out, root.resolve("big.bin")) == -1L) {
        break;
      }
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, 8000);
    } while (attempts < 6);
    System.out.printf(Locale.ROOT, "TFTP restarted: the file fetched whole at attempt %d, %.1f s after the restart%n",
        attempts, (System.nanoTime() - restarted) / 1e9);
    assertThat(Files.mismatch(out, root.resolve("big.bin"))).as(fetched.output()).isEqualTo(-1L);
    tftpd.close();
  }

  private Path config(String name, Path dataDir, JsonObject own) throws Exception {
    JsonObject config = own.copy().put("dataDir", dataDir.toString()).put("publicHost", "10.93.0.1")
        .put("health", new JsonObject().put("port", -1));
    return Files.writeString(dir.resolve(name + ".yaml"), config.encodePrettily());
  }

  /** {@code boottorrent serve --services <service>} in the server namespace, once it runs. */
  private Proc.Running start(String service, Path config) throws Exception {
    Proc.Running running = server.java("io.boottorrent.cli.Main", "serve", "--services", service, "--config",
        config.toString()).name(service).log(Path.of("target", "dhcp-tftp-restart", service + ".log")).start();
    ClusterLab.awaitRunning(running);
    return running;
  }

  private static Map<String, Ipv4> boundLeases(List<Lease> journal) {
    Map<String, Ipv4> bound = new HashMap<>();
    for (Lease lease : journal) {
      if (lease.state() == Lease.State.BOUND) {
        bound.put(lease.mac(), lease.ip());
      }
    }
    return bound;
  }

  private static List<Integer> all(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    List<Integer> out = new ArrayList<>();
    while (m.find()) {
      out.add(Integer.parseInt(m.group(1)));
    }
    if (out.isEmpty()) {
      throw new AssertionError("'" + regex + "' not in perfdhcp output:\n" + text);
    }
    return out;
  }
}
