package io.boottorrent.tracker.protocol;

import java.net.InetAddress;

/** One peer in an announce response. */
public record Peer(PeerId peerId, InetAddress address, int port) {
  public Peer {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }
  }
}
