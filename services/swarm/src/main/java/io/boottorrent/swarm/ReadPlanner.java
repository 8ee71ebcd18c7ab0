package io.boottorrent.swarm;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Which pieces of one torrent get which libtorrent piece deadline, for a stream of reads (pure: no
 * libtorrent, no clock; not thread-safe, its owner serialises calls).
 *
 * <p>A read's missing pieces get {@link Options#onDemandMs} plus {@link Options#stepMs} per piece in
 * read order; as libtorrent deadlines are relative to the moment they are set, a later read's pieces
 * fall due after an earlier read's. A read that starts where the previous one ended (give or take one
 * piece: a guest keeps several requests in flight and they arrive slightly out of order) is sequential:
 * the read-ahead window then starts at {@link Options#initialWindowBytes} and doubles with every
 * further sequential read up to {@link Options#maxWindowBytes}, and the missing pieces in the window
 * after the read get {@link Options#readAheadMs} plus a step each — later than any on-demand piece. A
 * read anywhere else resets the window to 0 and drops the read-ahead deadlines still outstanding.
 */
final class ReadPlanner {

  /**
   * @param onDemandMs deadline of a read's first missing piece
   * @param readAheadMs deadline of the first read-ahead piece (larger: on-demand pieces come first)
   * @param stepMs added per further piece, in order
   * @param initialWindowBytes read-ahead after the first sequential read
   * @param maxWindowBytes cap of the doubling window
   */
  record Options(int onDemandMs, int readAheadMs, int stepMs, long initialWindowBytes, long maxWindowBytes) {
    Options {
      if (onDemandMs < 0 || readAheadMs < onDemandMs || stepMs < 0) {
        throw new IllegalArgumentException("deadlines must be 0 <= onDemandMs <= readAheadMs and stepMs >= 0, got "
            + onDemandMs + ", " + readAheadMs + ", " + stepMs);
      }
      if (initialWindowBytes < 0 || maxWindowBytes < initialWindowBytes) {
        throw new IllegalArgumentException("read-ahead window must be 0 <= initial <= max, got "
            + initialWindowBytes + " and " + maxWindowBytes);
      }
    }

    static Options defaults() {
      return new Options(0, 500, 10, 1L << 20, 16L << 20);
    }
  }

  /** One deadline to set. */
  record Deadline(int piece, int ms, boolean readAhead) {}

  /**
   * What to do for one read.
   *
   * @param first first piece of the read
   * @param last last piece of the read
   * @param deadlines deadlines to set, on-demand ones first, each in order
   * @param dropped read-ahead pieces whose deadlines no longer matter (reset them)
   * @param sequential whether the read continued the previous one
   * @param windowBytes read-ahead window after this read
   */
  record Plan(int first, int last, List<Deadline> deadlines, List<Integer> dropped, boolean sequential,
              long windowBytes) {}

  private final int pieceLength;
  private final int numPieces;
  private final long totalSize;
  private final Options options;
  /** Pieces that got a read-ahead deadline and have not arrived or been dropped. */
  private final BitSet readAhead = new BitSet();
  private long nextExpected = -1;
  private long window;

  ReadPlanner(int pieceLength, int numPieces, long totalSize, Options options) {
    if (pieceLength <= 0 || numPieces <= 0 || totalSize <= 0
        || totalSize > (long) pieceLength * numPieces || totalSize <= (long) pieceLength * (numPieces - 1)) {
      throw new IllegalArgumentException("inconsistent piece geometry: " + numPieces + " pieces of " + pieceLength
          + " bytes for " + totalSize + " bytes");
    }
    this.pieceLength = pieceLength;
    this.numPieces = numPieces;
    this.totalSize = totalSize;
    this.options = options;
  }

  int pieceOf(long torrentOffset) {
    return (int) (torrentOffset / pieceLength);
  }

  /**
   * Plans a read of {@code length} bytes (>= 1) at {@code torrentOffset} in the torrent's byte space;
   * {@code have} says which pieces are already downloaded and verified.
   */
  Plan plan(long torrentOffset, int length, IntPredicate have) {
    if (torrentOffset < 0 || length <= 0 || torrentOffset + length > totalSize) {
      throw new IllegalArgumentException("read of " + length + " bytes at " + torrentOffset
          + " is outside the torrent's " + totalSize + " bytes");
    }
    long end = torrentOffset + length;
    int first = pieceOf(torrentOffset);
    int last = pieceOf(end - 1);
    boolean sequential = nextExpected >= 0 && torrentOffset >= nextExpected - pieceLength
        && torrentOffset <= nextExpected + pieceLength;
    List<Integer> dropped = new ArrayList<>();
    if (sequential) {
      window = window == 0 ? options.initialWindowBytes() : Math.min(options.maxWindowBytes(), window * 2);
      // read-ahead pieces the stream has passed no longer help it
      for (int p = readAhead.nextSetBit(0); p >= 0 && p < first; p = readAhead.nextSetBit(p + 1)) {
        dropped.add(p);
      }
    } else {
      window = 0;
      for (int p = readAhead.nextSetBit(0); p >= 0; p = readAhead.nextSetBit(p + 1)) {
        if (p < first || p > last) {
          dropped.add(p);
        }
      }
    }
    dropped.forEach(readAhead::clear);
    nextExpected = Math.max(end, sequential ? nextExpected : 0);
    List<Deadline> deadlines = new ArrayList<>();
    int step = 0;
    for (int p = first; p <= last; p++) {
      readAhead.clear(p); // needed now: on demand
      if (!have.test(p)) {
        deadlines.add(new Deadline(p, options.onDemandMs() + step++ * options.stepMs(), false));
      }
    }
    if (window > 0) {
      int until = pieceOf(Math.min(totalSize, end + window) - 1);
      step = 0;
      for (int p = last + 1; p <= until && p < numPieces; p++) {
        if (!have.test(p) && !readAhead.get(p)) {
          readAhead.set(p);
          deadlines.add(new Deadline(p, options.readAheadMs() + step++ * options.stepMs(), true));
        }
      }
    }
    return new Plan(first, last, List.copyOf(deadlines), List.copyOf(dropped), sequential, window);
  }

  /** A piece arrived: true if it was one of the outstanding read-ahead pieces. */
  boolean arrived(int piece) {
    boolean was = readAhead.get(piece);
    readAhead.clear(piece);
    return was;
  }

  /** Whether {@code piece} has a read-ahead deadline outstanding. */
  boolean readingAhead(int piece) {
    return readAhead.get(piece);
  }
}
