package io.boottorrent.telemetry;

import static io.boottorrent.telemetry.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.telemetry.Fixtures.Boot;
import io.boottorrent.telemetry.Fixtures.TestClock;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two measurements, printed (asserted only loosely: the machine is shared): how many events per
 * second the verticle takes in through the event bus, journal included, and the heap that 10,000
 * machines' boots take.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class TelemetryMeasurementsTest {
  @TempDir Path dir;

  @Test
  void eventsPerSecondThroughTheEventBusWithTheJournalSyncedAtEachGroupCommit(Vertx vertx) throws Exception {
    // GIVEN the verticle with the default options (journalSync true) on its own port
    Codecs.registerAll(vertx.eventBus());
    TelemetryOptions options = TelemetryOptions.fromSection(TestConfig.section("telemetry")
        .put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1"));
    TelemetryVerticle verticle = new TelemetryVerticle(options, TestConfig.loopbackProcess(dir));
    String id = vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    WebClient client = WebClient.create(vertx);
    int n = 100_000;
    BootEvent[] events = new BootEvent[n];
    for (int i = 0; i < n; i++) {
      events[i] = BootEvent.newBuilder().setMac(Fixtures.mac(i % 2000)).setNodeId("node-" + (i % 2000))
          .setStage(BootStage.DOWNLOAD_PROGRESS).setTimestampMs(T0 + i).setImage("debian").setInfoHash(Fixtures.HASH)
          .setBytesDone(i * 1000L).setBytesTotal(Fixtures.SIZE).setDownloadRate(1 << 20).setPeers(4).build();
    }
    String marker = "52:54:00:ff:ff:ff";

    // WHEN 100,000 progress events of 2,000 machines are published, then one of a last machine
    long start = System.nanoTime();
    for (BootEvent e : events) {
      vertx.eventBus().publish(Addresses.BOOT_EVENT, e);
    }
    vertx.eventBus().publish(Addresses.BOOT_EVENT, BootEvent.newBuilder().setMac(marker)
        .setStage(BootStage.AGENT_STARTED).build());
    // THEN (bus delivery is in order) once the last machine is known, every event was taken in
    while (client.get(options.httpPort(), "127.0.0.1", "/api/v1/machines/" + marker).send()
        .await(30, TimeUnit.SECONDS).statusCode() != 200) {
      Thread.sleep(5);
    }
    long ingested = System.nanoTime() - start;
    // AND undeploying returns once the journal holds them all
    vertx.undeploy(id).await(60, TimeUnit.SECONDS);
    long durable = System.nanoTime() - start;
    long journal = Files.size(dir.resolve("telemetry").resolve(Journal.FILE));
    double rate = n / (ingested / 1e9);
    System.out.printf("MEASUREMENT telemetry ingest: %,d events via the event bus in %.2f s = %,.0f events/s;"
        + " all journaled (fdatasync per group commit) after %.2f s = %,.0f events/s; journal %,d bytes"
        + " (%d bytes/event)%n", n, ingested / 1e9, rate, durable / 1e9, n / (durable / 1e9), journal, journal / n);
    assertThat(rate).as("events/s").isGreaterThan(1_000);
    client.close();
  }

  @Test
  void heapUsedAfterGcWithTenThousandMachinesWholeBoots() {
    // GIVEN an empty model with the default caps
    TestClock clock = new TestClock(T0);
    long empty = usedAfterGc();
    TelemetryModel model = new TelemetryModel(Fixtures.limits(), clock);

    // WHEN 10,000 machines boot, 100 at a time (a storm each): 21 events each
    int machines = 10_000;
    long events = 0;
    for (int i = 0; i < machines; i++) {
      long t = T0 + (i / 100) * 120_000L + (i % 100) * 10L;
      Boot b = new Boot(e -> model.bootEvent(e), clock, Fixtures.mac(i), Fixtures.ip(i), "node-" + i);
      b.at(t).pxe().lease().at(t + 500).tftp().httpBoot().lease().at(t + 10_000).started().menu().chosen()
          .at(t + 15_000).downloadStarted();
      for (int p = 1; p <= 8; p++) {
        b.at(t + 15_000 + p * 1_000L).progress(p / 10.0);
      }
      b.at(t + 25_000).complete(3_000_000, 6_000_000, 1_000_000).verified().at(t + 40_000).seedingDone().launching();
      events += 21;
      if (i % 100 == 99) {
        clock.at(t + 100_000);
        model.seederStatus(Fixtures.seeder("seeder-1", i * 3_000_000L));
        model.tick();
      }
    }
    long used = usedAfterGc() - empty;
    List<TelemetryRecord> snapshot = model.snapshot();
    long snapshotBytes = snapshot.stream().mapToLong(r -> r.getSerializedSize() + 2).sum();

    // THEN it all stays: 10,000 machines with their 21 events each, the last 10,000 in the log, 100 storms
    assertThat(model.machineCount()).isEqualTo(machines);
    assertThat(model.machine(Fixtures.mac(0)).orElseThrow().getEventsCount()).isEqualTo(21);
    assertThat(model.storms().getStormsCount()).isEqualTo(100);
    System.out.printf("MEASUREMENT telemetry heap: %,d machines x 21 events (%,d events, %d finished storms of 100)"
        + " use %.1f MiB after GC = %,d bytes/machine, %,d bytes/event kept; a snapshot of it is %.1f MiB%n",
        machines, events, model.storms().getStormsCount(), used / 1048576.0, used / machines,
        used / (machines * 21L), snapshotBytes / 1048576.0);
    assertThat(used).as("heap bytes").isLessThan(1L << 30);
    java.lang.ref.Reference.reachabilityFence(model);
  }

  /** A model holding {@code n} progress events of 20 machines, each with a message of {@code extra} bytes. */
  private static TelemetryModel filled(int n, int extra, long cap) {
    TestClock clock = new TestClock(T0);
    TelemetryModel model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 10_000, 1_000_000, 1_000_000,
        100, cap), clock);
    String message = "m".repeat(extra);
    for (int i = 0; i < n; i++) {
      clock.plus(1);
      model.bootEvent(BootEvent.newBuilder().setMac(Fixtures.mac(i % 20)).setNodeId("node-" + (i % 20))
          .setStage(BootStage.DOWNLOAD_PROGRESS).setTimestampMs(T0 + i).setImage("debian").setInfoHash(Fixtures.HASH)
          .setBytesDone(i * 1000L).setBytesTotal(Fixtures.SIZE).setDownloadRate(1 << 20).setPeers(4)
          .setIp(Fixtures.ip(i % 20)).setMessage(message).build());
    }
    return model;
  }

  @Test
  void heapPerEventByte() {
    // GIVEN 100,000 events held (in the log and their machine's history), once small and once with 1000 bytes more each
    int n = 100_000;
    long empty = usedAfterGc();
    TelemetryModel small = filled(n, 0, 1L << 40);
    long smallHeap = usedAfterGc() - empty;
    long smallCounted = small.heldEventBytes();
    java.lang.ref.Reference.reachabilityFence(small);
    small = null;
    empty = usedAfterGc();
    TelemetryModel large = filled(n, 1000, 1L << 40);
    long largeHeap = usedAfterGc() - empty;
    long largeCounted = large.heldEventBytes();
    java.lang.ref.Reference.reachabilityFence(large);
    // THEN the heap per event is its serialized size plus a constant: that constant is ENTRY_OVERHEAD
    double perByte = (largeHeap - smallHeap) / (n * 1000.0);
    System.out.printf("MEASUREMENT telemetry heap per event: %,d small events %,d bytes of heap (%,d per event,"
        + " counted %,d); with 1000 bytes more each %,d (%,d per event, counted %,d): %.2f heap bytes per event byte%n",
        n, smallHeap, smallHeap / n, smallCounted / n, largeHeap, largeHeap / n, largeCounted / n, perByte);
    // AND the cap's count is not short of what the heap holds by more than a tenth (machines add a little)
    assertThat((double) smallHeap).isLessThan(smallCounted * 1.1);
    assertThat((double) largeHeap).isLessThan(largeCounted * 1.1);
  }

  @Test
  void heapStaysWithinTheByteCapWhileTenTimesItIsPosted() {
    // GIVEN a cap of 32 MiB and caps by count that would hold 1,000,000 events
    long cap = 32L << 20;
    long empty = usedAfterGc();
    // WHEN 150,000 events of ~2.2 kB each are taken in (330 MB, ten times the cap)
    TelemetryModel model = filled(150_000, 2000, cap);
    long heap = usedAfterGc() - empty;
    // THEN the heap holds about the cap, not what was posted
    System.out.printf("MEASUREMENT telemetry byte cap: 150,000 events of %,d bytes posted, %,d kept (%,d evicted),"
        + " counted %.1f MiB of a %.0f MiB cap, heap %.1f MiB after GC%n",
        model.latest(EventQuery.ALL, 1).get(0).event().getSerializedSize(), model.logSize(),
        model.eventsEvictedForBytes(), model.heldEventBytes() / 1048576.0, cap / 1048576.0, heap / 1048576.0);
    assertThat(model.heldEventBytes()).isLessThanOrEqualTo(cap);
    assertThat(heap).isLessThan(cap + cap / 4);
    java.lang.ref.Reference.reachabilityFence(model);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
