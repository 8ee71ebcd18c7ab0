package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Future;

/**
 * Where the tracker keeps its swarms. A peer is keyed by its {@link PeerKey} (peer id and the address
 * it announced from) within a swarm and stays listed for the peer TTL after its last {@link #put};
 * implementations never block the calling event loop.
 */
public interface SwarmStore {
  /** Lists {@code peer} under {@link PeerKey#of(PeerEntry)}, or refreshes it, for another TTL. */
  Future<Void> put(InfoHash infoHash, PeerEntry peer);

  /** Unlists a peer (event=stopped); unknown peers are ignored. */
  Future<Void> remove(InfoHash infoHash, PeerKey peer);

  /** Counts one completed download (event=completed), for scrape's {@code downloaded}. */
  Future<Void> recordCompleted(InfoHash infoHash);

  /** Forgets a swarm, its peers and its completed count (its image left the catalog). */
  Future<Void> drop(InfoHash infoHash);

  /** The swarm's live peers and its completed-download count; empty for an unknown swarm. */
  Future<SwarmSnapshot> snapshot(InfoHash infoHash);
}
