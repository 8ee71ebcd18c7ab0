package io.boottorrent.tracker;

import static io.boottorrent.tracker.PeerSelectorTest.peer;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.core.InfoHash;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.boottorrent.tracker.protocol.PeerId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InMemorySwarmStoreTest {
  private static final InfoHash SWARM = new InfoHash(AnnounceQuery.id(1));
  private static final InfoHash OTHER = new InfoHash(AnnounceQuery.id(2));

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final InMemorySwarmStore store = new InMemorySwarmStore(Duration.ofSeconds(10), now::get);

  private SwarmSnapshot snapshot(InfoHash hash) {
    // The in-memory store completes its futures synchronously.
    return store.snapshot(hash).result();
  }

  /** Peer {@code n}'s peer id, announced from {@code ip}. */
  private static PeerEntry peerAt(int n, String ip) {
    return peer(n, false).toBuilder().setIp(ip).build();
  }

  @Test
  void listsPeersPerSwarmAndCountsSeedsAndLeechers() {
    // GIVEN a seed and a leecher in one swarm and a leecher in another
    store.put(SWARM, peer(1, true));
    store.put(SWARM, peer(2, false));
    store.put(OTHER, peer(3, false));

    // WHEN the first swarm is read THEN it has exactly its two peers, one of each kind
    SwarmSnapshot swarm = snapshot(SWARM);
    assertThat(swarm.peers()).containsExactlyInAnyOrder(peer(1, true), peer(2, false));
    assertThat(swarm.complete()).isEqualTo(1);
    assertThat(swarm.incomplete()).isEqualTo(1);
  }

  @Test
  void replacesAPeerThatAnnouncesAgain() {
    // GIVEN a leecher WHEN it announces again as a seed THEN it is listed once, as a seed
    store.put(SWARM, peer(1, false));
    store.put(SWARM, peer(1, true));
    assertThat(snapshot(SWARM).peers()).containsExactly(peer(1, true));
  }

  @Test
  void dropsAPeerOnceItsTtlPassesWithoutAnAnnounce() {
    // GIVEN two peers listed at t0, one of which announces again at t0+6s
    store.put(SWARM, peer(1, false));
    store.put(SWARM, peer(2, false));
    now.addAndGet(6_000);
    store.put(SWARM, peer(2, false));

    // WHEN read at t0+10s THEN the silent one expired and the refreshed one is still listed
    now.addAndGet(4_000);
    assertThat(snapshot(SWARM).peers()).containsExactly(peer(2, false));

    // AND at t0+16s nobody is left
    now.addAndGet(6_000);
    assertThat(snapshot(SWARM).peers()).isEmpty();
  }

  @Test
  void removesAStoppedPeerAndIgnoresUnknownOnes() {
    store.put(SWARM, peer(1, false));
    store.remove(SWARM, PeerKey.of(peer(1, false)));
    store.remove(OTHER, PeerKey.of(peer(9, false)));
    assertThat(snapshot(SWARM).peers()).isEmpty();
  }

  @Test
  void keepsTheSamePeerIdFromAnotherAddressAsAnEntryOfItsOwn() {
    // GIVEN a victim listed from 10.0.0.1
    PeerEntry victim = peerAt(1, "10.0.0.1");
    store.put(SWARM, victim);

    // WHEN another client announces the victim's peer id from 10.0.0.66, as a seed
    PeerEntry hijacker = peerAt(1, "10.0.0.66").toBuilder().setSeed(true).build();
    store.put(SWARM, hijacker);

    // THEN both are listed, the victim unchanged
    assertThat(snapshot(SWARM).peers()).containsExactlyInAnyOrder(victim, hijacker);

    // WHEN the other client stops "that peer id" THEN only its own entry goes
    store.remove(SWARM, PeerKey.of(new PeerId(AnnounceQuery.id(1)), IpAddresses.parseLiteral("10.0.0.66").orElseThrow()));
    assertThat(snapshot(SWARM).peers()).containsExactly(victim);
  }

  @Test
  void dropsASwarmWithItsPeersAndCompletedCount() {
    // GIVEN two swarms, one with a peer and a completed download
    store.put(SWARM, peer(1, true));
    store.recordCompleted(SWARM);
    store.put(OTHER, peer(2, false));

    // WHEN the first is dropped THEN it reads as unknown, the other is untouched
    store.drop(SWARM);
    assertThat(snapshot(SWARM).peers()).isEmpty();
    assertThat(snapshot(SWARM).downloaded()).isZero();
    assertThat(snapshot(OTHER).peers()).containsExactly(peer(2, false));
  }

  @Test
  void keepsTheCompletedCountAfterEveryPeerHasGone() {
    // GIVEN two completed downloads, then the peers expire
    store.put(SWARM, peer(1, true));
    store.recordCompleted(SWARM);
    store.recordCompleted(SWARM);
    now.addAndGet(60_000);

    // WHEN the swarm is read THEN no peers, but downloaded is still 2
    SwarmSnapshot swarm = snapshot(SWARM);
    assertThat(swarm.peers()).isEmpty();
    assertThat(swarm.downloaded()).isEqualTo(2);
  }

  @Test
  void sweepsAbandonedSwarmsOnALaterWrite() {
    // GIVEN a swarm whose only peer went silent, and one with a completed count
    store.put(OTHER, peer(1, false));
    store.put(SWARM, peer(2, false));
    store.recordCompleted(SWARM);
    assertThat(store.swarmCount()).isEqualTo(2);

    // WHEN a TTL later someone announces in a third swarm
    now.addAndGet(10_000);
    store.put(new InfoHash(AnnounceQuery.id(3)), peer(3, false));

    // THEN the abandoned swarm is gone; the one with a completed count stays for scrape
    assertThat(store.swarmCount()).isEqualTo(2);
    assertThat(snapshot(SWARM).downloaded()).isEqualTo(1);
  }

  @Test
  void readsAnUnknownSwarmAsEmpty() {
    SwarmSnapshot swarm = snapshot(OTHER);
    assertThat(swarm.peers()).isEmpty();
    assertThat(swarm.downloaded()).isZero();
    assertThat(store.swarmCount()).isZero();
  }
}
