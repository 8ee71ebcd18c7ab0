package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Picks the peers an announce returns: never the requester itself, at most {@code numwant}, a random
 * sample so that load spreads over the swarm.
 *
 * <p>A seed gets only leechers: other seeds have nothing for it. A leecher gets seeds for up to half
 * of its wish and leechers for the rest (more of either when the other kind runs short): seeds make
 * sure it can finish, and leechers let the booting machines trade pieces with each other instead of
 * all pulling from the seeder, which is what keeps boot time near S/B rather than N·S/B.
 */
final class PeerSelector {
  private PeerSelector() {}

  static List<PeerEntry> select(Collection<PeerEntry> swarm, PeerEntry requester, int numwant, Random random) {
    List<PeerEntry> seeds = new ArrayList<>();
    List<PeerEntry> leechers = new ArrayList<>();
    for (PeerEntry peer : swarm) {
      if (!sameClient(peer, requester)) {
        (peer.getSeed() ? seeds : leechers).add(peer);
      }
    }
    Collections.shuffle(seeds, random);
    Collections.shuffle(leechers, random);
    if (requester.getSeed()) {
      return List.copyOf(leechers.subList(0, Math.min(numwant, leechers.size())));
    }
    int fromSeeds = Math.min(seeds.size(), Math.max((numwant + 1) / 2, numwant - leechers.size()));
    int fromLeechers = Math.min(leechers.size(), numwant - fromSeeds);
    List<PeerEntry> out = new ArrayList<>(seeds.subList(0, fromSeeds));
    out.addAll(leechers.subList(0, fromLeechers));
    return out;
  }

  /** Same peer id, or same address and port (a restarted client with a fresh peer id). */
  private static boolean sameClient(PeerEntry a, PeerEntry b) {
    return a.getPeerId().equals(b.getPeerId()) || (a.getIp().equals(b.getIp()) && a.getPort() == b.getPort());
  }
}
