package io.boottorrent.swarm;

import java.util.Locale;

/**
 * Which share of a torrent's pieces a machine asks for first: stripe {@code index} of {@code count}
 * equal runs of consecutive pieces. When each of N machines that boot together takes a different
 * stripe of N, they ask the seeder for different pieces first and then fetch the other stripes from
 * each other, so the seeder sends fewer pieces twice (boot-storm benchmark, N = 16: 18.9–19.6 instead
 * of 23.8–26.3 MiB from the seeder, 20% faster; docs/BENCHMARKS.md, "Piece stripes"). After its stripe
 * a machine fetches rarest first as usual; every piece is still downloaded.
 */
public record PieceStripe(int index, int count) {
  /** libtorrent piece priorities: its stripe first, the rest at the default. */
  static final int FIRST = 7;
  static final int REST = 4;

  public PieceStripe {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("a piece stripe is <index>/<count> with 0 <= index < count, got "
          + index + "/" + count);
    }
  }

  /** {@code "3/16"}; blank or {@code "off"} is no stripe (null). */
  public static PieceStripe parse(String text) {
    if (text == null || text.isBlank() || text.trim().toLowerCase(Locale.ROOT).equals("off")) {
      return null;
    }
    String[] parts = text.trim().split("/", -1);
    try {
      if (parts.length == 2) {
        return new PieceStripe(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("a piece stripe is <index>/<count> (e.g. 3/16) or off, got " + text);
  }

  /** Whether piece {@code piece} of {@code numPieces} lies in this stripe. */
  public boolean contains(int piece, int numPieces) {
    return (long) piece * count / numPieces == index;
  }

  /** One libtorrent priority per piece. */
  int[] priorities(int numPieces) {
    int[] out = new int[numPieces];
    for (int piece = 0; piece < numPieces; piece++) {
      out[piece] = contains(piece, numPieces) ? FIRST : REST;
    }
    return out;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
