package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import java.util.List;

/** The live peers of one swarm and its completed-download counter, as read in one go. */
public record SwarmSnapshot(List<PeerEntry> peers, long downloaded) {
  public SwarmSnapshot {
    peers = List.copyOf(peers);
  }

  /** Seeders. */
  public int complete() {
    return (int) peers.stream().filter(PeerEntry::getSeed).count();
  }

  /** Leechers. */
  public int incomplete() {
    return peers.size() - complete();
  }
}
