package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PeerSelectorTest {
  private final Random random = new Random(42);

  static PeerEntry peer(int n, boolean seed) {
    return PeerEntry.newBuilder()
        .setPeerId(ByteString.copyFrom(AnnounceQuery.id(n)))
        .setIp("10.0.0." + n)
        .setPort(6881)
        .setSeed(seed)
        .build();
  }

  private static List<PeerEntry> swarm(int seeds, int leechers) {
    List<PeerEntry> out = new ArrayList<>();
    for (int i = 0; i < seeds; i++) {
      out.add(peer(100 + i, true));
    }
    for (int i = 0; i < leechers; i++) {
      out.add(peer(200 + i, false));
    }
    return out;
  }

  @Test
  void neverReturnsTheRequesterItself() {
    // GIVEN a swarm that contains the requester
    PeerEntry me = peer(1, false);
    List<PeerEntry> swarm = new ArrayList<>(swarm(2, 2));
    swarm.add(me);

    // WHEN it asks for everything THEN it gets the four others, not itself
    assertThat(PeerSelector.select(swarm, me, 50, random)).hasSize(4).doesNotContain(me);
  }

  @Test
  void treatsTheSameAddressAndPortAsTheSameClient() {
    // GIVEN a stale entry of a client that restarted with a new peer id on the same ip:port
    PeerEntry restarted = peer(1, false);
    PeerEntry stale = restarted.toBuilder().setPeerId(ByteString.copyFrom(AnnounceQuery.id(77))).build();

    // WHEN the restarted client announces THEN its old self is not offered to it
    assertThat(PeerSelector.select(List.of(stale, peer(2, true)), restarted, 50, random))
        .containsExactly(peer(2, true));
  }

  @Test
  void givesASeedOnlyLeechers() {
    // GIVEN 5 seeds and 3 leechers WHEN a seed asks THEN it gets the 3 leechers and no seed
    List<PeerEntry> chosen = PeerSelector.select(swarm(5, 3), peer(1, true), 50, random);
    assertThat(chosen).hasSize(3).noneMatch(PeerEntry::getSeed);
  }

  @ParameterizedTest(name = "{0} seeds, {1} leechers, numwant {2} -> {3} seeds + {4} leechers")
  @CsvSource({
      "10, 10, 6, 3, 3",   // both plentiful: half and half
      "10, 10, 5, 3, 2",   // odd numwant: the extra one is a seed
      "1, 10, 6, 1, 5",    // few seeds: leechers fill up
      "10, 1, 6, 5, 1",    // few leechers: seeds fill up
      "2, 2, 50, 2, 2",    // small swarm: everyone
      "10, 10, 0, 0, 0"})  // numwant=0 (e.g. stopping): nobody
  void givesALeecherSeedsForHalfItsWishAndLeechersForTheRest(
      int seeds, int leechers, int numwant, int expectedSeeds, int expectedLeechers) {
    List<PeerEntry> chosen = PeerSelector.select(swarm(seeds, leechers), peer(1, false), numwant, random);
    assertThat(chosen.stream().filter(PeerEntry::getSeed).count()).isEqualTo(expectedSeeds);
    assertThat(chosen.stream().filter(p -> !p.getSeed()).count()).isEqualTo(expectedLeechers);
  }

  @Test
  void samplesAtRandomSoThatEveryPeerGetsHandedOut() {
    // GIVEN 30 leechers and requests for 3 at a time
    List<PeerEntry> swarm = swarm(0, 30);
    Set<PeerEntry> seen = new HashSet<>();

    // WHEN 100 leechers ask THEN each answer has 3 distinct peers, and over all answers every peer appeared
    for (int i = 0; i < 100; i++) {
      List<PeerEntry> chosen = PeerSelector.select(swarm, peer(1, false), 3, random);
      assertThat(chosen).hasSize(3).doesNotHaveDuplicates();
      seen.addAll(chosen);
    }
    assertThat(seen).hasSize(30);
  }
}
