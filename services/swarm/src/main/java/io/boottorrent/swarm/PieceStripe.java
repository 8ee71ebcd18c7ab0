package io.boottorrent.swarm;

import java.util.Locale;

/**
 * Which share of a torrent's pieces a machine asks for first: stripe {@code index} of {@code count}
 * equal runs of consecutive pieces. When each of N machines that boot together takes a different
 * stripe of N, they ask the seeder for different pieces first and then fetch the other stripes from
 * each other, so the seeder sends fewer pieces twice (boot-storm benchmark, N = 16: 18.9–19.6 instead
 * of 23.8–26.3 MiB from the seeder, 20% faster; docs/BENCHMARKS.md, "Piece stripes"). After its stripe
 * a machine fetches rarest first as usual; every piece is still downloaded.
 *
 * <p>A nested stripe ({@link #nested}, count {@value #NESTED}) needs no count: it is for machines that
 * know only their place among those booting the image (the catalog's arrival order), not how many
 * there will be. See {@link #nested}.
 */
public record PieceStripe(int index, int count) {
  /** libtorrent piece priorities: its stripe first, the rest at the default. */
  static final int FIRST = 7;
  static final int REST = 4;
  /** The count of a nested stripe. */
  static final int NESTED = 0;
  /** Levels of a nested stripe: halves, quarters, ... 64ths, priorities 1 (lowest) to 7 (top). */
  static final int LEVELS = 6;

  public PieceStripe {
    if (count == NESTED ? index < 0 : count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("a piece stripe is <index>/<count> with 0 <= index < count, got "
          + index + "/" + count);
    }
  }

  /**
   * The stripe of the machine at place {@code index} (0, 1, 2, ...) among those booting together,
   * for any number of them up to 2^{@value #LEVELS}: at each level L (halves, quarters, eighths, ...,
   * 64ths) the machine's stripe is the bit-reversed {@code index mod 2^L}, each level's stripe inside
   * the one before, and a piece's priority is 1 + the deepest level whose stripe holds it. The first
   * 2^L machines then have 2^L different stripes at level L, all above every other piece: N machines
   * (N ≤ 64) split the image into N (rounded up to a power of two) disjoint first stripes, as N
   * stripes of N would, with no N given. Beyond 64, two machines share a stripe.
   */
  public static PieceStripe nested(int index) {
    return new PieceStripe(index, NESTED);
  }

  /** {@code "3/16"}; blank or {@code "off"} is no stripe (null). */
  public static PieceStripe parse(String text) {
    if (text == null || text.isBlank() || text.trim().toLowerCase(Locale.ROOT).equals("off")) {
      return null;
    }
    String[] parts = text.trim().split("/", -1);
    try {
      int count = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : NESTED;
      if (count != NESTED) {
        return new PieceStripe(Integer.parseInt(parts[0].trim()), count);
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("a piece stripe is <index>/<count> (e.g. 3/16) or off, got " + text);
  }

  /** Whether piece {@code piece} of {@code numPieces} lies in this stripe (a nested one: its deepest level's). */
  public boolean contains(int piece, int numPieces) {
    if (count == NESTED) {
      return nestedLevel(piece, numPieces) == LEVELS;
    }
    return (long) piece * count / numPieces == index;
  }

  /** One libtorrent priority per piece. */
  int[] priorities(int numPieces) {
    int[] out = new int[numPieces];
    for (int piece = 0; piece < numPieces; piece++) {
      out[piece] = count == NESTED ? 1 + nestedLevel(piece, numPieces) : contains(piece, numPieces) ? FIRST : REST;
    }
    return out;
  }

  /** The deepest level 0..{@value #LEVELS} whose stripe of this nested stripe holds {@code piece}. */
  private int nestedLevel(int piece, int numPieces) {
    int deepest = 0;
    for (int level = 1; level <= LEVELS; level++) {
      long stripe = Integer.reverse(index & ((1 << level) - 1)) >>> (Integer.SIZE - level);
      if ((long) piece * (1L << level) / numPieces != stripe) {
        break;
      }
      deepest = level;
    }
    return deepest;
  }

  @Override
  public String toString() {
    return count == NESTED ? "nested " + index : index + "/" + count;
  }
}
