package io.boottorrent.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.SnapshotHeader;
import io.boottorrent.proto.TelemetryRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  static TelemetryRecord record(int i) {
    return TelemetryRecord.newBuilder().setReceivedMs(1000 + i).setBootEvent(BootEvent.newBuilder()
        .setMac(Fixtures.mac(i)).setStage(BootStage.AGENT_STARTED).setMessage("agent started " + i)).build();
  }

  static List<TelemetryRecord> records(int from, int to) {
    return IntStream.range(from, to).mapToObj(JournalTest::record).toList();
  }

  List<TelemetryRecord> reopen() throws IOException {
    List<TelemetryRecord> seen = new ArrayList<>();
    Journal.open(dir, false, seen::add).close();
    return seen;
  }

  @Test
  void appendedBatchesAreReplayedInOrderWhenReopened() throws IOException {
    // GIVEN a journal that got two batches
    try (Journal journal = Journal.open(dir, true, r -> { })) {
      assertThat(journal.replayed().records()).isZero();
      journal.append(records(0, 3));
      journal.append(List.of());
      journal.append(records(3, 5));
      assertThat(journal.size()).isEqualTo(Files.size(dir.resolve(Journal.FILE)));
    }
    // THEN reopening replays every record, in order
    assertThat(reopen()).containsExactlyElementsOf(records(0, 5));
  }

  @Test
  void aTornLastRecordIsCutOffAndEverythingBeforeItKept() throws IOException {
    // GIVEN a journal whose last write was cut short by a crash
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      journal.append(records(0, 4));
    }
    Path file = dir.resolve(Journal.FILE);
    long whole = Files.size(file);
    byte[] next = record(4).toByteArray();
    byte[] torn = new byte[1 + next.length / 2];
    torn[0] = (byte) next.length; // the varint length, then half the record
    System.arraycopy(next, 0, torn, 1, torn.length - 1);
    Files.write(file, torn, StandardOpenOption.APPEND);

    // WHEN it is opened THEN the four whole records are replayed and the tail is gone from the file
    List<TelemetryRecord> seen = new ArrayList<>();
    try (Journal journal = Journal.open(dir, false, seen::add)) {
      assertThat(seen).containsExactlyElementsOf(records(0, 4));
      assertThat(journal.replayed().truncatedBytes()).isEqualTo(torn.length);
      assertThat(Files.size(file)).isEqualTo(whole);
      // AND appending goes on from there
      journal.append(records(4, 6));
    }
    assertThat(reopen()).containsExactlyElementsOf(records(0, 6));
  }

  @Test
  void zerosOrGarbageAfterTheLastRecordAreCutOffToo() throws IOException {
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      journal.append(records(0, 2));
    }
    Files.write(dir.resolve(Journal.FILE), new byte[4096], StandardOpenOption.APPEND); // a torn page
    assertThat(reopen()).containsExactlyElementsOf(records(0, 2));
    Files.write(dir.resolve(Journal.FILE), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x0f},
        StandardOpenOption.APPEND); // a length beyond any record
    assertThat(reopen()).containsExactlyElementsOf(records(0, 2));
    Files.write(dir.resolve(Journal.FILE), new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff},
        StandardOpenOption.APPEND); // three bytes that are no record
    assertThat(reopen()).containsExactlyElementsOf(records(0, 2));
    assertThat(Files.size(dir.resolve(Journal.FILE))).isEqualTo(
        records(0, 2).stream().mapToLong(r -> r.getSerializedSize() + 1).sum());
  }

  @Test
  void compactionReplacesTheJournalWithTheSnapshotAndAppendsFollowIt() throws IOException {
    TelemetryRecord header = TelemetryRecord.newBuilder().setSnapshot(SnapshotHeader.newBuilder().setNextSeq(7)).build();
    try (Journal journal = Journal.open(dir, true, r -> { })) {
      journal.append(records(0, 100));
      long big = journal.size();
      journal.compact(List.of(header, record(99)));
      assertThat(journal.size()).isLessThan(big).isEqualTo(journal.sizeAfterCompaction());
      journal.append(records(100, 102));
    }
    List<TelemetryRecord> expected = new ArrayList<>(List.of(header, record(99)));
    expected.addAll(records(100, 102));
    assertThat(reopen()).containsExactlyElementsOf(expected);
    assertThat(dir.resolve(Journal.COMPACTING)).doesNotExist();
  }

  @Test
  void aCompactionThatDidNotFinishLeavesTheJournalAsItWas() throws IOException {
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      journal.append(records(0, 3));
    }
    Files.write(dir.resolve(Journal.COMPACTING), new byte[] {1, 2, 3}); // crashed while writing the snapshot
    assertThat(reopen()).containsExactlyElementsOf(records(0, 3));
    assertThat(dir.resolve(Journal.COMPACTING)).doesNotExist();
  }

  @Test
  void aSecondOpenOfTheSameFolderIsRefused() throws IOException {
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      assertThatThrownBy(() -> Journal.open(dir, false, r -> { }))
          .isInstanceOf(IOException.class).hasMessageContaining("in use");
    }
    reopen(); // released on close
  }
}
