package io.boottorrent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not in {@code make test}: copies of a large export with nbdcopy and qemu-img over TCP and a Unix
 * socket, timed ({@code -Dnbd.throughputBenchmark=true}, size {@code -Dnbd.throughputBenchmark.mib}).
 */
class ThroughputBenchmarkTest {
  @TempDir
  Path dir;

  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "nbd.throughputBenchmark", matches = "true",
      disabledReason = "a benchmark: -Dnbd.throughputBenchmark=true runs it")
  @Test
  void copyTheWholeExport() throws Exception {
    String nbdcopy = Gate.requireCommand("nbdcopy", "libnbd-bin").toString();
    String qemuImg = Gate.requireCommand("qemu-img", "qemu-utils").toString();
    int mib = Integer.getInteger("nbd.throughputBenchmark.mib", 256);
    Path image = dir.resolve("image.raw");
    byte[] chunk = new byte[1 << 20];
    Random random = new Random(1);
    try (var out = Files.newOutputStream(image)) {
      for (int i = 0; i < mib; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
    Vertx vertx = Vertx.vertx();
    try {
      FileBlockSource file = FileBlockSource.open(vertx, image.toString()).toCompletionStage().toCompletableFuture().get();
      NbdServer tcp = NbdServer.tcp(vertx, "boot", file, 0).start().toCompletionStage().toCompletableFuture().get();
      NbdServer unix = NbdServer.unix(vertx, "boot", file, dir.resolve("s").toString()).start()
          .toCompletionStage().toCompletableFuture().get();
      for (NbdServer s : List.of(tcp, unix)) {
        for (List<String> cmd : List.of(List.of(nbdcopy, s.uri(), dir.resolve("copy").toString()),
            List.of(qemuImg, "convert", "-f", "raw", "-O", "raw", s.uri(), dir.resolve("copy").toString()))) {
          long start = System.nanoTime();
          Process p = new ProcessBuilder(cmd).inheritIO().start();
          assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
          assertThat(p.exitValue()).isZero();
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.printf("nbd throughput: %s %s: %d MiB in %.2f s = %.0f MiB/s%n", Path.of(cmd.get(0)).getFileName(),
              s.uri().startsWith("nbd+unix") ? "unix" : "tcp", mib, seconds, mib / seconds);
          assertThat(Files.size(dir.resolve("copy"))).isEqualTo((long) mib << 20);
          Files.delete(dir.resolve("copy"));
        }
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
