package io.boottorrent.tracker;

import com.google.protobuf.ByteString;
import io.boottorrent.tracker.protocol.Peer;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Picks the peers an announce returns: never the requester itself, at most {@code numwant}, a random
 * sample so that load spreads over the swarm.
 *
 * <p>A seed gets only leechers: other seeds have nothing for it. A leecher gets seeds for up to half
 * of its wish and leechers for the rest (more of either when the other kind runs short): seeds make
 * sure it can finish, and leechers let the booting machines trade pieces with each other instead of
 * all pulling from the seeder, which is what keeps boot time near S/B rather than N·S/B.
 *
 * <p>"Itself" is any entry with its peer id (whatever address it was listed under: a client announcing
 * from two addresses, or over IPv4 and IPv6, has an entry for each), and any entry at its port on one
 * of its addresses (a client restarted with a fresh peer id, whose old entry lives on for the peer
 * TTL): handed that entry, a client connects to its own listen port. Addresses are compared as
 * addresses, not as text, so an IPv4-mapped IPv6 address is the IPv4 address it maps.
 */
final class PeerSelector {
  private PeerSelector() {}

  /**
   * Who asks.
   *
   * @param addresses every address it is known by: the one it is listed under, the connection's
   *     source, the {@code ip=} it sent (even when not believed: it names its own address there)
   */
  record Requester(ByteString peerId, Set<InetAddress> addresses, int port, boolean seed) {
    Requester {
      addresses = Set.copyOf(addresses);
      // ByteString caches its hash and compares hashes before bytes: with this one computed, each
      // swarm entry costs an int comparison, not a 20-byte one.
      peerId.hashCode();
    }

    boolean is(SwarmPeer peer) {
      Peer wire = peer.wire();
      return peer.entry().getPeerId().equals(peerId) || (wire.port() == port && addresses.contains(wire.address()));
    }
  }

  static List<Peer> select(List<SwarmPeer> swarm, Requester requester, int numwant, Random random) {
    if (numwant <= 0) {
      return List.of();
    }
    List<SwarmPeer> seeds = new ArrayList<>();
    List<SwarmPeer> leechers = new ArrayList<>();
    for (SwarmPeer peer : swarm) {
      if (!requester.is(peer)) {
        (peer.seed() ? seeds : leechers).add(peer);
      }
    }
    int fromSeeds = requester.seed() ? 0
        : Math.min(seeds.size(), Math.max((numwant + 1) / 2, numwant - leechers.size()));
    int fromLeechers = Math.min(leechers.size(), numwant - fromSeeds);
    List<Peer> out = new ArrayList<>(fromSeeds + fromLeechers);
    sample(seeds, fromSeeds, random, out);
    sample(leechers, fromLeechers, random, out);
    return out;
  }

  /** Adds {@code k} distinct random elements of {@code from} (a partial Fisher–Yates shuffle of it). */
  private static void sample(List<SwarmPeer> from, int k, Random random, List<Peer> out) {
    int n = from.size();
    for (int i = 0; i < k; i++) {
      int j = i + random.nextInt(n - i);
      SwarmPeer picked = from.get(j);
      from.set(j, from.get(i));
      from.set(i, picked);
      out.add(picked.wire());
    }
  }
}
