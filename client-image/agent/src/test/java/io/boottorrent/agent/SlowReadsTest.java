package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.swarm.SwarmSession;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlowReadsTest {
  @Test
  void onlyReadsOverOneHundredMillisecondsAreListedInOrderWithWhenTheyWereCalled() {
    // GIVEN four reads: two over 100 ms (the first 1.2 s after the add), two under
    SwarmSession.StreamStats st = new SwarmSession.StreamStats(4, 2, 0, 0, 4, 1_900, 1_289, 0, 0, List.of(),
        List.of(1_289L, 3L, 100L, 521L), List.of(1_234L, 2_600L, 2_700L, 12_050L), 1, 0);

    // WHEN the agent formats them / THEN only the slow ones, with their start since the add
    assertThat(AgentVerticle.slowReads(st)).containsExactly("1289 ms at +1.2 s", "521 ms at +12.1 s");
  }
}
