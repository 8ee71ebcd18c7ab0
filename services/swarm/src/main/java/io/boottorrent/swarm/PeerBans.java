package io.boottorrent.swarm;

import io.boottorrent.core.PeerSource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which addresses a session bans for corrupt data, and when. Pure Java: fed from libtorrent's alert
 * thread, read from any thread.
 *
 * <p>libtorrent bans a torrent_peer, which is one ip:port when several connections per IP are allowed
 * (SessionSettings allows them): a peer that reconnects from another port is a new, unbanned peer. So
 * the session bans the address, in its ip_filter, on evidence that pins the corrupt data on it:
 *
 * <ul>
 *   <li>a piece failed its hash check and every one of its blocks came from that one address
 *       ({@link BlockAccounting}'s record of who delivered each block): {@link #culprit};
 *   <li>libtorrent found that a piece that failed came from one peer alone: it bans that endpoint and
 *       posts a peer_ban_alert. Its piece picker knows every block's sender even when a block's
 *       block_finished alert comes only after the hash_failed alert (the write of a piece's last block
 *       can complete after the piece was hashed), which leaves our own record short. A peer_ban_alert
 *       is this verdict when the endpoint took part in fewer than {@value #TRUST_POINT_FAILURES} failed
 *       pieces before (see below): {@link #loneSender};
 *   <li>libtorrent's smart-ban plugin banned a peer: once a failed piece passes, it compares each
 *       block that failed with the one that passed and bans whoever sent a different one. It posts no
 *       peer_ban_alert, only a disconnect with {@code peer_banned}: {@link #smartBan}.
 * </ul>
 *
 * libtorrent's other ban — a peer that took part in failed pieces together with others until its
 * trust points ran out (also a peer_ban_alert) — is no such evidence (an honest peer unlucky enough to
 * share pieces with a liar) and stays libtorrent's ban of that one endpoint.
 */
final class PeerBans {
  /**
   * Failed pieces an endpoint must have taken part in before libtorrent bans it on trust points: they
   * start at 0, a failed piece costs 2, a passed one earns 1, and the ban comes at -7.
   */
  static final int TRUST_POINT_FAILURES = 4;

  private final Set<String> banned = ConcurrentHashMap.newKeySet();
  /** Failed pieces each endpoint delivered blocks of (as far as block alerts tell). */
  private final Map<PeerSource.Peer, AtomicLong> failures = new ConcurrentHashMap<>();
  /** Endpoints libtorrent banned itself, announced with a peer_ban_alert. */
  private final Set<PeerSource.Peer> announced = ConcurrentHashMap.newKeySet();
  /** Connections refused because their address is banned (peer_blocked alerts), per address. */
  private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();

  /** The address to ban for a failed piece: the one address that delivered all of it (no web seed). */
  static Optional<String> culprit(BlockAccounting.FailedPiece failed) {
    return failed.soleAddress();
  }

  /** A piece failed: counts it for every endpoint that delivered a block of it. */
  void pieceFailed(BlockAccounting.FailedPiece failed) {
    failed.fromPeers().keySet().forEach(p -> failures.computeIfAbsent(p, k -> new AtomicLong()).incrementAndGet());
  }

  /** libtorrent banned {@code endpoint} itself and said so (peer_ban_alert). */
  void libtorrentBanned(PeerSource.Peer endpoint) {
    announced.add(endpoint);
  }

  /**
   * Whether libtorrent's ban of {@code endpoint} (a peer_ban_alert, posted before the hash_failed
   * alert of the piece that caused it) can only be its verdict that the piece came from that peer
   * alone: too few failed pieces before it for a trust-point ban.
   */
  boolean loneSender(PeerSource.Peer endpoint) {
    AtomicLong n = failures.get(endpoint);
    return (n == null ? 0 : n.get()) < TRUST_POINT_FAILURES - 1;
  }

  /**
   * A connection to {@code endpoint} was closed with libtorrent's {@code peer_banned}: the smart-ban
   * plugin's doing unless libtorrent announced that ban (then it is the trust-point ban, or a banned
   * endpoint coming back), or the address is banned already.
   */
  boolean smartBan(PeerSource.Peer endpoint) {
    return !announced.contains(endpoint) && !banned.contains(endpoint.ip());
  }

  /** Bans {@code ip}; true the first time. */
  boolean ban(String ip) {
    return banned.add(ip);
  }

  boolean isBanned(String ip) {
    return banned.contains(ip);
  }

  void refused(String ip) {
    refused.computeIfAbsent(ip, k -> new AtomicLong()).incrementAndGet();
  }

  long refusedFrom(String ip) {
    AtomicLong n = refused.get(ip);
    return n == null ? 0 : n.get();
  }

  Set<String> banned() {
    return new TreeSet<>(banned);
  }
}
