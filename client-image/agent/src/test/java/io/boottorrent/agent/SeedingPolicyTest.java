package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.TorrentStatus;
import org.junit.jupiter.api.Test;

class SeedingPolicyTest {
  static final SeedingPolicy DEFAULT = new SeedingPolicy(30, true, 0);

  static TorrentStatus status(int peers, int seeds, int swarmSeeds, int swarmLeechers) {
    return TorrentStatus.newBuilder().setPeers(peers).setSeeds(seeds).setSwarmSeeds(swarmSeeds)
        .setSwarmLeechers(swarmLeechers).build();
  }

  @Test
  void seedsAtLeastTwoSecondsEvenWhenNobodyNeedsUs() {
    assertThat(DEFAULT.decide(status(1, 1, 2, 0), 1999).stop()).isEmpty();
    assertThat(DEFAULT.decide(status(1, 1, 2, 0), 2000).stop())
        .contains("every connected peer is a seed and the tracker knows no one still downloading");
  }

  @Test
  void keepsSeedingWhileAConnectedPeerStillDownloads() {
    SeedingPolicy.Decision d = DEFAULT.decide(status(2, 1, 2, 1), 10_000);
    assertThat(d.stop()).isEmpty();
    assertThat(d.reannounce()).as("a connected leecher is seen directly: no need to ask the tracker").isFalse();
  }

  @Test
  void aMachineTheTrackerKnowsButNotYetConnectedKeepsUsSeedingAndTheCountIsRefreshed() {
    // GIVEN only seeds connected, but the tracker reported a leecher with our last announce
    SeedingPolicy.Decision d = DEFAULT.decide(status(1, 1, 2, 1), 5_000);
    assertThat(d.stop()).isEmpty();
    assertThat(d.reannounce()).isTrue();
    // AND an unknown count (no tracker answer yet) does not hold us back
    assertThat(DEFAULT.decide(status(1, 1, -1, -1), 5_000).stop()).contains("every connected peer is a seed");
  }

  @Test
  void theTimeLimitWinsWhateverTheSwarm() {
    assertThat(DEFAULT.decide(status(5, 0, 1, 4), 30_000).stop()).contains("seeded for 30 s");
    assertThat(DEFAULT.decide(status(5, 0, 1, 4), 29_999).stop()).isEmpty();
  }

  @Test
  void enoughSeedsInTheSwarmEndsSeedingEvenWithLeechersConnected() {
    SeedingPolicy enough = new SeedingPolicy(60, false, 3);
    assertThat(enough.decide(status(4, 1, 2, 3), 5_000).stop()).isEmpty();
    assertThat(enough.decide(status(4, 1, 3, 2), 5_000).stop()).contains("the tracker counts 3 seeds (enough: 3)");
  }

  @Test
  void withoutEarlyStopItSeedsTheWholeTime() {
    SeedingPolicy fixed = new SeedingPolicy(10, false, 0);
    assertThat(fixed.decide(status(1, 1, 2, 0), 9_000).stop()).isEmpty();
    assertThat(fixed.decide(status(1, 1, 2, 0), 10_000).stop()).isPresent();
  }

  @Test
  void negativeSettingsAreRefused() {
    assertThatThrownBy(() -> new SeedingPolicy(-1, true, 0)).hasMessageContaining("agent.seedSeconds");
    assertThatThrownBy(() -> new SeedingPolicy(1, true, -2)).hasMessageContaining("agent.seedUntilSwarmSeeds");
  }
}
