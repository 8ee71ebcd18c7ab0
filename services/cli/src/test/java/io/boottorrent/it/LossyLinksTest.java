package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.Verifier;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.LogFiles;
import io.boottorrent.testsupport.LossyLink.Counts;
import io.boottorrent.testsupport.LossyLink;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, faults: 5% packet loss and 0–50 ms of jitter on the client links. Every protocol a
 * booting machine speaks — DHCP (dhclient, udhcpc), TFTP (atftp, tftp-hpa), HTTP boot (curl) and the
 * swarm (three agents) — first over a clean link, then over the lossy one, in the same lab and
 * against the same server process; each must complete byte-identical both times, and the time cost
 * is printed as a ratio (docs/SECURITY.md "Faults: loss, jitter and a DHCP storm").
 *
 * <p>The lab is {@link FaultLab}: our services in a server namespace, the clients and agents in a
 * client namespace, a veth pair between them. The lossy link is {@link LossyLink} (iptables
 * NFQUEUE to a program that drops and delays each packet): packets from the clients are queued as the server's namespace receives them, packets
 * to the clients as the client namespace receives them, packets from agent to agent (loopback in the
 * client namespace) count as two links. DHCP clients send and receive on raw sockets, which iptables
 * does not see in their own namespace: the server's DHCP replies are queued as it sends them.
 */
@Tag("faults")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LossyLinksTest {
  static final double LOSS = 0.05;
  static final int JITTER_MS = 50;
  static final String SERVER = FaultLab.SERVER;
  static final String CLIENT_MAC = FaultLab.CLIENT_MAC;
  static final String DEV = FaultLab.DEV;
  static final int HTTP_PORT = FaultLab.HTTP_PORT;
  /** DHCP leases per client and condition. */
  static final int DHCP_RUNS = 20;
  static final int AGENTS = 3;
  static final long IMAGE_BYTES = 6L << 20;

  @TempDir static Path dir;
  private FaultLab fault;
  private Ns srv;
  private Ns cli;
  private Path boot;
  private Path logs;
  private LossyLink srvLink;
  private LossyLink cliLink;
  private final List<String> summary = new ArrayList<>();

  @BeforeAll
  void lab() throws Exception {
    NetnsLab.require("the lossy-link tests need network namespaces and ports 67/69");
    LossyLink.require();
    // GIVEN our services in the server namespace, boot files in the catalog's client-image folder and the TFTP root
    fault = new FaultLab(dir, "lossy-links");
    srv = fault.srv;
    cli = fault.cli;
    boot = fault.boot;
    logs = fault.logs;

    // AND the lossy link's program in both namespaces, not yet given any packet
    srvLink = LossyLink.start(srv, LOSS, JITTER_MS, 13, Map.of(0, 1), logs.resolve("lossy-link-srv.log"));
    cliLink = LossyLink.start(cli, LOSS, JITTER_MS, 17, Map.of(0, 1, 1, 2), logs.resolve("lossy-link-cli.log"));
  }

  @AfterAll
  void tearDown() {
    System.out.println("lossy links (" + (int) (LOSS * 100) + "% loss, 0-" + JITTER_MS + " ms jitter per link):");
    summary.forEach(line -> System.out.println("  " + line));
    for (AutoCloseable c : new AutoCloseable[] {cliLink, srvLink, fault}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("LossyLinksTest: " + e);
      }
    }
  }

  /** Puts every client link through loss and jitter (see the class comment for where each rule sits). */
  private void lossy() throws Exception {
    srvLink.queue(0, "INPUT", "-i", DEV);
    srvLink.queue(0, "OUTPUT", "-o", DEV, "-p", "udp", "--sport", "67");
    cliLink.pass("INPUT", "-i", DEV, "-p", "udp", "--dport", "68"); // already queued at the server's OUTPUT
    cliLink.queue(0, "INPUT", "-i", DEV);
    cliLink.queue(1, "INPUT", "-i", "lo");
  }

  private void clean() throws Exception {
    srvLink.clear();
    cliLink.clear();
  }

  private Counts counts() throws Exception {
    return srvLink.counts(0).plus(cliLink.counts(0)).plus(cliLink.counts(1));
  }

  /** Runs {@code body} clean, then lossy; returns {clean seconds, lossy seconds} and records the line. */
  private double[] compare(String what, int runs, Timed body) throws Exception {
    clean();
    double cleanSeconds = body.run("clean");
    Counts before = counts();
    lossy();
    double lossySeconds;
    try {
      lossySeconds = body.run("lossy");
    } finally {
      clean();
    }
    Counts packets = counts().minus(before);
    String line = String.format("%-34s %2d run(s): clean %7.2f s, lossy %7.2f s, x%.1f; lossy link: %s", what, runs,
        cleanSeconds, lossySeconds, lossySeconds / cleanSeconds, packets);
    System.out.println("lossy links: " + line);
    summary.add(line);
    // the faults really happened: packets were dropped and delayed about as asked
    // (a fixed seed: the same draws every run; bounds only where the sample is large enough to hold them)
    assertThat(packets.delayMsSum()).as(what + ": packets delayed").isPositive();
    if (packets.seen() * LOSS >= 5) { // (else no drop at all is not unlikely enough to fail for)
      assertThat(packets.dropped()).as(what + ": packets dropped").isPositive();
    }
    if (packets.seen() > 1000) {
      assertThat(packets.lossRate()).as(what + ": loss rate").isBetween(LOSS * 0.6, LOSS * 2.2);
      assertThat(packets.meanDelayMs()).as(what + ": mean delay").isBetween(JITTER_MS * 0.35, JITTER_MS * 1.1);
    }
    return new double[] {cleanSeconds, lossySeconds};
  }

  interface Timed {
    /** One condition's runs; returns their total time in seconds (what the comparison is about). */
    double run(String condition) throws Exception;
  }

  @Test
  @Order(1)
  void dhclientGetsALeaseThroughLossAndJitter() throws Exception {
    String dhclient = Gate.requireCommand("dhclient", "isc-dhcp-client").toString();
    // initial-interval 1: retransmit after a second, as PXE firmware does (ISC's default waits longer)
    Path conf = Files.writeString(dir.resolve("dhclient.conf"), "timeout 60;\nretry 1;\ninitial-interval 1;\n"
        + "request subnet-mask, routers;\n");
    Path log = dir.resolve("dhclient-script.log");
    // only logs what it got: the client namespace keeps its static address for the other tests
    Path script = script("dhclient-script.sh", "#!/bin/sh\necho \"reason=$reason ip=$new_ip_address\" >> " + log + "\n");
    compare("DHCP dhclient (DORA)", DHCP_RUNS, condition -> {
      double total = 0;
      for (int i = 0; i < DHCP_RUNS; i++) {
        Path leases = dir.resolve("dhclient-" + condition + "-" + i + ".leases"); // none: a full DISCOVER each time
        Path pid = dir.resolve("dhclient.pid");
        // WHEN dhclient asks for a lease (-1: one try; it returns once bound)
        Proc.Result run = cli.exec(Duration.ofSeconds(90), dhclient, "-1", "-v", "-cf", conf.toString(),
            "-lf", leases.toString(), "-pf", pid.toString(), "-sf", script.toString(), DEV);
        cli.exec(Duration.ofSeconds(30), dhclient, "-x", "-cf", conf.toString(), "-lf", leases.toString(),
            "-pf", pid.toString(), "-sf", script.toString(), DEV);
        // THEN it is bound, and our journal holds that lease for its MAC
        assertThat(run.exit()).as(run.output()).isZero();
        String bound = LogFiles.lastLine(log, "reason=BOUND");
        fault.assertBound(CLIENT_MAC, bound.replaceAll(".* ip=(\\S+).*", "$1"));
        total += run.elapsed().toMillis() / 1000.0;
        Files.delete(log);
      }
      return total;
    });
  }

  @Test
  @Order(2)
  void udhcpcGetsALeaseThroughLossAndJitter() throws Exception {
    String udhcpc = Gate.requireCommand("udhcpc", "udhcpc").toString();
    Path log = dir.resolve("udhcpc-script.log");
    Path script = script("udhcpc-script.sh", "#!/bin/sh\necho \"event=$1 ip=$ip\" >> " + log + "\n");
    compare("DHCP udhcpc (DORA)", DHCP_RUNS, condition -> {
      double total = 0;
      for (int i = 0; i < DHCP_RUNS; i++) {
        // WHEN udhcpc asks for a lease (-q: quit once bound; -T 1: retransmit after a second)
        Proc.Result run = cli.exec(Duration.ofSeconds(90), udhcpc, "-f", "-q", "-n", "-i", DEV, "-s", script.toString(),
            "-t", "30", "-T", "1", "-A", "1");
        assertThat(run.exit()).as(run.output()).isZero();
        fault.assertBound(CLIENT_MAC, LogFiles.lastLine(log, "event=bound").replaceAll(".* ip=(\\S+).*", "$1"));
        total += run.elapsed().toMillis() / 1000.0;
        Files.delete(log);
      }
      return total;
    });
  }

  @Test
  @Order(3)
  void atftpAndTftpHpaFetchByteIdenticalThroughLossAndJitter() throws Exception {
    String atftp = Gate.requireCommand("atftp", "atftp").toString();
    String tftp = Gate.requireCommand("tftp", "tftp-hpa").toString();
    Path source = boot.resolve("undionly.kpxe");
    // atftp as iPXE asks: 1428-byte blocks in windows of 8 (RFC 2348, 7440); tftp-hpa: 512-byte lockstep
    compare("TFTP atftp blksize 1428 window 8", 1, condition -> {
      Path dest = dir.resolve("atftp-" + condition + ".bin");
      Proc.Result run = cli.exec(Duration.ofSeconds(120), atftp, "--get", "-r", "undionly.kpxe", "-l", dest.toString(),
          "--option", "blksize 1428", "--option", "windowsize 8", "--tftp-timeout", "1", SERVER);
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(Files.mismatch(source, dest)).as("atftp %s copy: first differing byte", condition).isEqualTo(-1L);
      return run.elapsed().toMillis() / 1000.0;
    });
    compare("TFTP tftp-hpa (512 B lockstep)", 1, condition -> {
      Path dest = dir.resolve("tftp-hpa-" + condition + ".bin");
      Proc.Result run = cli.exec(Duration.ofSeconds(150), tftp, "-m", "binary", SERVER, "-c", "get", "undionly.kpxe",
          dest.toString());
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(Files.mismatch(source, dest)).as("tftp-hpa %s copy: first differing byte", condition).isEqualTo(-1L);
      return run.elapsed().toMillis() / 1000.0;
    });
  }

  @Test
  @Order(4)
  void curlFetchesTheBootFilesByteIdenticalThroughLossAndJitter() throws Exception {
    String curl = Gate.requireCommand("curl", "curl").toString();
    String base = "http://" + SERVER + ":" + HTTP_PORT + "/boot/";
    compare("HTTP boot curl (script+3 MiB) x2", 2, condition -> {
      double total = 0;
      for (int i = 0; i < 2; i++) {
        Path dest = Files.createDirectories(dir.resolve("http-" + condition + "-" + i));
        // WHEN curl fetches what iPXE fetches: the boot script for its MAC, then kernel and initrd
        Proc.Result run = cli.exec(Duration.ofSeconds(120), curl, "-sS", "--fail",
            "-o", dest.resolve("script").toString(), base + "ipxe?mac=" + CLIENT_MAC,
            "-o", dest.resolve("vmlinuz").toString(), base + "vmlinuz",
            "-o", dest.resolve("initrd").toString(), base + "initrd");
        // THEN every file is the server's, byte for byte, and the script names them
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(Files.readString(dest.resolve("script"))).startsWith("#!ipxe").contains("vmlinuz", "initrd");
        for (String name : List.of("vmlinuz", "initrd")) {
          assertThat(Files.mismatch(boot.resolve(name), dest.resolve(name))).as("%s %s", condition, name).isEqualTo(-1L);
        }
        total += run.elapsed().toMillis() / 1000.0;
      }
      return total;
    });
  }

  @Test
  @Order(5)
  void threeAgentsDownloadAVerifiedImageThroughLossAndJitter() throws Exception {
    // GIVEN an image in the catalog (no web seed: the agents get it from the seeder and each other)
    ImageManifest image = fault.addImage("swarm", IMAGE_BYTES);
    compare("swarm " + AGENTS + " agents x " + (image.getTotalSize() >> 20) + " MiB (slowest)", 1, condition -> {
      Path work = dir.resolve("agents-" + condition);
      // WHEN three agents boot it at once (one JVM in the client namespace)
      List<FaultLab.AgentRun> results = fault.runAgents(work, AGENTS, "swarm");
      // THEN each holds exactly the catalog's bytes, from the swarm
      long slowest = 0;
      for (FaultLab.AgentRun r : results) {
        assertThat(Verifier.verify(image, r.imageDir())).as(condition + " " + r.imageDir()).isEmpty();
        assertThat(r.fromWebSeed()).isZero();
        slowest = Math.max(slowest, r.downloadMillis());
      }
      return slowest / 1000.0;
    });
  }

  // ---------------------------------------------------------------- helpers

  private static Path script(String name, String text) throws Exception {
    Path path = dir.resolve(name);
    Files.writeString(path, text);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
    return path;
  }
}
