package io.boottorrent.telemetry;

import io.boottorrent.core.PeerSource;
import java.util.Map;
import java.util.Set;

/**
 * Splits a download's bytes per source ({@code BootEvent.bytes_from_peers}: {@code ip:port} and
 * {@code web:<url>} keys, {@link PeerSource#parseKey}) into seeder, peer and web-seed bytes.
 *
 * <p>The rule: a peer endpoint is a seeder's when its <b>port</b> is the {@code listen_port} of a
 * seeder that has published a {@code SeederStatus}, whatever its IP. {@code SeederStatus} does not
 * say which address the seeder is reached at (a seeder listening on 0.0.0.0 has one per interface,
 * and behind NAT another still), so the IP cannot be checked; an agent listening on a seeder's port
 * would be counted as a seeder (agents listen on a random port by default, {@code agent.listenPort: 0}).
 * TODO(SeederStatus.host): once seeders publish their public host, match ip and port.
 *
 * @param seederPorts the listen ports of the known seeders
 */
public record SeederEndpoints(Set<Integer> seederPorts) {
  public SeederEndpoints {
    seederPorts = Set.copyOf(seederPorts);
  }

  /** Bytes from seeders, from other peers and from web seeds. */
  public record Split(long seeder, long peers, long webSeed) {
    public long total() {
      return seeder + peers + webSeed;
    }

    public Split plus(Split other) {
      return new Split(seeder + other.seeder, peers + other.peers, webSeed + other.webSeed);
    }
  }

  public static final Split NONE = new Split(0, 0, 0);

  public boolean isSeeder(PeerSource source) {
    return source instanceof PeerSource.Peer peer && seederPorts.contains(peer.port());
  }

  /** A key that does not parse is counted as a peer's (its bytes did arrive from somewhere). */
  public Split split(Map<String, Long> bytesBySource) {
    long seeder = 0;
    long peers = 0;
    long web = 0;
    for (Map.Entry<String, Long> e : bytesBySource.entrySet()) {
      long bytes = e.getValue();
      PeerSource source;
      try {
        source = PeerSource.parseKey(e.getKey());
      } catch (IllegalArgumentException malformed) {
        peers += bytes;
        continue;
      }
      if (source.isWebSeed()) {
        web += bytes;
      } else if (isSeeder(source)) {
        seeder += bytes;
      } else {
        peers += bytes;
      }
    }
    return new Split(seeder, peers, web);
  }
}
