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
