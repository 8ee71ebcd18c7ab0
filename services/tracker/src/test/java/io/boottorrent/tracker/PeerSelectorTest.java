package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.boottorrent.tracker.protocol.Peer;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
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

  private static InetAddress ip(String literal) {
    return IpAddresses.parseLiteral(literal).orElseThrow();
  }

  /** {@code me} asks, known by its entry's address and {@code alsoAt}; the answer as the entries it lists. */
  private List<PeerEntry> select(List<PeerEntry> swarm, PeerEntry me, int numwant, String... alsoAt) {
    Set<InetAddress> addresses = new HashSet<>();
    addresses.add(ip(me.getIp()));
    for (String other : alsoAt) {
      addresses.add(ip(other));
    }
    List<SwarmPeer> listed = new SwarmSnapshot(swarm, 0).listed();
    List<Peer> chosen = PeerSelector.select(listed,
        new PeerSelector.Requester(me.getPeerId(), addresses, me.getPort(), me.getSeed()), numwant, random);
    Map<Peer, PeerEntry> byWire = listed.stream().collect(Collectors.toMap(SwarmPeer::wire, SwarmPeer::entry));
    return chosen.stream().map(byWire::get).toList();
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
    assertThat(select(swarm, me, 50)).hasSize(4).doesNotContain(me);
  }

  @Test
  void treatsTheSameAddressAndPortAsTheSameClient() {
    // GIVEN a stale entry of a client that restarted with a new peer id on the same ip:port
    PeerEntry restarted = peer(1, false);
    PeerEntry stale = restarted.toBuilder().setPeerId(ByteString.copyFrom(AnnounceQuery.id(77))).build();

    // WHEN the restarted client announces THEN its old self is not offered to it
    assertThat(select(List.of(stale, peer(2, true)), restarted, 50))
        .containsExactly(peer(2, true));
  }

  @Test
  void givesASeedOnlyLeechers() {
    // GIVEN 5 seeds and 3 leechers WHEN a seed asks THEN it gets the 3 leechers and no seed
    List<PeerEntry> chosen = select(swarm(5, 3), peer(1, true), 50);
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
    List<PeerEntry> chosen = select(swarm(seeds, leechers), peer(1, false), numwant);
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
      List<PeerEntry> chosen = select(swarm, peer(1, false), 3);
      assertThat(chosen).hasSize(3).doesNotHaveDuplicates();
      seen.addAll(chosen);
    }
    assertThat(seen).hasSize(30);
  }

  @Test
  void neverReturnsTheRequestersPeerIdListedUnderAnotherAddress() {
    // GIVEN the requester's entry under a second address (a client announcing from two interfaces, or
    // over IPv4 and IPv6, is listed once per address)
    PeerEntry me = peer(1, false);
    PeerEntry meElsewhere = me.toBuilder().setIp("192.168.7.1").build();

    // WHEN it asks THEN neither of its entries is offered, the other peer is
    assertThat(select(List.of(meElsewhere, peer(2, true)), me, 50)).containsExactly(peer(2, true));
  }

  @Test
  void neverReturnsAnEntryAtTheRequestersPortOnAnyOfItsAddresses() {
    // GIVEN a stale entry (older peer id) at the address the requester named with ip= but was not
    // listed under (no trusted proxy vouched for it), at the requester's port
    PeerEntry me = peer(1, false);
    PeerEntry staleAtNamedAddress = peer(77, true).toBuilder().setIp("192.168.7.1").setPort(me.getPort()).build();

    // WHEN it asks, known by its source and its ip= THEN the stale entry is itself and is left out
    assertThat(select(List.of(staleAtNamedAddress, peer(2, true)), me, 50, "192.168.7.1"))
        .containsExactly(peer(2, true));
  }

  @ParameterizedTest(name = "stored as {0}, asking from {1}")
  @CsvSource({
      "::ffff:10.0.0.1, 10.0.0.1",             // IPv4-mapped (RFC 4291 2.5.5.2) is the IPv4 address
      "fd00:0:0:0:0:0:0:1, fd00::1",           // the same IPv6 address written two ways
      "FD00::1, fd00::1"})
  void comparesAddressesAsAddressesNotAsText(String stored, String asking) {
    // GIVEN a stale entry (another peer id) written in another form of the requester's own address
    PeerEntry me = peer(1, false).toBuilder().setIp(asking).build();
    PeerEntry stale = peer(77, true).toBuilder().setIp(stored).build();

    // WHEN it asks THEN that entry is recognised as itself
    assertThat(select(List.of(stale, peer(2, true)), me, 50)).containsExactly(peer(2, true));
  }

  @Test
  void keepsOtherClientsBehindTheSameAddress() {
    // GIVEN another client at the requester's address on another port (NAT, or every peer on 127.0.0.1)
    PeerEntry me = peer(1, false);
    PeerEntry neighbour = peer(2, true).toBuilder().setIp(me.getIp()).setPort(6882).build();

    // WHEN it asks THEN the neighbour is offered
    assertThat(select(List.of(neighbour), me, 50)).containsExactly(neighbour);
  }
}
