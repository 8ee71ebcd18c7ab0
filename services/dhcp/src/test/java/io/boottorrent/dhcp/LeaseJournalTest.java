package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.CorruptFiles.Corruption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class LeaseJournalTest {
  private static final long T = 1_700_000_000_000L;

  @TempDir
  Path dir;

  private static Lease lease(String ip, State state, String mac, long until) {
    return new Lease(Ipv4.parse(ip), state, mac, until);
  }

  @Test
  void storeReplayedFromTheJournalHasTheSameLeasesAsTheStoreThatWroteIt() throws Exception {
    // GIVEN a store whose changes were journaled as the verticle does
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    LeaseStore store = new LeaseStore();
    store.offer("02:00:00:00:00:01", Ipv4.parse("10.0.0.10"), T + 60_000, T);
    store.bind("02:00:00:00:00:01", Ipv4.parse("10.0.0.10"), T + 3_600_000, T);
    store.offer("02:00:00:00:00:02", Ipv4.parse("10.0.0.11"), T + 60_000, T);
    store.bind("02:00:00:00:00:03", Ipv4.parse("10.0.0.12"), T + 3_600_000, T);
    store.release("02:00:00:00:00:03", Ipv4.parse("10.0.0.12"), T);
    store.decline("02:00:00:00:00:04", Ipv4.parse("10.0.0.13"), T + 600_000);
    journal.append(store.drainChanges());

    // WHEN a new store is replayed from the file
    LeaseStore reloaded = LeaseStore.replay(LeaseJournal.inDataDir(dir).load());

    // THEN it knows the same leases, in the same states
    assertThat(journal.file()).isEqualTo(dir.resolve("dhcp").resolve("leases"));
    assertThat(reloaded.snapshot()).containsExactlyInAnyOrderElementsOf(store.snapshot());
    assertThat(reloaded.leaseOf("02:00:00:00:00:01")).map(Lease::state).contains(State.BOUND);
    assertThat(reloaded.isAvailable(Ipv4.parse("10.0.0.11"), "02:00:00:00:00:09", T)).as("offer is held").isFalse();
    assertThat(reloaded.isAvailable(Ipv4.parse("10.0.0.12"), "02:00:00:00:00:09", T)).as("released").isTrue();
    assertThat(reloaded.isAvailable(Ipv4.parse("10.0.0.13"), "02:00:00:00:00:04", T)).as("declined").isFalse();
  }

  @Test
  void tornLastLineFromACrashDuringAnAppendIsSkipped() throws Exception {
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T)));
    Files.writeString(journal.file(), "10.0.0.11 BOU", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    List<Lease> loaded = journal.load();

    assertThat(loaded).containsExactly(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T));
  }

  @Test
  void aTornLastLineIsCutOffSoThatTheNextAppendIsNotGluedToIt() throws Exception {
    // GIVEN a journal whose last append was cut short by a crash
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T)));
    Files.writeString(journal.file(), "10.0.0.11 BOU", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    // WHEN it is loaded, and the server goes on appending
    journal.load();
    journal.append(List.of(lease("10.0.0.12", State.BOUND, "02:00:00:00:00:02", T)));
    // THEN the record appended after the crash is read back (before: glued to the torn line, and lost)
    assertThat(LeaseJournal.inDataDir(dir).load()).containsExactly(
        lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T), lease("10.0.0.12", State.BOUND, "02:00:00:00:00:02", T));
    assertThat(journal.setAside()).isEmpty();
    assertThat(CorruptFiles.asideCopies(journal.file())).as("a torn line is a crash, not corruption").isEmpty();
  }

  @Test
  void zerosAFileSystemLeftAfterTheLastLineAreATornWriteToo() throws Exception {
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T)));
    Files.write(journal.file(), new byte[64], StandardOpenOption.APPEND);
    assertThat(journal.load()).hasSize(1);
    assertThat(journal.setAside()).isEmpty();
    assertThat(Files.readString(journal.file())).endsWith("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage line", "10.0.0.99 BOUND 02:00:00:00:00:09", "10.0.0.99 TAKEN 02:00:00:00:00:09 1",
      "\u0000\u0000\u0000", "NOT-UTF-8"})
  void aCorruptLineBetweenGoodOnesIsReportedTheFileCopiedAsideAndTheRestKept(String badLine) throws Exception {
    // GIVEN a journal with a line that is no record between two that are (NOT-UTF-8: bytes ff fe; before,
    // the whole load failed on them with a MalformedInputException and DHCP did not start)
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T)));
    Files.write(journal.file(), badLine.equals("NOT-UTF-8") ? new byte[] {(byte) 0xff, (byte) 0xfe, '\n'}
        : (badLine + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    journal.append(List.of(lease("10.0.0.11", State.BOUND, "02:00:00:00:00:02", T)));
    byte[] before = Files.readAllBytes(journal.file());

    // WHEN it is loaded
    List<Lease> loaded = journal.load();

    // THEN both good records are there, the file as found is kept beside it, and the journal holds the good lines
    assertThat(loaded).containsExactly(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T),
        lease("10.0.0.11", State.BOUND, "02:00:00:00:00:02", T));
    CorruptFiles.assertSetAsideIntact(journal.file(), before);
    assertThat(journal.setAside()).hasValueSatisfying(a -> assertThat(a.problem()).contains("line 3"));
    assertThat(Files.readAllLines(journal.file())).containsExactly(LeaseJournal.HEADER,
        "10.0.0.10 BOUND 02:00:00:00:00:01 " + T, "10.0.0.11 BOUND 02:00:00:00:00:02 " + T);
    // AND the next load finds nothing wrong
    assertThat(LeaseJournal.inDataDir(dir).load()).isEqualTo(loaded);
    assertThat(CorruptFiles.asideCopies(journal.file())).hasSize(1);
  }

  @Test
  void theAddressOfAnUnreadableLineIsReportedUnlessALaterLineSaysWhatBecameOfIt() throws Exception {
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T)));
    Files.writeString(journal.file(), "10.0.0.11 BOUND 02:00:00:00:00:02\n10.0.0.12 BOUND\ngarbage\n",
        StandardOpenOption.APPEND);
    journal.append(List.of(lease("10.0.0.12", State.RELEASED, "02:00:00:00:00:03", T)));
    journal.load();
    assertThat(journal.unreadableAddresses()).containsExactly(Ipv4.parse("10.0.0.11"));
  }

  @ParameterizedTest
  @EnumSource(Corruption.class)
  void aWholeJournalCorruptedIsSetAsideUnlessItIsOnlyTornOrEmpty(Corruption corruption) throws Exception {
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.append(List.of(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T),
        lease("10.0.0.11", State.BOUND, "02:00:00:00:00:02", T)));
    // WRONG_TYPE: a protobuf state file (a token store) copied over the journal
    byte[] wrongType = io.boottorrent.proto.TokenStoreFile.newBuilder().addTokens(io.boottorrent.proto.StoredToken
        .newBuilder().setSecretSha256(com.google.protobuf.ByteString.copyFrom(new byte[32]))).build().toByteArray();
    byte[] bad = corruption.apply(Files.readAllBytes(journal.file()), wrongType);
    Files.write(journal.file(), bad);

    List<Lease> loaded = journal.load();

    switch (corruption) {
      case TRUNCATED -> { // the crash case: the last line lost its end
        assertThat(loaded).containsExactly(lease("10.0.0.10", State.BOUND, "02:00:00:00:00:01", T));
        assertThat(journal.setAside()).isEmpty();
      }
      case EMPTY -> {
        assertThat(loaded).isEmpty();
        assertThat(journal.setAside()).isEmpty();
      }
      case RANDOM_BYTES, WRONG_TYPE -> {
        assertThat(loaded).isEmpty();
        CorruptFiles.assertSetAsideIntact(journal.file(), bad);
        assertThat(Files.readAllLines(journal.file())).containsExactly(LeaseJournal.HEADER);
      }
    }
    // AND whatever was found, the journal takes appends that read back
    journal.append(List.of(lease("10.0.0.12", State.BOUND, "02:00:00:00:00:03", T)));
    assertThat(LeaseJournal.inDataDir(dir).load()).endsWith(lease("10.0.0.12", State.BOUND, "02:00:00:00:00:03", T));
  }

  @Test
  void compactionKeepsOneRecordPerAddressAndReplaysToTheSameState() throws Exception {
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    LeaseStore store = new LeaseStore();
    for (int i = 0; i < 50; i++) {
      store.offer("02:00:00:00:00:01", Ipv4.parse("10.0.0.10"), T + i, T);
      store.bind("02:00:00:00:00:01", Ipv4.parse("10.0.0.10"), T + 3_600_000 + i, T);
    }
    store.bind("02:00:00:00:00:02", Ipv4.parse("10.0.0.11"), T + 3_600_000, T);
    journal.append(store.drainChanges());
    long before = Files.lines(journal.file()).count();

    journal.compact(store.snapshot());

    assertThat(before).isGreaterThan(50);
    assertThat(Files.readAllLines(journal.file())).hasSize(3).first().isEqualTo(LeaseJournal.HEADER);
    assertThat(Files.exists(journal.file().resolveSibling("leases.tmp"))).isFalse();
    assertThat(LeaseStore.replay(journal.load()).snapshot()).isEqualTo(store.snapshot());
  }

  @Test
  void aMacThatMovedToAnotherAddressKeepsTheNewOneAfterReplayOfASnapshot() throws Exception {
    // GIVEN client 1 had 10.0.0.20, then got 10.0.0.10 (lower address, so first in address order)
    LeaseStore store = new LeaseStore();
    store.bind("02:00:00:00:00:01", Ipv4.parse("10.0.0.20"), T + 1000, T);
    store.bind("02:00:00:00:00:01", Ipv4.parse("10.0.0.10"), T + 3_600_000, T + 10);
    LeaseJournal journal = LeaseJournal.inDataDir(dir);
    journal.compact(store.snapshot());

    LeaseStore reloaded = LeaseStore.replay(journal.load());

    assertThat(reloaded.leaseOf("02:00:00:00:00:01")).map(Lease::ip).contains(Ipv4.parse("10.0.0.10"));
    assertThat(reloaded.byIp(Ipv4.parse("10.0.0.20"))).map(Lease::state).contains(State.RELEASED);
  }

  @Test
  void absentJournalIsAnEmptyStore() throws Exception {
    assertThat(LeaseJournal.inDataDir(dir).load()).isEmpty();
  }
}
