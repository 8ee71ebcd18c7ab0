package io.boottorrent.telemetry;

import static io.boottorrent.telemetry.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.telemetry.Fixtures.TestClock;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** telemetry.eventMemoryBytes: the events the rings hold, counted in bytes, the oldest dropped first. */
class TelemetryByteCapTest {
  static final long CAP = 200_000;

  static BootEvent progress(int machine, int i, int messageBytes) {
    return BootEvent.newBuilder().setMac(Fixtures.mac(machine)).setNodeId("node-" + machine)
        .setStage(BootStage.DOWNLOAD_PROGRESS).setTimestampMs(T0 + i).setImage("debian")
        .setMessage("x".repeat(messageBytes)).setIp(Fixtures.ip(machine)).build();
  }

  /** What the cap should count for the rings' contents, recomputed from a snapshot. */
  static long countedFromSnapshot(TelemetryModel model) {
    long sum = 0;
    for (TelemetryRecord r : model.snapshot()) {
      if (r.hasLogged()) {
        BootEvent e;
        try {
          e = BootEvent.parseFrom(r.getLogged().getEvent());
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
        sum += TelemetryModel.ENTRY_OVERHEAD + r.getLogged().getEvent().size() + e.getIp().length();
      }
    }
    return sum;
  }

  @Test
  void largeEventsAreDroppedOldestFirstOnceTheirBytesPassTheCapThoughTheCountsWouldKeepThem() {
    // GIVEN caps by count that would keep everything (10,000 in the log, 200 per machine) and 200 kB of events
    TestClock clock = new TestClock(T0);
    TelemetryModel model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 10_000, 200, 10_000, 100, CAP),
        clock);
    // WHEN 10 machines post 100 events of ~2 kB each (2 MB, ten times the cap)
    for (int i = 0; i < 1000; i++) {
      clock.plus(10);
      model.bootEvent(progress(i % 10, i, 2000));
    }
    // THEN the held bytes stay within the cap, the count is what fits, and the counter says how many went
    assertThat(model.heldEventBytes()).isLessThanOrEqualTo(CAP).isEqualTo(countedFromSnapshot(model));
    long each = TelemetryModel.ENTRY_OVERHEAD + progress(0, 0, 2000).getSerializedSize() + Fixtures.ip(0).length();
    int kept = (int) (CAP / each);
    assertThat(model.logSize()).isBetween(kept - 1, kept);
    assertThat(model.eventsEvictedForBytes()).isEqualTo(1000 - model.logSize());
    // AND what is kept is the newest: the log ends with the last event and starts where the evicted ones end
    List<LoggedEntry> latest = model.latest(EventQuery.ALL, 10_000);
    assertThat(latest.get(latest.size() - 1).seq()).isEqualTo(1000);
    assertThat(latest.get(0).seq()).isEqualTo(1000 - model.logSize() + 1);
    // AND each machine's history holds only its newest events (about a tenth each)
    assertThat(model.machine(Fixtures.mac(3)).orElseThrow().getEventsCount()).isBetween(kept / 10 - 1, kept / 10 + 1);
  }

  @Test
  void aMachinesOldHistoryIsDroppedBeforeNewerEventsOfOthers() {
    // GIVEN one machine whose 50 events fell out of a short log (logCapacity 20) but stay in its history
    TestClock clock = new TestClock(T0);
    TelemetryModel model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 100, 200, 20, 100, CAP), clock);
    for (int i = 0; i < 50; i++) {
      model.bootEvent(progress(0, i, 1000));
    }
    assertThat(model.machine(Fixtures.mac(0)).orElseThrow().getEventsCount()).isEqualTo(50);
    // WHEN other machines post more than the cap holds
    for (int i = 0; i < 300; i++) {
      model.bootEvent(progress(1 + i % 5, i, 1000));
    }
    // THEN machine 0's history went first (it was the oldest), though it was in no ring's way by count
    assertThat(model.machine(Fixtures.mac(0)).map(m -> m.getEventsCount()).orElse(0)).isZero();
    assertThat(model.heldEventBytes()).isLessThanOrEqualTo(CAP).isEqualTo(countedFromSnapshot(model));
  }

  @Test
  void theCountStaysExactThroughEveryRingsOwnDropsAndASnapshotRestoresIt() {
    // GIVEN small count caps (5 machines, 6 per machine, 20 in the log) and a byte cap, random traffic with
    // events without a MAC (TFTP orphans joined later by IP) and machines forgotten by the machine cap
    TestClock clock = new TestClock(T0);
    TelemetryModel.Limits limits = new TelemetryModel.Limits(60_000, 30_000, 5, 6, 20, 1, 20_000);
    TelemetryModel model = new TelemetryModel(limits, clock);
    SplittableRandom random = new SplittableRandom(13);
    for (int i = 0; i < 20_000; i++) {
      clock.plus(random.nextInt(50));
      int machine = random.nextInt(8);
      BootEvent e = random.nextInt(4) == 0
          ? BootEvent.newBuilder().setStage(BootStage.TFTP_TRANSFER).setIp(Fixtures.ip(machine))
              .setMessage("y".repeat(random.nextInt(600))).build()
          : progress(machine, i, random.nextInt(600));
      model.bootEvent(e);
      // THEN after every event the count is exactly what the rings hold, within the cap
      if (i % 97 == 0) {
        assertThat(model.heldEventBytes()).isLessThanOrEqualTo(20_000).isEqualTo(countedFromSnapshot(model));
      }
    }
    // AND a model rebuilt from the snapshot counts the same
    TelemetryModel restored = new TelemetryModel(limits, clock);
    model.snapshot().forEach(restored::replay);
    assertThat(restored.heldEventBytes()).isEqualTo(model.heldEventBytes());
    assertThat(restored.snapshot()).isEqualTo(model.snapshot());
  }
}
