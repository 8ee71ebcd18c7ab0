package io.boottorrent.tftp.protocol;

/**
 * Congestion control of one read transfer's windows: AIMD on the <em>burst</em>, the number of blocks
 * sent back to back. RFC 7440 leaves congestion control to the sender. The window itself cannot
 * shrink: a RFC 7440 receiver (atftp)
 * acknowledges only after windowsize blocks or the last one, so a shorter window would stall until
 * its timeout. So the whole negotiated window still goes out, but after a loss in bursts of
 * {@link #burst()} blocks, {@link #gapMillis()} apart: the rest of the window waits in the sender
 * instead of in the bottleneck's queue, where a storm of full windows overflows it and each drop
 * costs the rest of that window again.
 *
 * <p>The burst starts at the whole window (a transfer that never loses is sent exactly as without
 * this class), shrinks to {@value #DECREASE} of itself on a loss (CUBIC's beta, RFC 9438) — at most
 * once until the client acknowledges progress, so a timeout and the repeats that follow it count
 * once — and grows by one per window acknowledged in full without loss, never above the window. The
 * gap is the smoothed round-trip time (RFC 6298's 1/8 gain) from the last block of a window to its
 * ACK, which under congestion is mostly the bottleneck's queueing delay, divided by
 * {@value #PACING_RATIO} (Linux paces TCP at 120% of cwnd per round trip, tcp_pacing_ca_ratio): a
 * little more than a burst per round trip, so that a queue that drains faster than the estimate
 * follows is refilled rather than left idle.
 *
 * <p>A loss only counts as congestion when the round trip shows a queue: at least
 * {@value #QUEUE_RTT_MILLIS} ms (a LAN round trip without one is well under a millisecond). Random
 * loss on a short path (a bad cable, a lossy Wi-Fi bridge) leaves the burst alone: pacing there only
 * adds timer gaps (5% loss on loopback: 47 s with every loss counted against 23 s unpaced).
 * Pure and single-threaded: the caller passes the events and the round-trip samples.
 */
public final class CongestionWindow {
  /** Gap before the first round-trip sample: a LAN round trip is well below it. */
  static final double INITIAL_RTT_MILLIS = 5;
  private static final double RTT_GAIN = 1.0 / 8;
  static final double DECREASE = 0.7;
  static final double PACING_RATIO = 1.2;
  static final double QUEUE_RTT_MILLIS = 2;

  private final int windowsize;
  private final boolean adaptive;
  private final long maxGapMillis;
  private int burst;
  private boolean lossSinceProgress;
  private double srttMillis = -1;
  private long losses;

  private CongestionWindow(int windowsize, boolean adaptive, long maxGapMillis) {
    if (windowsize < TransferOptions.MIN_WINDOWSIZE || windowsize > TransferOptions.MAX_WINDOWSIZE) {
      throw new IllegalArgumentException("windowsize " + windowsize + " out of range");
    }
    if (maxGapMillis < 1) {
      throw new IllegalArgumentException("maxGapMillis must be at least 1, got " + maxGapMillis);
    }
    this.windowsize = windowsize;
    this.adaptive = adaptive;
    this.maxGapMillis = maxGapMillis;
    this.burst = windowsize;
  }

  /**
   * Bursts that shrink on loss and grow back.
   *
   * @param maxGapMillis ceiling of {@link #gapMillis()}: a gap must stay well below the receiver's
   *     own timeout, or the silence inside a window makes it re-ack (a loss signal of our own making)
   */
  public static CongestionWindow adaptive(int windowsize, long maxGapMillis) {
    return new CongestionWindow(windowsize, true, maxGapMillis);
  }

  /** Every window in one burst, whatever is lost (the behaviour before this class). */
  public static CongestionWindow fixed(int windowsize) {
    return new CongestionWindow(windowsize, false, Long.MAX_VALUE);
  }

  /** Blocks to send back to back, 1..windowsize. */
  public int burst() {
    return burst;
  }

  /** Wait between two bursts of one window: 1 ms to maxGapMillis. */
  public long gapMillis() {
    long gap = Math.round((srttMillis < 0 ? INITIAL_RTT_MILLIS : srttMillis) / PACING_RATIO);
    return Math.min(maxGapMillis, Math.max(1, gap));
  }

  /** The client acknowledged a block it had not acknowledged before. */
  public void onProgress() {
    lossSinceProgress = false;
  }

  /**
   * A block was lost: a timeout, a repeated ACK answered with a resend, or an ACK short of the
   * window's last block (the receiver saw a gap). Shrinks the burst once per loss episode, when the
   * round trip shows a queue.
   */
  public void onLoss() {
    losses++;
    if (adaptive && !lossSinceProgress && srttMillis >= QUEUE_RTT_MILLIS) {
      burst = Math.max(1, (int) (burst * DECREASE));
    }
    lossSinceProgress = true;
  }

  /** A whole window was acknowledged at once, nothing lost: one block more per burst. */
  public void onCleanWindow() {
    if (adaptive && burst < windowsize) {
      burst++;
    }
  }

  /** A round trip measured on a window sent once (Karn: none from retransmissions). */
  public void onRoundTrip(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("negative round trip " + millis);
    }
    srttMillis = srttMillis < 0 ? millis : srttMillis + RTT_GAIN * (millis - srttMillis);
  }

  public int windowsize() {
    return windowsize;
  }

  public boolean isAdaptive() {
    return adaptive;
  }

  /** Loss signals so far (each timeout, answered repeat and short ACK). */
  public long losses() {
    return losses;
  }

  /** The smoothed round-trip time, or -1 before the first sample. */
  public double srttMillis() {
    return srttMillis;
  }
}
