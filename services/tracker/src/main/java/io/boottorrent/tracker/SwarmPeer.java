package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.boottorrent.tracker.protocol.Peer;
import io.boottorrent.tracker.protocol.PeerId;
import java.net.InetAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stored peer entry with its address parsed once: what an answer is made of. The in-memory store
 * parses the address when the peer announces, not for every answer that lists it (a swarm of 100 peers
 * re-announcing would otherwise parse 50 address strings per announce).
 *
 * @param wire the entry as an answer lists it (peer id, address, port)
 */
record SwarmPeer(PeerEntry entry, Peer wire) {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmPeer.class);

  boolean seed() {
    return entry.getSeed();
  }

  /** {@code entry}, listed under {@code address} (its {@code ip} written from that address). */
  static SwarmPeer of(PeerEntry entry, InetAddress address) {
    return new SwarmPeer(entry, new Peer(new PeerId(entry.getPeerId()), address, entry.getPort()));
  }

  /** A stored entry; empty (logged) for one that cannot be listed (written by another version?). */
  static Optional<SwarmPeer> parse(PeerEntry entry) {
    Optional<InetAddress> address = IpAddresses.parseLiteral(entry.getIp());
    if (address.isEmpty() || entry.getPeerId().size() != PeerId.LENGTH || entry.getPort() < 1
        || entry.getPort() > 65535) {
      LOG.warn("skipping malformed stored peer {}:{}", entry.getIp(), entry.getPort());
      return Optional.empty();
    }
    return Optional.of(of(entry, address.get()));
  }
}
