package io.boottorrent.core;

import java.util.Objects;

/**
 * Where payload bytes of a download came from: another BitTorrent peer, by its endpoint, or an HTTP
 * web seed (BEP 19), by its URL. {@link #key()} is the form in {@code BootEvent.bytes_from_peers}
 * ({@code "10.0.0.7:6881"}, {@code "[fd00::7]:6881"}, {@code "web:http://…"}); {@link #parseKey}
 * reads it back.
 */
public sealed interface PeerSource extends Comparable<PeerSource> {
  /** The prefix of a web seed's key. */
  String WEB_PREFIX = "web:";

  String key();

  /** A BitTorrent peer's remote endpoint (its listen port for connections we opened). */
  record Peer(String ip, int port) implements PeerSource {
    public Peer {
      Objects.requireNonNull(ip, "ip");
      if (ip.isBlank() || ip.startsWith("[")) {
        throw new IllegalArgumentException("peer ip must be a bare address, got '" + ip + "'");
      }
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("peer port must be 0..65535, got " + port);
      }
    }

    @Override
    public String key() {
      return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
    }
  }

  /** An HTTP web seed, by the URL in the torrent. */
  record WebSeed(String url) implements PeerSource {
    public WebSeed {
      if (url == null || url.isBlank()) {
        throw new IllegalArgumentException("web seed url must not be empty");
      }
    }

    @Override
    public String key() {
      return WEB_PREFIX + url;
    }
  }

  default boolean isWebSeed() {
    return this instanceof WebSeed;
  }

  @Override
  default int compareTo(PeerSource other) {
    return key().compareTo(other.key());
  }

  /**
   * The source a key names: {@code web:<url>}, {@code ip:port} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException for anything else
   */
  static PeerSource parseKey(String key) {
    if (key == null) {
      throw new IllegalArgumentException("no peer source key");
    }
    if (key.startsWith(WEB_PREFIX)) {
      return new WebSeed(key.substring(WEB_PREFIX.length()));
    }
    int colon = key.lastIndexOf(':');
    if (colon <= 0 || colon == key.length() - 1) {
      throw new IllegalArgumentException("not a peer source key (ip:port or web:<url>): '" + key + "'");
    }
    String host = key.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("an IPv6 peer key needs brackets: '" + key + "'");
    }
    try {
      return new Peer(host, Integer.parseInt(key.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a peer source key (bad port): '" + key + "'");
    }
  }
}
