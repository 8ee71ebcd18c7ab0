package io.boottorrent.tftp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.tftp.protocol.ReadTransfer.Action;
import io.boottorrent.tftp.protocol.ReadTransfer.Completed;
import io.boottorrent.tftp.protocol.ReadTransfer.Failed;
import io.boottorrent.tftp.protocol.ReadTransfer.SendBlocks;
import io.boottorrent.tftp.protocol.ReadTransfer.SendOptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReadTransferTest {
  private static final OptionAck OACK = new OptionAck(TransferOptions.of("blksize", "1024"));
  /** Repeats are answered when the last send is at least this old. */
  private static final long HOLDOFF = 500;

  /** The transfers' clock, in milliseconds; moved by the tests. */
  private final AtomicLong now = new AtomicLong(1_000_000);

  private ReadTransfer transfer(long length, int blksize, int windowsize, int maxRetries, Optional<OptionAck> oack) {
    return new ReadTransfer(length, blksize, windowsize, maxRetries, oack, HOLDOFF, now::get);
  }

  private ReadTransfer plain(long length, int blksize, int windowsize) {
    return transfer(length, blksize, windowsize, 3, Optional.empty());
  }

  @Test
  void lockstepWithoutOptionsSendsOneBlockPerAckUntilTheShortLastBlock() {
    // GIVEN 1300 bytes in 512-byte blocks, no options (RFC 1350)
    ReadTransfer t = plain(1300, 512, 1);
    assertThat(t.blockCount()).isEqualTo(3);
    // WHEN started THEN DATA 1 goes out at once
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 1, false));
    // WHEN each block is acked THEN the next one follows; the last has 1300 - 1024 bytes
    assertThat(t.onAck(1)).hasValue(new SendBlocks(2, 2, false));
    assertThat(t.onAck(2)).hasValue(new SendBlocks(3, 3, false));
    assertThat(t.blockLength(3)).isEqualTo(276);
    assertThat(t.onAck(3)).hasValue(new Completed(1300, 3));
    assertThat(t.state()).isEqualTo(ReadTransfer.State.COMPLETED);
  }

  @Test
  void aLengthThatIsAMultipleOfBlksizeEndsWithAnEmptyBlock() {
    // GIVEN exactly two full blocks
    ReadTransfer t = plain(1024, 512, 1);
    // THEN a third, empty, block tells the client the file is over (RFC 1350 §6)
    assertThat(t.blockCount()).isEqualTo(3);
    assertThat(t.blockLength(2)).isEqualTo(512);
    assertThat(t.blockLength(3)).isZero();
    assertThat(t.offset(3)).isEqualTo(1024);
  }

  @Test
  void anEmptyFileIsOneEmptyBlock() {
    ReadTransfer t = plain(0, 512, 4);
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 1, false));
    assertThat(t.blockLength(1)).isZero();
    assertThat(t.onAck(1)).hasValue(new Completed(0, 1));
  }

  @Test
  void optionsAreAnsweredWithAnOackAndDataStartsAfterAck0() {
    ReadTransfer t = transfer(5000, 1024, 1, 3, Optional.of(OACK));
    assertThat(t.start()).isEqualTo(new SendOptionAck(OACK, false));
    assertThat(t.state()).isEqualTo(ReadTransfer.State.NEGOTIATING);
    // an ACK of anything but 0 before the OACK is acknowledged means nothing
    assertThat(t.onAck(1)).isEmpty();
    assertThat(t.onAck(0)).hasValue(new SendBlocks(1, 1, false));
    // a repeated ACK 0 after that is a duplicate
    assertThat(t.onAck(0)).isEmpty();
  }

  @Test
  void anUnansweredOackIsResentOnTimeout() {
    ReadTransfer t = transfer(5000, 1024, 1, 3, Optional.of(OACK));
    t.start();
    assertThat(t.onTimeout()).hasValue(new SendOptionAck(OACK, true));
  }

  @Test
  void windowsAreSentWholeAndTheNextStartsAfterTheAckedBlock() {
    // GIVEN 10 blocks of 100 bytes (the 11th empty) in windows of 4 (RFC 7440)
    ReadTransfer t = plain(1000, 100, 4);
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 4, false));
    // WHEN the window is acked THEN the next window follows
    assertThat(t.onAck(4)).hasValue(new SendBlocks(5, 8, false));
    // WHEN the receiver saw a gap after block 6 and acks 6 THEN sending restarts at 7
    assertThat(t.onAck(6)).hasValue(new SendBlocks(7, 10, false));
    assertThat(t.retransmittedBlocks()).isEqualTo(2); // 7 and 8 went out twice
    // the last window is cut at the final (empty) block 11
    assertThat(t.onAck(10)).hasValue(new SendBlocks(11, 11, false));
    assertThat(t.onAck(11)).hasValue(new Completed(1000, 11));
  }

  @Test
  void aTimeoutResendsTheWindowFromTheLastAckedBlock() {
    ReadTransfer t = plain(1000, 100, 4);
    t.start();
    t.onAck(4);
    // WHEN nothing is acked within the timeout THEN blocks 5..8 go out again
    assertThat(t.onTimeout()).hasValue(new SendBlocks(5, 8, true));
    assertThat(t.retransmittedBlocks()).isEqualTo(4);
    assertThat(t.onAck(8)).hasValue(new SendBlocks(9, 11, false));
  }

  @Test
  void duplicateAndStaleAcksAreIgnoredToAvoidTheSorcerersApprentice() {
    ReadTransfer t = plain(1000, 100, 1);
    t.start();
    t.onAck(1);
    t.onAck(2);
    // a duplicate ACK 2 right after DATA 3 went out (an echo of a duplicate DATA 2) and a stale ACK 1
    // change nothing
    now.addAndGet(HOLDOFF - 1);
    assertThat(t.onAck(2)).isEmpty();
    assertThat(t.onAck(1)).isEmpty();
    // an ACK of a block never sent is ignored
    assertThat(t.onAck(9)).isEmpty();
    assertThat(t.acked()).isEqualTo(2);
    assertThat(t.onAck(3)).hasValue(new SendBlocks(4, 4, false));
  }

  @Test
  void aRepeatedAckOfTheAcknowledgedBlockResendsTheWindowOnceTheLastSendIsOldEnough() {
    // GIVEN windows of 4; the client acked 4 and window 5..8 went out (and was lost)
    ReadTransfer t = plain(1000, 100, 4);
    t.start();
    assertThat(t.onAck(4)).hasValue(new SendBlocks(5, 8, false));
    // WHEN ACK 4 comes again soon after: an echo, ignored (no Sorcerer's Apprentice)
    now.addAndGet(HOLDOFF / 5);
    assertThat(t.onAck(4)).isEmpty();
    // WHEN it comes again when the window is older than the holdoff: the receiver timed out waiting
    // (RFC 7440 4: it acks the last block it got in order) THEN the window is resent from 5 at once
    now.addAndGet(HOLDOFF);
    assertThat(t.onAck(4)).hasValue(new SendBlocks(5, 8, true));
    assertThat(t.retransmittedBlocks()).isEqualTo(4);
    assertThat(t.repeatsAnswered()).isEqualTo(1);
    // AND the holdoff runs again from that resend
    now.addAndGet(HOLDOFF - 1);
    assertThat(t.onAck(4)).isEmpty();
    now.addAndGet(1);
    assertThat(t.onAck(4)).hasValue(new SendBlocks(5, 8, true));
    // AND the transfer goes on from the next real ACK
    assertThat(t.onAck(8)).hasValue(new SendBlocks(9, 11, false));
  }

  @Test
  void answeringRepeatsNeitherCountsAsATimeoutNorResetsTheBackoff() {
    // GIVEN a lost window and one timeout: the next retransmission waits twice the base timeout
    ReadTransfer t = transfer(5000, 512, 4, 2, Optional.empty());
    t.start();
    now.addAndGet(1000);
    assertThat(t.onTimeout()).hasValue(new SendBlocks(1, 4, true));
    assertThat(t.backoffFactor()).isEqualTo(2);
    // WHEN the client, alive but getting nothing, repeats ACK 0 once a second
    for (int i = 0; i < 3; i++) {
      now.addAndGet(1000);
      assertThat(t.onAck(0)).hasValue(new SendBlocks(1, 4, true));
    }
    // THEN that is no progress: the backoff stays and the retries left are the same
    assertThat(t.backoffFactor()).isEqualTo(2);
    assertThat(t.timeouts()).isEqualTo(1);
    assertThat(t.onTimeout()).hasValue(new SendBlocks(1, 4, true));
    assertThat(t.onTimeout()).get().isInstanceOf(Failed.class);
  }

  @Test
  void aRepeatedRrqResendsTheOackUntilTheClientAcksIt() {
    ReadTransfer t = transfer(5000, 1024, 4, 3, Optional.of(OACK));
    assertThat(t.start()).isEqualTo(new SendOptionAck(OACK, false));
    // the client's RRQ crossed our OACK: ignored
    now.addAndGet(10);
    assertThat(t.onRepeatedRequest()).isEmpty();
    // the client timed out waiting for the OACK and asks again
    now.addAndGet(HOLDOFF);
    assertThat(t.onRepeatedRequest()).hasValue(new SendOptionAck(OACK, true));
    assertThat(t.awaitsFirstAnswer()).isTrue();
    assertThat(t.onAck(0)).hasValue(new SendBlocks(1, 4, false));
    // once ACK 0 is in, another RRQ from the client's port is not a repeat of this one
    assertThat(t.awaitsFirstAnswer()).isFalse();
    now.addAndGet(HOLDOFF);
    assertThat(t.onRepeatedRequest()).isEmpty();
  }

  @Test
  void withoutOptionsARepeatedRrqResendsData1UntilTheClientAcksIt() {
    ReadTransfer t = plain(5000, 512, 1);
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 1, false));
    now.addAndGet(HOLDOFF);
    assertThat(t.onRepeatedRequest()).hasValue(new SendBlocks(1, 1, true));
    assertThat(t.awaitsFirstAnswer()).isTrue();
    assertThat(t.onAck(1)).hasValue(new SendBlocks(2, 2, false));
    assertThat(t.awaitsFirstAnswer()).isFalse();
    now.addAndGet(HOLDOFF);
    assertThat(t.onRepeatedRequest()).isEmpty();
  }

  @Test
  void repeatsAfterTheEndAreIgnored() {
    ReadTransfer t = plain(100, 512, 1);
    t.start();
    assertThat(t.onAck(1)).hasValue(new Completed(100, 1));
    now.addAndGet(HOLDOFF);
    assertThat(t.onAck(1)).isEmpty();
    assertThat(t.onRepeatedRequest()).isEmpty();
  }

  @Test
  void blockNumbersRollOverFrom65535To0ForLargeFiles() {
    // GIVEN a 64 MiB file at 512-byte blocks: 131072 full blocks + the empty last one
    long length = 64L * 1024 * 1024;
    ReadTransfer t = plain(length, 512, 1);
    assertThat(t.blockCount()).isEqualTo(131_073);
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 1, false));
    // WHEN the client acks every block by its 16-bit number
    Optional<Action> last = Optional.empty();
    for (long index = 1; index <= t.blockCount(); index++) {
      last = t.onAck(ReadTransfer.wireBlock(index));
      if (index == 65_535) {
        // THEN after block 65535 comes absolute block 65536, which is 0 on the wire
        assertThat(last).hasValue(new SendBlocks(65_536, 65_536, false));
        assertThat(ReadTransfer.wireBlock(65_536)).isZero();
        assertThat(t.offset(65_536)).isEqualTo(65_535L * 512);
      }
    }
    // THEN the transfer completes at absolute block 131073 (wire number 1 after two wraps)
    assertThat(last).hasValue(new Completed(length, 131_073));
    assertThat(ReadTransfer.wireBlock(131_073)).isEqualTo(1);
  }

  @Test
  void aWindowSpanningTheRolloverMapsAcksToTheRightBlocks() {
    // GIVEN windows of 8 around the wrap: blocks 65532..65539 are wire 65532..65535, 0..3
    ReadTransfer t = plain(100L * 70_000, 100, 8);
    t.start();
    for (long acked = 8; acked <= 65_528; acked += 8) {
      t.onAck(ReadTransfer.wireBlock(acked));
    }
    assertThat(t.acked()).isEqualTo(65_528);
    assertThat(t.sentUpTo()).isEqualTo(65_536);
    // WHEN the client acks wire block 0 (absolute 65536) THEN the next window starts at 65537
    assertThat(t.onAck(0)).hasValue(new SendBlocks(65_537, 65_544, false));
    // a stale ACK of wire 65535 (absolute 65535, already covered) is ignored
    assertThat(t.onAck(65_535)).isEmpty();
    assertThat(t.onAck(ReadTransfer.wireBlock(65_544))).hasValue(new SendBlocks(65_545, 65_552, false));
  }

  @Test
  void retriesExhaustedGivesUpWithAnError() {
    // GIVEN 3 retries, waiting for block 1 of 2
    ReadTransfer t = plain(1000, 512, 1);
    t.start();
    assertThat(t.onTimeout()).hasValue(new SendBlocks(1, 1, true));
    assertThat(t.onTimeout()).hasValue(new SendBlocks(1, 1, true));
    assertThat(t.onTimeout()).hasValue(new SendBlocks(1, 1, true));
    // WHEN the 4th timeout comes THEN the transfer fails and the client is told (ERROR 0)
    Optional<Action> gaveUp = t.onTimeout();
    assertThat(gaveUp).get().isInstanceOfSatisfying(Failed.class, f -> {
      assertThat(f.reply()).hasValue(ErrorPacket.of(ErrorCode.NOT_DEFINED, "timed out"));
      assertThat(f.reason()).contains("3 retries").contains("ACK of block 1");
    });
    assertThat(t.state()).isEqualTo(ReadTransfer.State.FAILED);
    assertThat(t.onAck(1)).isEmpty();
    assertThat(t.onTimeout()).isEmpty();
  }

  @Test
  void timeoutsBackOffExponentiallyUpTo32TimesAndProgressResetsTheBackoff() {
    // GIVEN a transfer allowed many retries
    ReadTransfer t = transfer(5000, 512, 1, 10, Optional.empty());
    t.start();
    assertThat(t.backoffFactor()).isEqualTo(1);
    // WHEN timeouts follow each other THEN the wait doubles each time, capped at 32x (RFC 1123 4.2.3.2)
    int[] factors = new int[8];
    for (int i = 0; i < factors.length; i++) {
      t.onTimeout();
      factors[i] = t.backoffFactor();
    }
    assertThat(factors).containsExactly(2, 4, 8, 16, 32, 32, 32, 32);
    // WHEN the client makes progress THEN the next wait is the base timeout again
    t.onAck(1);
    assertThat(t.backoffFactor()).isEqualTo(1);
  }

  @Test
  void givingUpOnTheFinalBlockSaysTheClientMayHaveTheFile() {
    ReadTransfer t = plain(100, 512, 1);
    t.start();
    Optional<Action> gaveUp = Optional.empty();
    for (int i = 0; i <= 3; i++) {
      gaveUp = t.onTimeout();
    }
    assertThat(gaveUp).get().isInstanceOfSatisfying(Failed.class,
        f -> assertThat(f.reason()).contains("final block 1 (the client may have the whole file)"));
  }

  @Test
  void progressResetsTheRetryCount() {
    ReadTransfer t = plain(5000, 512, 1);
    t.start();
    t.onTimeout();
    t.onTimeout();
    t.onTimeout();
    t.onAck(1);
    assertThat(t.onTimeout()).hasValue(new SendBlocks(2, 2, true));
  }

  @Test
  void anErrorRightAfterAnOackWithTsizeIsASizeProbe() {
    // GIVEN the OACK told the client the size (PXE ROMs and OVMF ask for tsize, then abort)
    ReadTransfer t = transfer(5000, 1024, 1, 3,
        Optional.of(new OptionAck(TransferOptions.of("tsize", "5000", "blksize", "1024"))));
    t.start();
    // WHEN the client answers the OACK with an ERROR
    Optional<Action> ended = t.onClientError(ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "tsize only"));
    // THEN the transfer is over as a size probe, nothing sent back, no retransmission later
    assertThat(ended).hasValue(new ReadTransfer.SizeProbed(5000, "ERROR 8 (" + ErrorCode.OPTION_NEGOTIATION.description()
        + "): tsize only"));
    assertThat(t.onTimeout()).isEmpty();
  }

  @Test
  void anErrorOnceDataFlowsIsAFailureEvenWithTsize() {
    ReadTransfer t = transfer(5000, 1024, 1, 3,
        Optional.of(new OptionAck(TransferOptions.of("tsize", "5000", "blksize", "1024"))));
    t.start();
    t.onAck(0);
    assertThat(t.onClientError(ErrorPacket.of(ErrorCode.DISK_FULL, "no room"))).get().isInstanceOf(Failed.class);
  }

  @Test
  void aClientErrorEndsTheTransferWithoutAReply() {
    ReadTransfer t = transfer(5000, 1024, 1, 3, Optional.of(OACK));
    t.start();
    Optional<Action> ended = t.onClientError(ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "blksize too big"));
    assertThat(ended).get().isInstanceOfSatisfying(Failed.class, f -> {
      assertThat(f.reply()).isEmpty();
      assertThat(f.reason()).contains("ERROR 8").contains("blksize too big");
    });
  }

  private ReadTransfer paced(long length, int blksize, int windowsize) {
    return new ReadTransfer(length, blksize, 3, Optional.empty(), HOLDOFF, now::get,
        CongestionWindow.adaptive(windowsize, 250));
  }

  @Test
  void anAckShortOfTheWindowATimeoutAndAnAnsweredRepeatAreLossesThatShrinkTheBurstNotTheWindow() {
    // GIVEN 40 blocks in windows of 8, paced
    ReadTransfer t = paced(4000, 100, 8);
    assertThat(t.start()).isEqualTo(new SendBlocks(1, 8, false));
    t.windowSent();
    now.addAndGet(20);
    // WHEN the whole window is acked 20 ms after its last block THEN a round trip of 20 ms, no loss
    assertThat(t.onAck(8)).hasValue(new SendBlocks(9, 16, false));
    assertThat(t.congestion().burst()).isEqualTo(8);
    assertThat(t.congestion().srttMillis()).isEqualTo(20.0);
    t.windowSent();
    // WHEN the receiver acks 12 of 9..16 (it saw a gap) THEN the burst shrinks and the next window
    // is still 8 blocks, from 13
    assertThat(t.onAck(12)).hasValue(new SendBlocks(13, 20, false));
    assertThat(t.congestion().burst()).isEqualTo(5);
    // AND that ACK is no round-trip sample (it may come from the receiver's timer)
    assertThat(t.congestion().srttMillis()).isEqualTo(20.0);
    t.windowSent();
    // WHEN the window times out, and the client's repeated ACK of 12 follows, old enough to be
    // answered THEN the window is resent whole each time, and with no progress since the loss the
    // burst does not halve again: one loss episode
    assertThat(t.onTimeout()).hasValue(new SendBlocks(13, 20, true));
    t.windowSent();
    now.addAndGet(HOLDOFF);
    assertThat(t.onAck(12)).hasValue(new SendBlocks(13, 20, true));
    assertThat(t.congestion().burst()).isEqualTo(5);
    assertThat(t.congestion().losses()).isEqualTo(3);
    t.windowSent();
    now.addAndGet(900);
    // WHEN the resent window is acked whole THEN the burst grows by one; its delay is no sample (Karn)
    assertThat(t.onAck(20)).hasValue(new SendBlocks(21, 28, false));
    assertThat(t.congestion().burst()).isEqualTo(6);
    assertThat(t.congestion().srttMillis()).isEqualTo(20.0);
  }

  @Test
  void theDefaultConstructorKeepsWindowsInOneBurstWhateverIsLost() {
    ReadTransfer t = plain(4000, 100, 8);
    t.start();
    t.windowSent();
    t.onAck(4);
    t.onTimeout();
    assertThat(t.congestion().isAdaptive()).isFalse();
    assertThat(t.congestion().burst()).isEqualTo(8);
    assertThat(t.windowsize()).isEqualTo(8);
  }
}
