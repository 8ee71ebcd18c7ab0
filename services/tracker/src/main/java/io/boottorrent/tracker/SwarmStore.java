package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.core.InfoHash;
import io.boottorrent.tracker.protocol.PeerId;
import io.vertx.core.Future;

/**
 * Where the tracker keeps its swarms. A peer is keyed by its peer id within a swarm and stays listed
 * for the peer TTL after its last {@link #put}; implementations never block the calling event loop.
 */
public interface SwarmStore {
  /** Lists {@code peer} in the swarm of {@code infoHash}, or refreshes it, for another TTL. */
  Future<Void> put(InfoHash infoHash, PeerEntry peer);

  /** Unlists a peer (event=stopped); unknown peers are ignored. */
  Future<Void> remove(InfoHash infoHash, PeerId peerId);

  /** Counts one completed download (event=completed), for scrape's {@code downloaded}. */
  Future<Void> recordCompleted(InfoHash infoHash);

  /** The swarm's live peers and its completed-download count; empty for an unknown swarm. */
  Future<SwarmSnapshot> snapshot(InfoHash infoHash);
}
