package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.swarm.ReadPlanner.Deadline;
import io.boottorrent.swarm.ReadPlanner.Plan;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class ReadPlannerTest {
  private static final int PIECE = 1024;
  /** 100 pieces, the last one short. */
  private static final long TOTAL = 99L * PIECE + 100;
  private static final IntPredicate NONE = p -> false;
  /** on demand 0 ms, read-ahead from 500 ms, 10 ms steps, window 2 pieces doubling up to 8. */
  private final ReadPlanner planner = new ReadPlanner(PIECE, 100, TOTAL,
      new ReadPlanner.Options(0, 500, 10, 2L * PIECE, 8L * PIECE));

  @Test
  void aFirstReadGetsOnDemandDeadlinesInOrderForItsMissingPiecesAndNoReadAhead() {
    BitSet have = new BitSet();
    have.set(4);
    Plan plan = planner.plan(3L * PIECE + 10, 3 * PIECE, have::get);
    assertThat(plan.first()).isEqualTo(3);
    assertThat(plan.last()).isEqualTo(6);
    assertThat(plan.sequential()).isFalse();
    assertThat(plan.windowBytes()).isZero();
    assertThat(plan.deadlines()).containsExactly(
        new Deadline(3, 0, false), new Deadline(5, 10, false), new Deadline(6, 20, false));
    assertThat(plan.dropped()).isEmpty();
  }

  @Test
  void sequentialReadsReadAheadWithAWindowThatDoublesUpToItsCap() {
    planner.plan(0, PIECE, NONE);
    Plan second = planner.plan(PIECE, PIECE, NONE);
    assertThat(second.sequential()).isTrue();
    assertThat(second.windowBytes()).isEqualTo(2L * PIECE);
    assertThat(second.deadlines()).containsExactly(new Deadline(1, 0, false),
        new Deadline(2, 500, true), new Deadline(3, 510, true));
    Plan third = planner.plan(2L * PIECE, PIECE, NONE);
    assertThat(third.windowBytes()).isEqualTo(4L * PIECE);
    // piece 2 was read ahead and is now needed: on demand; 3 already has a deadline; 4..6 are new
    assertThat(third.deadlines()).containsExactly(new Deadline(2, 0, false),
        new Deadline(4, 500, true), new Deadline(5, 510, true), new Deadline(6, 520, true));
    assertThat(planner.plan(3L * PIECE, PIECE, NONE).windowBytes()).isEqualTo(8L * PIECE);
    assertThat(planner.plan(4L * PIECE, PIECE, NONE).windowBytes()).as("capped").isEqualTo(8L * PIECE);
  }

  @Test
  void slightlyOutOfOrderReadsStillCountAsSequential() {
    planner.plan(0, 512, NONE);
    planner.plan(1024, 512, NONE); // skipped 512..1023 (in flight elsewhere)
    assertThat(planner.plan(512, 512, NONE).sequential()).isTrue();
  }

  @Test
  void aRandomReadResetsTheWindowAndDropsOutstandingReadAhead() {
    planner.plan(0, PIECE, NONE);
    planner.plan(PIECE, PIECE, NONE); // read-ahead 2, 3
    Plan random = planner.plan(50L * PIECE, 10, NONE);
    assertThat(random.sequential()).isFalse();
    assertThat(random.windowBytes()).isZero();
    assertThat(random.dropped()).containsExactly(2, 3);
    assertThat(random.deadlines()).containsExactly(new Deadline(50, 0, false));
    assertThat(planner.readingAhead(2)).isFalse();
  }

  @Test
  void readAheadSkipsHadPiecesStopsAtTheEndAndForgetsArrivals() {
    BitSet have = new BitSet();
    have.set(98);
    planner.plan(96L * PIECE, PIECE, have::get);
    Plan plan = planner.plan(97L * PIECE, PIECE, have::get);
    assertThat(plan.deadlines()).extracting(Deadline::piece).containsExactly(97, 99);
    assertThat(plan.deadlines().get(1).readAhead()).isTrue();
    assertThat(planner.arrived(99)).isTrue();
    assertThat(planner.arrived(99)).isFalse();
    assertThat(planner.arrived(97)).isFalse();
  }

  @Test
  void passedReadAheadPiecesAreDroppedWhenTheStreamJumpsAheadWithinAPiece() {
    planner.plan(0, PIECE, NONE);
    planner.plan(PIECE, PIECE, NONE); // ahead: 2, 3
    planner.plan(2L * PIECE, PIECE, NONE); // ahead: 3, 4, 5, 6
    Plan jump = planner.plan(4L * PIECE, PIECE, NONE); // within a piece of the expected 3*PIECE
    assertThat(jump.sequential()).isTrue();
    assertThat(jump.dropped()).containsExactly(3);
  }

  @Test
  void theLastByteAndBadReadsAndGeometry() {
    Plan last = planner.plan(TOTAL - 1, 1, NONE);
    assertThat(List.of(last.first(), last.last())).containsExactly(99, 99);
    assertThatThrownBy(() -> planner.plan(TOTAL - 1, 2, NONE)).hasMessageContaining("outside the torrent's");
    assertThatThrownBy(() -> planner.plan(-1, 2, NONE)).hasMessageContaining("-1");
    assertThatThrownBy(() -> planner.plan(0, 0, NONE)).hasMessageContaining("0 bytes");
    assertThatThrownBy(() -> new ReadPlanner(PIECE, 10, 10L * PIECE + 1, ReadPlanner.Options.defaults()))
        .hasMessageContaining("inconsistent piece geometry");
    assertThatThrownBy(() -> new ReadPlanner.Options(600, 500, 10, 0, 0)).hasMessageContaining("onDemandMs");
    assertThatThrownBy(() -> new ReadPlanner.Options(0, 500, 10, 4, 2)).hasMessageContaining("initial <= max");
  }
}
