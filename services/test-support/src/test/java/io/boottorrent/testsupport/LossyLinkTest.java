package io.boottorrent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.LossyLink.Counts;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc.Running;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link LossyLink} does to packets, measured: 2000 UDP datagrams echoed between two lab
 * namespaces, the echoes through a 5%-loss, 0–50 ms link. About 5% must be missing — exactly the
 * ones the link reports dropped — every round trip must be the clean one plus at most 50 ms (on a
 * loaded machine: plus scheduling), the added delays must spread over the whole 0–50 ms (mean near
 * 25 ms, not one constant delay), and some echoes must overtake others (independent per-packet delays).
 */
@Tag("faults")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LossyLinkTest {
  static final int COUNT = 2000;

  @TempDir Path dir;

  @Test
  void dropsAboutTheAskedShareAndDelaysEachPacketIndependentlyWithinTheJitter() throws Exception {
    NetnsLab.require("LossyLink works in lab namespaces");
    LossyLink.require();
    try (NetnsLab lab = NetnsLab.create("btlossy")) {
      Ns a = lab.namespace("a");
      Ns b = lab.namespace("b");
      lab.veth(a, "eth0", b, "eth0");
      a.address("eth0", "10.92.250.1/24");
      b.address("eth0", "10.92.250.2/24");
      Running echo = a.java(UdpProbeMain.class.getName(), "echo", "7007").input(Proc.Input.PIPE).start();
      echo.await("READY", Duration.ofSeconds(60));

      // GIVEN the clean round trip
      long[] clean = rtts(probe(b, 200));

      // WHEN the echoes pass a lossy link as b receives them
      try (LossyLink link = LossyLink.start(b, 0.05, 50, 42, Map.of(3, 1), dir.resolve("lossy-link.log"))) {
        link.queue(3, "INPUT", "-i", "eth0", "-p", "udp", "--sport", "7007");
        Proc.Result run = probe(b, COUNT);
        Counts counts = link.counts(3);
        long[] lossy = rtts(run);
        int reordered = Integer.parseInt(run.output().replaceAll("(?s).*REORDERED (\\d+).*", "$1"));

        // THEN the missing echoes are the dropped ones, about 5%
        assertThat(counts.seen()).as(counts.toString()).isEqualTo(COUNT);
        assertThat(lossy.length).as(counts.toString()).isEqualTo(COUNT - (int) counts.dropped());
        assertThat(counts.lossRate()).isBetween(0.035, 0.065);
        // AND each round trip grew by 0..50 ms, spread over the range
        long baseUs = percentile(clean, 0.5);
        long[] added = Arrays.stream(lossy).map(us -> us - baseUs).sorted().toArray();
        double meanMs = Arrays.stream(added).average().orElseThrow() / 1000;
        System.out.printf("LossyLink: %d datagrams, %s; clean RTT median %.2f ms; added delay p10 %.1f ms, "
                + "median %.1f ms, p90 %.1f ms, mean %.1f ms; %d echoes overtaken%n", COUNT, counts, baseUs / 1000.0,
            percentile(added, 0.1) / 1000.0, percentile(added, 0.5) / 1000.0, percentile(added, 0.9) / 1000.0, meanMs,
            reordered);
        assertThat(percentile(added, 0.1)).as("10th percentile of the added delay, µs").isBetween(-2_000L, 12_000L);
        assertThat(percentile(added, 0.9)).as("90th percentile of the added delay, µs").isBetween(38_000L, 70_000L);
        assertThat(meanMs).as("mean added delay, ms").isBetween(18.0, 35.0);
        assertThat(counts.meanDelayMs()).as("the link's own mean delay, ms").isBetween(22.0, 28.0);
        // AND packets sent 2 ms apart overtook each other
        assertThat(reordered).isGreaterThan(COUNT / 10);
      }
      echo.closeInput();
    }
  }

  private static Proc.Result probe(Ns ns, int count) throws Exception {
    Proc.Result run = ns.java(UdpProbeMain.class.getName(), "probe", "10.92.250.1", "7007", Integer.toString(count))
        .exec(Duration.ofSeconds(60));
    assertThat(run.exit()).as(run.output()).isZero();
    return run;
  }

  private static long[] rtts(Proc.Result run) {
    String line = run.output().lines().filter(l -> l.startsWith("RTT")).findFirst().orElseThrow();
    return Arrays.stream(line.split(" ")).skip(1).mapToLong(Long::parseLong).sorted().toArray();
  }

  private static long percentile(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }
}
