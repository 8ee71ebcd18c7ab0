package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import java.util.ArrayList;
import java.util.List;

/** The live peers of one swarm and its completed-download counter, as read in one go. */
public final class SwarmSnapshot {
  private final List<SwarmPeer> listed;
  private final long downloaded;
  private final int complete;

  /** Entries as stored; those that cannot be listed are skipped (and logged). */
  public SwarmSnapshot(List<PeerEntry> peers, long downloaded) {
    this(downloaded, parsed(peers));
  }

  private SwarmSnapshot(long downloaded, List<SwarmPeer> listed) {
    this.listed = listed;
    this.downloaded = downloaded;
    int seeds = 0;
    for (SwarmPeer peer : listed) {
      seeds += peer.seed() ? 1 : 0;
    }
    this.complete = seeds;
  }

  /** @param listed a list nobody else changes (taken as it is, not copied) */
  static SwarmSnapshot of(List<SwarmPeer> listed, long downloaded) {
    return new SwarmSnapshot(downloaded, listed);
  }

  private static List<SwarmPeer> parsed(List<PeerEntry> peers) {
    List<SwarmPeer> out = new ArrayList<>(peers.size());
    for (PeerEntry entry : peers) {
      SwarmPeer.parse(entry).ifPresent(out::add);
    }
    return out;
  }

  /** The peers with their parsed addresses, for {@link PeerSelector}. */
  List<SwarmPeer> listed() {
    return listed;
  }

  /** The stored entries. */
  public List<PeerEntry> peers() {
    return listed.stream().map(SwarmPeer::entry).toList();
  }

  public int size() {
    return listed.size();
  }

  public long downloaded() {
    return downloaded;
  }

  /** Seeders. */
  public int complete() {
    return complete;
  }

  /** Leechers. */
  public int incomplete() {
    return listed.size() - complete;
  }
}
