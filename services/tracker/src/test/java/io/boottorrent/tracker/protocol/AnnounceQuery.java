package io.boottorrent.tracker.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds raw announce query strings the way BitTorrent clients do (every binary byte escaped). */
public final class AnnounceQuery {
  private final Map<String, String> params = new LinkedHashMap<>();

  private AnnounceQuery() {}

  /** A valid announce of a leecher with nothing downloaded yet. */
  public static AnnounceQuery of(byte[] infoHash, byte[] peerId, int port) {
    AnnounceQuery query = new AnnounceQuery();
    query.params.put("info_hash", escape(infoHash));
    query.params.put("peer_id", escape(peerId));
    query.params.put("port", Integer.toString(port));
    query.params.put("uploaded", "0");
    query.params.put("downloaded", "0");
    query.params.put("left", "1000");
    return query;
  }

  /** Sets (or, with null, removes) a parameter; the value goes out exactly as given. */
  public AnnounceQuery raw(String name, String rawValue) {
    if (rawValue == null) {
      params.remove(name);
    } else {
      params.put(name, rawValue);
    }
    return this;
  }

  public AnnounceQuery left(long left) {
    return raw("left", Long.toString(left));
  }

  public AnnounceQuery event(String event) {
    return raw("event", event);
  }

  public AnnounceQuery numwant(int numwant) {
    return raw("numwant", Integer.toString(numwant));
  }

  public AnnounceQuery compact(int compact) {
    return raw("compact", Integer.toString(compact));
  }

  public AnnounceQuery ip(String ip) {
    return raw("ip", ip);
  }

  public String build() {
    StringBuilder out = new StringBuilder();
    params.forEach((name, value) -> out.append(out.length() == 0 ? "" : "&").append(name).append('=').append(value));
    return out.toString();
  }

  /** Percent-encodes every byte outside RFC 3986's unreserved set, as libtorrent and Transmission do. */
  public static String escape(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append(String.format("%%%02X", c));
      }
    }
    return out.toString();
  }

  /** 20 bytes made of {@code seed}: distinct test ids that include bytes needing escapes. */
  public static byte[] id(int seed) {
    byte[] id = new byte[20];
    for (int i = 0; i < id.length; i++) {
      id[i] = (byte) (seed * 31 + i * 17);
    }
    return id;
  }

  public static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
