package io.boottorrent.telemetry;

import static io.boottorrent.telemetry.JournalTest.record;
import static io.boottorrent.telemetry.JournalTest.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.KeyEntry;
import io.boottorrent.proto.KeyRing;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.CorruptFiles.Corruption;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The telemetry journal found corrupt at start, told apart from the torn tail a crash leaves
 * (docs/SECURITY.md "Corrupt state files"): the file is copied aside whole, the journal keeps every
 * record that reads, and the next start finds nothing wrong.
 */
class JournalCorruptStateTest {
  @TempDir Path dir;

  Path file() {
    return dir.resolve(Journal.FILE);
  }

  record Opened(List<TelemetryRecord> seen, Journal.Replayed replayed, boolean setAside) {}

  Opened open() throws IOException {
    List<TelemetryRecord> seen = new ArrayList<>();
    try (Journal journal = Journal.open(dir, false, seen::add)) {
      return new Opened(seen, journal.replayed(), journal.setAside().isPresent());
    }
  }

  static byte[] delimited(List<TelemetryRecord> records) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (TelemetryRecord r : records) {
      r.writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** What may sit between two good records: each a record whose length fits but whose bytes do not read. */
  static Stream<Arguments> badRecordsBetweenGoodOnes() {
    byte[] keyRing = KeyRing.newBuilder().addKeys(KeyEntry.newBuilder().setFingerprint("ab").setCreatedAtMs(5))
        .build().toByteArray();
    byte[] framedKeyRing = concat(new byte[] {(byte) keyRing.length}, keyRing);
    return Stream.of(
        Arguments.of("a zero-length record", new byte[] {0}),
        Arguments.of("garbage of a fitting length", new byte[] {4, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}),
        Arguments.of("a record of another type (a key ring)", framedKeyRing),
        Arguments.of("an empty TelemetryRecord", new byte[] {2, 0x08, 0x01}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRecordsBetweenGoodOnes")
  void aBadRecordBetweenGoodOnesIsSkippedTheFileCopiedAsideAndTheRecordsAfterItKept(String what, byte[] bad)
      throws IOException {
    // GIVEN records 0-2, the bad record, records 3-5
    byte[] good1 = delimited(records(0, 3));
    byte[] good2 = delimited(records(3, 6));
    byte[] found = concat(good1, bad, good2);
    Files.write(file(), found);

    // WHEN the journal opens
    Opened opened = open();

    // THEN all six good records are replayed (before: everything after the bad one was cut off)
    assertThat(opened.seen()).containsExactlyElementsOf(records(0, 6));
    assertThat(opened.setAside()).isTrue();
    CorruptFiles.assertSetAsideIntact(file(), found);
    assertThat(Files.readAllBytes(file())).isEqualTo(concat(good1, good2));
    assertThat(opened.replayed().truncatedBytes()).isEqualTo(bad.length);
    // AND the next start finds nothing wrong, and appends go on after the good records
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      assertThat(journal.setAside()).isEmpty();
      journal.append(List.of(record(6)));
    }
    assertThat(open().seen()).containsExactlyElementsOf(records(0, 7));
  }

  @Test
  void aLengthThatCannotBeInTheMiddleKeepsTheRecordsBeforeItAndTheWholeFileAside() throws IOException {
    // GIVEN a length no record can have (> 64 MiB), then more records: reading cannot find its way past it
    byte[] good1 = delimited(records(0, 2));
    byte[] found = concat(good1, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}, delimited(records(2, 4)));
    Files.write(file(), found);

    Opened opened = open();

    // THEN what came before is replayed and the rest is not lost: it is in the copy
    assertThat(opened.seen()).containsExactlyElementsOf(records(0, 2));
    assertThat(opened.setAside()).isTrue();
    CorruptFiles.assertSetAsideIntact(file(), found);
    assertThat(Files.readAllBytes(file())).isEqualTo(good1);
  }

  @ParameterizedTest
  @EnumSource(Corruption.class)
  void aWholeJournalCorruptedIsCopiedAsideUnlessItIsOnlyTornOrEmpty(Corruption corruption) throws IOException {
    byte[] valid = delimited(records(0, 3));
    // WRONG_TYPE: a token store's file copied over the journal
    byte[] tokens = io.boottorrent.proto.TokenStoreFile.newBuilder().addTokens(io.boottorrent.proto.StoredToken
        .newBuilder().setSecretSha256(com.google.protobuf.ByteString.copyFrom(new byte[32]))).build().toByteArray();
    byte[] bad = corruption.apply(valid, tokens);
    Files.write(file(), bad);

    Opened opened = open();

    switch (corruption) {
      case TRUNCATED -> { // the crash case: the last record lost its end; cut off, no copy
        assertThat(opened.seen()).containsExactlyElementsOf(records(0, 2));
        assertThat(opened.setAside()).isFalse();
        assertThat(CorruptFiles.asideCopies(file())).isEmpty();
      }
      case EMPTY -> {
        assertThat(opened.seen()).isEmpty();
        assertThat(opened.setAside()).isFalse();
      }
      case RANDOM_BYTES, WRONG_TYPE -> {
        assertThat(opened.seen()).isEmpty();
        assertThat(opened.setAside()).isTrue();
        CorruptFiles.assertSetAsideIntact(file(), bad);
        assertThat(Files.size(file())).isZero();
      }
    }
    try (Journal journal = Journal.open(dir, false, r -> { })) {
      assertThat(journal.setAside()).isEmpty();
    }
  }
}
