package io.boottorrent.telemetry;

import io.boottorrent.core.PeerSource;
import java.util.Map;
import java.util.Set;

/**
 * Splits a download's bytes per source ({@code BootEvent.bytes_from_peers}: {@code ip:port} and
 * {@code web:<url>} keys, {@link PeerSource#parseKey}) into seeder, peer and web-seed bytes.
 *
 * <p>The rule: a peer endpoint is a seeder's when it is one of the {@code addresses} a seeder published
 * in its {@code SeederStatus} (its process's publicHost, its listen address when specific) with that
 * seeder's {@code listen_port}. A seeder that names no IP literal (no addresses, or a host name the
 * agents resolved themselves) is matched by its port alone, whatever the IP: an agent listening on
 * that port would then count as a seeder (agents listen on a random port by default).
 *
 * @param endpoints the seeders' address and port pairs
 * @param portsAlone the listen ports of seeders known by port only
 */
public record SeederEndpoints(Set<PeerSource.Peer> endpoints, Set<Integer> portsAlone) {
  public SeederEndpoints {
    endpoints = Set.copyOf(endpoints);
    portsAlone = Set.copyOf(portsAlone);
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
    return source instanceof PeerSource.Peer peer && (endpoints.contains(peer) || portsAlone.contains(peer.port()));
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
