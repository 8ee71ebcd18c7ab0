package io.boottorrent.tftp;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loopback throughput of the verticle with real clients, next to tftpd-hpa ({@code in.tftpd}) when
 * installed: 1 x 64 MiB and 32 x 16 MiB, each with atftp (blksize 1428, windowsize 8) and with
 * tftp-hpa (512-byte lockstep). Wall time from the first client's start to the last one's exit;
 * every copy is compared with the source. Server CPU is this JVM's CPU time (the clients are other
 * processes). Files live in /dev/shm. Only with {@code -Dtftp.throughputBenchmark=true} (about two
 * minutes); {@code -Dtftp.throughputBenchmark.rounds=R} repeats each case (default 3, best and mean
 * reported), {@code -Dtftp.throughputBenchmark.reference=false} leaves tftpd-hpa out,
 * {@code -Dtftp.throughputBenchmark.only="32x16MiB tftp-hpa"} runs one case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(1800)
class ThroughputBenchmarkTest {
  private static final Logger LOG = LoggerFactory.getLogger(ThroughputBenchmarkTest.class);
  private static final int MIB = 1024 * 1024;

  private Path dir;
  private Vertx vertx;
  private TftpServerFixture server;
  private Proc.Running tftpdHpa;
  private int tftpdHpaPort;

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("tftp.throughputBenchmark"),
        "a benchmark, not a test: run with -Dtftp.throughputBenchmark=true");
    Path shm = Path.of("/dev/shm");
    dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
        "tftp-bench");
    vertx = Vertx.vertx();
    server = new TftpServerFixture(vertx, dir.resolve("data"), List.of(), tftp -> tftp.put("timeoutMs", 1000));
    ExternalClients.randomFile(server.root, "big.bin", 64 * MIB, 64);
    ExternalClients.randomFile(server.root, "small.bin", 16 * MIB, 16);
    if (Gate.which("in.tftpd").isPresent()
        && Boolean.parseBoolean(System.getProperty("tftp.throughputBenchmark.reference", "true"))) {
      try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
        tftpdHpaPort = probe.getLocalPort();
      }
      tftpdHpa = Proc.command(Gate.which("in.tftpd").get().toString(), "--foreground", "--listen",
          "--address", "127.0.0.1:" + tftpdHpaPort, "--secure", server.root.toString())
          .name("in.tftpd").log(dir.resolve("in.tftpd.log")).start();
      Thread.sleep(300);
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (tftpdHpa != null) {
      tftpdHpa.stop(Duration.ofSeconds(5));
    }
    if (server != null) {
      server.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  private record Result(double seconds, double serverCpuSeconds) {}

  @Test
  void loopbackThroughput() throws Exception {
    int rounds = Integer.getInteger("tftp.throughputBenchmark.rounds", 3);
    String atftp = ExternalClients.require(ExternalClients.ATFTP, "atftp");
    String tftp = ExternalClients.require(ExternalClients.TFTP_HPA, "tftp-hpa");
    // warm-up: the JIT compiles the send path
    fetch(server.port(), atftp, true, 4, "small.bin", 16 * MIB);
    fetch(server.port(), tftp, false, 4, "small.bin", 16 * MIB);
    List<String> lines = new ArrayList<>();
    lines.add(String.format("%-10s %-26s %-11s %10s %10s %10s %12s", "transfer", "client", "server", "best s",
        "mean s", "MiB/s", "server CPU s"));
    for (Object[] c : new Object[][] {{1, "big.bin", 64}, {32, "small.bin", 16}}) {
      int n = (int) c[0];
      String file = (String) c[1];
      int mib = (int) c[2];
      for (boolean windowed : new boolean[] {true, false}) {
        String client = windowed ? atftp : tftp;
        String clientName = windowed ? "atftp (1428 B, window 8)" : "tftp-hpa (512 B)";
        String only = System.getProperty("tftp.throughputBenchmark.only", "");
        if (!only.isEmpty() && !(n + "x" + mib + "MiB " + (windowed ? "atftp" : "tftp-hpa")).equals(only)) {
          continue;
        }
        for (String which : tftpdHpa == null ? List.of("ours") : List.of("ours", "tftpd-hpa")) {
          int port = which.equals("ours") ? server.port() : tftpdHpaPort;
          double best = Double.MAX_VALUE;
          double sum = 0;
          double cpu = 0;
          for (int r = 0; r < rounds; r++) {
            Result result = fetch(port, client, windowed, n, file, mib * MIB);
            best = Math.min(best, result.seconds());
            sum += result.seconds();
            cpu += result.serverCpuSeconds();
          }
          String line = String.format("%-10s %-26s %-11s %10.3f %10.3f %10.1f %12s", n + "x" + mib + "MiB",
              clientName, which, best, sum / rounds, n * mib / best,
              which.equals("ours") ? String.format("%.2f", cpu / rounds) : "-");
          lines.add(line);
          LOG.info("{}", line);
        }
      }
    }
    String table = String.join("\n", lines);
    LOG.info("loopback throughput ({} rounds each, load {}):\n{}", rounds,
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), table);
    Files.writeString(Path.of("target", "tftp-throughput.txt"), table + "\n");
  }

  private Result fetch(int port, String client, boolean windowed, int n, String file, long size) throws Exception {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    List<Proc.Running> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Path dest = dir.resolve("out-" + i + ".bin");
      Files.deleteIfExists(dest);
      started.add(ExternalClients.start(windowed
          ? List.of(client, "--get", "-r", file, "-l", dest.toString(), "--option", "blksize 1428",
              "--option", "windowsize 8", "127.0.0.1", Integer.toString(port))
          : List.of(client, "-m", "binary", "127.0.0.1", Integer.toString(port), "-c", "get", file, dest.toString()),
          dir));
    }
    long last = t0;
    for (Proc.Running s : started) {
      Proc.Result run = s.finish(Duration.ofSeconds(600));
      assertThat(run.exit()).as("%s output:%n%s", s.command(), run.output()).isZero();
      last = Math.max(last, s.startNanos() + run.elapsed().toNanos());
    }
    double seconds = (last - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    for (int i = 0; i < n; i++) {
      Path dest = dir.resolve("out-" + i + ".bin");
      assertThat(Files.size(dest)).isEqualTo(size);
      assertThat(Files.mismatch(server.root.resolve(file), dest)).as("copy %d of %s", i, file).isEqualTo(-1L);
    }
    return new Result(seconds, cpu);
  }
}
