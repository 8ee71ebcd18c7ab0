package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PieceStripeTest {

  @Test
  void theStripesOfACountCoverEveryPieceExactlyOnce() {
    for (int numPieces : new int[] {1, 7, 16, 1024, 1025}) {
      for (int count : new int[] {1, 3, 16, 32}) {
        int[] owners = new int[numPieces];
        for (int index = 0; index < count; index++) {
          PieceStripe stripe = new PieceStripe(index, count);
          for (int piece = 0; piece < numPieces; piece++) {
            owners[piece] += stripe.contains(piece, numPieces) ? 1 : 0;
          }
        }
        assertThat(owners).as("%d pieces, %d stripes", numPieces, count).containsOnly(1);
      }
    }
  }

  @Test
  void aStripeIsOneRunOfConsecutivePiecesOfEqualShare() {
    // 1024 pieces in 16 stripes: stripe 3 is pieces 192..255
    int[] priorities = new PieceStripe(3, 16).priorities(1024);
    assertThat(IntStream.range(0, 1024).filter(p -> priorities[p] == PieceStripe.FIRST).toArray())
        .isEqualTo(IntStream.range(192, 256).toArray());
    assertThat(Arrays.stream(priorities).filter(p -> p == PieceStripe.REST).count()).isEqualTo(1024 - 64);
  }

  @Test
  void moreStripesThanPiecesLeavesSomeStripesEmpty() {
    assertThat(new PieceStripe(1, 4).priorities(2)).containsExactly(PieceStripe.REST, PieceStripe.REST);
    assertThat(new PieceStripe(2, 4).priorities(2)).containsExactly(PieceStripe.REST, PieceStripe.FIRST);
  }

  @Test
  void nMachinesOnNestedStripesTakeDisjointFirstStripesThatCoverTheImageWithNoNGiven() {
    for (int n : new int[] {1, 2, 3, 4, 5, 12, 16, 32, 64}) {
      int level = 32 - Integer.numberOfLeadingZeros(n - 1); // ceil(log2 n): where n places differ
      int numPieces = 1024;
      int[] firsts = new int[numPieces];
      for (int place = 0; place < n; place++) {
        int[] priorities = PieceStripe.nested(place).priorities(numPieces);
        assertThat(Arrays.stream(priorities).allMatch(p -> p >= 1 && p <= 7)).as("place %d: priorities 1..7", place).isTrue();
        // its first stripe: the pieces above level `level`'s priority, one 2^level-th of the image
        int floor = 1 + level;
        int[] first = IntStream.range(0, numPieces).filter(p -> priorities[p] >= floor).toArray();
        assertThat(first).as("n %d place %d", n, place).hasSize(numPieces >> level);
        assertThat(first[first.length - 1] - first[0]).as("one run of consecutive pieces").isEqualTo(first.length - 1);
        Arrays.stream(first).forEach(p -> firsts[p]++);
      }
      // THEN no piece is in two machines' first stripes, and with n a power of two they cover it all
      assertThat(firsts).as("n %d", n).containsAnyOf(0, 1).doesNotContain(2);
      if (Integer.bitCount(n) == 1) {
        assertThat(firsts).as("n %d", n).containsOnly(1);
      }
    }
  }

  @Test
  void aNestedStripesPlacesAreTheBitReversedStripesOfEachLevel() {
    // place 1 (binary 1, reversed at each level: half 1, quarter 2, eighth 4, sixteenth 8) of 16 pieces:
    // the second half at priority 2, its first quarter (8..11) at 3, the eighth 8..9 at 4, piece 8 at 7
    assertThat(PieceStripe.nested(1).priorities(16)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 7, 4, 3, 3, 2, 2, 2, 2);
    assertThat(PieceStripe.nested(0).priorities(4)).containsExactly(7, 2, 1, 1);
    assertThat(PieceStripe.nested(65).priorities(1024)).isEqualTo(PieceStripe.nested(1).priorities(1024));
    assertThat(PieceStripe.nested(3)).hasToString("nested 3");
  }

  @ParameterizedTest
  @CsvSource({"0/1,0,1", "3/16,3,16", " 15 / 16 ,15,16"})
  void parsesIndexSlashCount(String text, int index, int count) {
    assertThat(PieceStripe.parse(text)).isEqualTo(new PieceStripe(index, count));
  }

  @Test
  void blankOrOffIsNoStripe() {
    assertThat(PieceStripe.parse("")).isNull();
    assertThat(PieceStripe.parse(null)).isNull();
    assertThat(PieceStripe.parse("off")).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"16/16", "-1/4", "1/0", "3", "a/b", "1/2/3"})
  void refusesWhatIsNotAStripe(String text) {
    assertThatThrownBy(() -> PieceStripe.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("<index>/<count>");
  }
}
