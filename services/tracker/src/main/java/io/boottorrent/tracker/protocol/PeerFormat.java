package io.boottorrent.tracker.protocol;

/** How an announce response lists peers. */
public enum PeerFormat {
  /** BEP 23: one byte string of 6-byte IPv4 entries ({@code peers}); IPv6 in {@code peers6} (BEP 7). */
  COMPACT,
  /** BEP 3: a list of {@code {peer id, ip, port}} dictionaries. */
  DICT,
  /** BEP 3 dictionaries without {@code peer id} (the client sent {@code no_peer_id=1}). */
  DICT_NO_PEER_ID
}
