package io.boottorrent.tftp.protocol;

import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Pure state machine of the sending side of one read transfer (RFC 1350, RFC 2347 OACK, RFC 7440
 * windows). It decides, for each event (start, ACK, timeout, client ERROR), what goes out next; the
 * caller does the I/O, keeps the timer and feeds the events back. Not thread-safe: one caller.
 *
 * <p>Blocks are numbered by their absolute index 1..{@link #blockCount()}; on the wire the number is
 * the index modulo 65536 ({@link #wireBlock}), so block 65535 is followed by block 0, and an ACK is
 * mapped back to the one absolute index in (acked, acked + 65535] it can mean. The last block is
 * shorter than blksize — empty when the length is a multiple of blksize.
 *
 * <p>Windows: after the OACK is acknowledged (ACK 0), or at once without options, up to windowsize
 * blocks are sent. An ACK of block k (acked &lt; k &le; highest sent) moves the window to start at
 * k + 1 and sends it (so a receiver that saw a gap re-acks its last in-order block and the rest is
 * resent). After {@code maxRetries} timeouts in a row without progress the transfer fails with
 * ERROR 0.
 *
 * <p>Repeats: a receiver whose own timer runs out repeats its last packet — the ACK of the last
 * block it got in order, which we already have (atftp does so every timeout), or its RRQ while the
 * OACK or DATA 1 is lost. That repeat means "nothing arrived, send it
 * again", and it is answered by resending the window from acked + 1 (or the OACK), but only when the
 * last send is at least {@code repeatHoldoffMillis} old. A repeat that follows a send more closely is
 * ignored: it is an echo of a retransmission that crossed it (a duplicate DATA makes the receiver
 * re-ack), and answering every such echo would start the Sorcerer's Apprentice (RFC 1123
 * §4.2.3.1). With a holdoff well above the round-trip time, at most one resend per holdoff follows
 * from repeats, paced by the receiver's own timer.
 *
 * <p>Timeouts back off exponentially (RFC 1123 §4.2.3.2): the wait before the next retransmission is
 * the base timeout times {@link #backoffFactor()}, which doubles with every timeout in a row (up to
 * {@value #MAX_BACKOFF_FACTOR}x) and drops back to 1 on progress. Besides sparing a congested link,
 * this breaks a livelock with receivers whose own timer restarts on every packet (atftp re-acks a
 * repeated window only once and then waits for a silence of its timeout). Answering repeats is what
 * keeps the backoff from outlasting the receiver: atftp, for one, gives up after six silent
 * timeouts of its own (6 s with {@code --tftp-timeout 1}), while the backed-off retransmissions alone
 * come 1, 2, 4, 8 s apart.
 *
 * <p>The window is never cut below the negotiated windowsize as a congestion response: a RFC 7440
 * receiver acknowledges only after windowsize blocks (or the last one), so a shorter window would
 * stall until the receiver's timeout. Instead {@link #congestion()} paces the window out in bursts
 * after a loss; this class feeds it the loss signals (a timeout, an answered repeat, an ACK short of
 * the window's last block), the clean windows and the round trips ({@link #windowSent()} to ACK).
 */
public final class ReadTransfer {
  public enum State { NEGOTIATING, SENDING, COMPLETED, FAILED }

  /** What the caller must do next. */
  public sealed interface Action permits SendOptionAck, SendBlocks, Completed, Failed, SizeProbed {}

  /** Send (or resend) the OACK, then wait for ACK 0. */
  public record SendOptionAck(OptionAck packet, boolean retransmission) implements Action {}

  /** Send blocks {@code first..last} (absolute indices, inclusive) in order, replacing any not yet sent. */
  public record SendBlocks(long first, long last, boolean retransmission) implements Action {
    public long count() {
      return last - first + 1;
    }
  }

  /** The last block was acknowledged. */
  public record Completed(long bytes, long blocks) implements Action {}

  /** The transfer is over; send {@code reply} to the client if present. */
  public record Failed(Optional<ErrorPacket> reply, String reason) implements Action {}

  /**
   * The client asked for {@code tsize}, got the OACK and ended the transfer with an ERROR before any
   * data: the size probe of PXE ROMs and UEFI firmware (RFC 2349's tsize lets a client learn the size
   * and abort), which then ask again. Over, but not a failure.
   */
  public record SizeProbed(long tsize, String clientError) implements Action {}

  /** Ceiling of {@link #backoffFactor()}. */
  public static final int MAX_BACKOFF_FACTOR = 32;

  private final long length;
  private final int blksize;
  private final int windowsize;
  private final int maxRetries;
  private final OptionAck optionAck;
  private final long lastBlock;
  private final long repeatHoldoffMillis;
  private final LongSupplier clock;
  private final CongestionWindow congestion;

  private State state;
  private long acked;
  private long sentUpTo;
  private int timeoutsInARow;
  private long retransmittedBlocks;
  private long timeouts;
  private long repeatsAnswered;
  private long lastSentMillis;
  /** When the current window's last block went out ({@link #windowSent()}), or -1. */
  private long windowSentMillis = -1;
  /** The current window is a resend after a timeout or repeat: its ACK is no round-trip sample. */
  private boolean windowResent;

  /**
   * @param length bytes to send (as they go on the wire)
   * @param maxRetries retransmissions after consecutive timeouts before giving up
   * @param optionAck the OACK to send first, if options were accepted
   * @param repeatHoldoffMillis how old the last send must be for a repeated ACK or RRQ to be answered
   * @param clock milliseconds of a monotonic clock, read when something is sent and when a repeat arrives
   */
  public ReadTransfer(long length, int blksize, int windowsize, int maxRetries, Optional<OptionAck> optionAck,
      long repeatHoldoffMillis, LongSupplier clock) {
    this(length, blksize, maxRetries, optionAck, repeatHoldoffMillis, clock, CongestionWindow.fixed(windowsize));
  }

  /** @param congestion paces the windows; its windowsize is the transfer's */
  public ReadTransfer(long length, int blksize, int maxRetries, Optional<OptionAck> optionAck,
      long repeatHoldoffMillis, LongSupplier clock, CongestionWindow congestion) {
    int windowsize = congestion.windowsize();
    if (length < 0) {
      throw new IllegalArgumentException("length must not be negative");
    }
    if (blksize < TransferOptions.MIN_BLKSIZE || blksize > TransferOptions.MAX_BLKSIZE) {
      throw new IllegalArgumentException("blksize " + blksize + " out of range");
    }
    if (windowsize < TransferOptions.MIN_WINDOWSIZE || windowsize > TransferOptions.MAX_WINDOWSIZE) {
      throw new IllegalArgumentException("windowsize " + windowsize + " out of range");
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must not be negative");
    }
    if (repeatHoldoffMillis < 0) {
      throw new IllegalArgumentException("repeatHoldoffMillis must not be negative");
    }
    this.length = length;
    this.blksize = blksize;
    this.windowsize = windowsize;
    this.maxRetries = maxRetries;
    this.optionAck = optionAck.orElse(null);
    this.lastBlock = length / blksize + 1;
    this.repeatHoldoffMillis = repeatHoldoffMillis;
    this.clock = clock;
    this.congestion = congestion;
    this.state = this.optionAck != null ? State.NEGOTIATING : State.SENDING;
  }

  /**
   * @param congestionControl pace windows after a loss ({@link CongestionWindow#adaptive}), or never;
   *     a gap inside a window is at most half the repeat holdoff (a quarter of the base timeout), far
   *     below a receiver's timeout
   */
  public static ReadTransfer of(OptionNegotiation.Result negotiated, long length, int maxRetries,
      long repeatHoldoffMillis, LongSupplier clock, boolean congestionControl) {
    int windowsize = negotiated.windowsize();
    CongestionWindow congestion = congestionControl
        ? CongestionWindow.adaptive(windowsize, Math.max(1, repeatHoldoffMillis / 2))
        : CongestionWindow.fixed(windowsize);
    return new ReadTransfer(length, negotiated.blksize(), maxRetries, negotiated.optionAck(), repeatHoldoffMillis,
        clock, congestion);
  }

  /** The block number on the wire for an absolute block index. */
  public static int wireBlock(long index) {
    return (int) (index & 0xFFFF);
  }

  public Action start() {
    if (acked != 0 || sentUpTo != 0 || state == State.COMPLETED || state == State.FAILED) {
      throw new IllegalStateException("already started");
    }
    if (state == State.NEGOTIATING) {
      return optionAck(false);
    }
    return window(false);
  }

  public Optional<Action> onAck(int block) {
    if (state == State.NEGOTIATING) {
      if (block != 0) {
        return Optional.empty();
      }
      state = State.SENDING;
      timeoutsInARow = 0;
      return Optional.of(window(false));
    }
    if (state != State.SENDING) {
      return Optional.empty();
    }
    long delta = (block - wireBlock(acked)) & 0xFFFF;
    long index = acked + delta;
    if (delta == 0) {
      // the acknowledged block again: the receiver timed out waiting, or echoes a duplicate DATA
      return answerRepeat();
    }
    if (index > sentUpTo) {
      // a block we never sent (stale or bogus)
      return Optional.empty();
    }
    long windowEnd = sentUpTo;
    boolean fullWindow = index - acked == windowsize;
    acked = index;
    timeoutsInARow = 0;
    congestion.onProgress();
    if (index < windowEnd) {
      // short of the window's last block: the receiver saw a gap, or its timer ran out inside the
      // window (so this ACK's delay is no round-trip sample)
      congestion.onLoss();
    } else {
      if (windowSentMillis >= 0 && !windowResent) {
        congestion.onRoundTrip(Math.max(0, clock.getAsLong() - windowSentMillis));
      }
      if (fullWindow) {
        congestion.onCleanWindow();
      }
    }
    if (acked == lastBlock) {
      state = State.COMPLETED;
      return Optional.of(new Completed(length, lastBlock));
    }
    return Optional.of(window(false));
  }

  public Optional<Action> onTimeout() {
    if (state != State.NEGOTIATING && state != State.SENDING) {
      return Optional.empty();
    }
    timeouts++;
    if (timeoutsInARow >= maxRetries) {
      String what = state == State.NEGOTIATING
          ? "ACK of the OACK"
          : sentUpTo == lastBlock
              ? "ACK of the final block " + wireBlock(sentUpTo) + " (the client may have the whole file)"
              : "ACK of block " + wireBlock(sentUpTo);
      state = State.FAILED;
      return Optional.of(new Failed(
          Optional.of(ErrorPacket.of(ErrorCode.NOT_DEFINED, "timed out")),
          "timed out after " + maxRetries + " retries waiting for " + what));
    }
    timeoutsInARow++;
    if (state == State.NEGOTIATING) {
      return Optional.of(optionAck(true));
    }
    congestion.onLoss();
    return Optional.of(window(true));
  }

  /**
   * The client sent its RRQ again: before the OACK is acknowledged, or before DATA 1 of a transfer
   * without options is, it did not get our first packet; answered like a repeated ACK. Later it is
   * a stale copy and ignored.
   */
  public Optional<Action> onRepeatedRequest() {
    return awaitsFirstAnswer() ? answerRepeat() : Optional.empty();
  }

  /**
   * True until the client first answers on our TID (ACK of the OACK, or of DATA 1 without options):
   * only then can another RRQ from its port be a repeat of this transfer's request.
   */
  public boolean awaitsFirstAnswer() {
    return state == State.NEGOTIATING || (state == State.SENDING && optionAck == null && acked == 0);
  }

  private Optional<Action> answerRepeat() {
    if (clock.getAsLong() - lastSentMillis < repeatHoldoffMillis) {
      return Optional.empty();
    }
    repeatsAnswered++;
    if (state == State.NEGOTIATING) {
      return Optional.of(optionAck(true));
    }
    congestion.onLoss();
    return Optional.of(window(true));
  }

  /**
   * Multiplier of the base timeout for the wait before the next retransmission: 1 after progress,
   * then 2, 4, 8… for each timeout in a row, at most {@value #MAX_BACKOFF_FACTOR}.
   */
  public int backoffFactor() {
    return 1 << Math.min(timeoutsInARow, Integer.numberOfTrailingZeros(MAX_BACKOFF_FACTOR));
  }

  /** The client sent an ERROR: the transfer ends and nothing is sent back (RFC 1350 §7). */
  public Optional<Action> onClientError(ErrorPacket error) {
    if (state == State.COMPLETED || state == State.FAILED) {
      return Optional.empty();
    }
    boolean probe = state == State.NEGOTIATING && optionAck.options().tsize().isPresent();
    state = State.FAILED;
    String said = "ERROR " + error.code() + " (" + error.errorCode().description() + "): " + error.message();
    if (probe) {
      return Optional.of(new SizeProbed(optionAck.options().tsize().getAsLong(), said));
    }
    return Optional.of(new Failed(Optional.empty(), "client sent " + said));
  }

  /** The sender gave up on its own (e.g. the file could not be read); the client gets {@code code}. */
  public Optional<Action> abort(ErrorCode code, String reason) {
    if (state == State.COMPLETED || state == State.FAILED) {
      return Optional.empty();
    }
    state = State.FAILED;
    return Optional.of(new Failed(Optional.of(ErrorPacket.of(code, reason)), reason));
  }

  private SendOptionAck optionAck(boolean retransmission) {
    lastSentMillis = clock.getAsLong();
    return new SendOptionAck(optionAck, retransmission);
  }

  /**
   * The caller has sent the last block of the current window (all its bursts): the round trip to
   * its ACK is measured from now.
   */
  public void windowSent() {
    windowSentMillis = clock.getAsLong();
  }

  /** The pacing of this transfer's windows. */
  public CongestionWindow congestion() {
    return congestion;
  }

  private SendBlocks window(boolean retransmission) {
    lastSentMillis = clock.getAsLong();
    windowSentMillis = -1;
    windowResent = retransmission;
    long first = acked + 1;
    long last = Math.min(acked + windowsize, lastBlock);
    if (first <= sentUpTo) {
      retransmittedBlocks += Math.min(last, sentUpTo) - first + 1;
    }
    sentUpTo = Math.max(sentUpTo, last);
    return new SendBlocks(first, last, retransmission);
  }

  // ------------------------------------------------------------------------------ block geometry

  /** Number of DATA blocks, including the final short (possibly empty) one. */
  public long blockCount() {
    return lastBlock;
  }

  /** Offset of block {@code index} (1-based) in the byte stream. */
  public long offset(long index) {
    checkIndex(index);
    return (index - 1) * blksize;
  }

  /** Payload length of block {@code index}: blksize, except for the last block. */
  public int blockLength(long index) {
    checkIndex(index);
    return index < lastBlock ? blksize : (int) (length - (lastBlock - 1) * blksize);
  }

  private void checkIndex(long index) {
    if (index < 1 || index > lastBlock) {
      throw new IllegalArgumentException("block " + index + " outside 1.." + lastBlock);
    }
  }

  public State state() {
    return state;
  }

  public long length() {
    return length;
  }

  public int blksize() {
    return blksize;
  }

  public int windowsize() {
    return windowsize;
  }

  /** Highest block index the client acknowledged. */
  public long acked() {
    return acked;
  }

  /** Highest block index sent so far. */
  public long sentUpTo() {
    return sentUpTo;
  }

  /** Blocks sent more than once so far. */
  public long retransmittedBlocks() {
    return retransmittedBlocks;
  }

  /** Timeouts so far (each one a retransmission or, the last, the failure). */
  public long timeouts() {
    return timeouts;
  }

  /** Repeated ACKs or RRQs answered with a resend so far. */
  public long repeatsAnswered() {
    return repeatsAnswered;
  }
}
