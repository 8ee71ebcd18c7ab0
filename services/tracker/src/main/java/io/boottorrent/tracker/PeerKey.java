package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.PeerId;
import java.net.InetAddress;

/**
 * What a peer's entry in a swarm is keyed by: its peer id <em>and</em> the address it announced from
 * (the request's source, or what a trusted proxy vouched for; the entry's {@code ip}). A peer id is
 * the client's own choice and travels in the clear to every peer it talks to, so another client can
 * send it too; keyed by the id alone, that client could replace the victim's entry with its own
 * address or unlist it with {@code event=stopped}. With the address in the key it only ever adds or
 * removes an entry of its own.
 *
 * @param address the address as {@link InetAddress#getHostAddress()} writes it
 */
record PeerKey(PeerId peerId, String address) {
  static PeerKey of(PeerId peerId, InetAddress address) {
    return new PeerKey(peerId, address.getHostAddress());
  }

  static PeerKey of(PeerEntry entry) {
    return new PeerKey(new PeerId(entry.getPeerId()), entry.getIp());
  }

  /** {@code <peer id hex>@<address>}: the key in the cluster-wide swarm maps. */
  @Override
  public String toString() {
    return peerId + "@" + address;
  }
}
