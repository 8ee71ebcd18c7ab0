package io.boottorrent.swarm;

import org.libtorrent4j.SessionManager;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.swig.alert;
import org.libtorrent4j.swig.error_code;
import org.libtorrent4j.swig.ip_filter;
import org.libtorrent4j.swig.settings_pack;

/**
 * The libtorrent settings of a {@link SwarmSession}, from its {@link SwarmSession.Options}. Uses
 * libtorrent4j's native code: load it first ({@link Libtorrent#ensureLoaded()}).
 *
 * <p>Settings chosen for a boot LAN: DHT, UPnP and NAT-PMP always off, LSD only on request, TCP only
 * (uTP's LEDBAT would yield to other traffic — not wanted for boot images), several connections per
 * IP allowed (many peers behind one address, every peer on 127.0.0.1 in tests), no torrent queueing
 * (a seeder seeds every catalog image; libtorrent's default would queue all but a few), trackers
 * announced to all at once and honoured down to a 5 s interval, PEX on (libtorrent's default plugin),
 * connections between a finished torrent and a seed kept open.
 * The request queues ({@link SwarmSession.Options#maxRequestsPerPeer},
 * {@link SwarmSession.Options#requestQueueSeconds}) are libtorrent's unless set: the product shortens
 * the seeder's and the agents' (seeder.maxRequestsPerPeer, agent.requestQueueSeconds).
 *
 * <p>Rate limits: libtorrent 2.0 puts loopback and private addresses into a "local" peer class that
 * the session-wide limits do not touch. On a boot LAN every peer is local, so the session also puts
 * local addresses into the global class ({@link #limitLocalPeersToo}):
 * {@link SwarmSession.Options#uploadLimit}/{@link SwarmSession.Options#downloadLimit} then hold for
 * LAN peers too (the local class still lets them skip unchoke slots). The per-torrent cap
 * ({@link SwarmSession.AddOptions#uploadLimit}) is the torrent's own peer class, which every peer of
 * that torrent belongs to, loopback included (see SwarmSessionTest).
 */
final class SessionSettings {
  private SessionSettings() {}

  /** What the session starts with. */
  static SettingsPack of(SwarmSession.Options o) {
    SettingsPack sp = new SettingsPack();
    sp.listenInterfaces(listenInterface(o));
    // Nothing may leave the configured network: no DHT (and no public bootstrap routers), no port
    // mapping on the gateway; LSD multicasts on the LAN, so only when asked.
    sp.setEnableDht(false);
    sp.setDhtBootstrapNodes("");
    bool(sp, settings_pack.bool_types.enable_upnp, false);
    bool(sp, settings_pack.bool_types.enable_natpmp, false);
    sp.setEnableLsd(o.lsd());
    bool(sp, settings_pack.bool_types.enable_outgoing_utp, false);
    bool(sp, settings_pack.bool_types.enable_incoming_utp, false);
    bool(sp, settings_pack.bool_types.allow_multiple_connections_per_ip, true);
    // The session's ip_filter holds the addresses banned for corrupt data (PeerBans): it bans peers,
    // not the tracker, which may well share a banned host's address on a test rig.
    bool(sp, settings_pack.bool_types.apply_ip_filter_to_trackers, false);
    bool(sp, settings_pack.bool_types.announce_to_all_trackers, true);
    bool(sp, settings_pack.bool_types.announce_to_all_tiers, true);
    // libtorrent ignores tracker intervals below 300 s by default; our tracker asks for 30 s.
    integer(sp, settings_pack.int_types.min_announce_interval, 5);
    integer(sp, settings_pack.int_types.tracker_completion_timeout, 10);
    integer(sp, settings_pack.int_types.tracker_receive_timeout, 5);
    integer(sp, settings_pack.int_types.stop_tracker_timeout, 1);
    // A boot LAN: peers come and go quickly, retry them soon.
    integer(sp, settings_pack.int_types.min_reconnect_time, 2);
    integer(sp, settings_pack.int_types.peer_connect_timeout, 5);
    // Connections between a finished torrent and a seed stay open. libtorrent's default closes them
    // ("upload to upload connection"), but a streaming agent that holds its background download is
    // finished between a boot's reads: both ends dropped the connection, and every read after a pause
    // waited ~1 s for the reconnect (StreamingReadTest; 64 KiB reads 3 s apart, seeder at 16 MiB/s:
    // 1000 ms each, 90 ms with the connection kept). The seeder needs this as much as the agent: it
    // drops an agent that says upload_only in its handshake. Idle connections cost nothing else.
    bool(sp, settings_pack.bool_types.close_redundant_connections, false);
    // No queueing: every torrent is active.
    sp.activeDownloads(-1).activeSeeds(-1).activeLimit(-1);
    integer(sp, settings_pack.int_types.active_tracker_limit, -1);
    integer(sp, settings_pack.int_types.active_lsd_limit, -1);
    sp.uploadRateLimit(clampLimit(o.uploadLimit())).downloadRateLimit(clampLimit(o.downloadLimit()));
    // Request queues (docs/BENCHMARKS.md): a seeder accepting 2000 requests per peer and agents keeping
    // 3 s of requests queued there make the seeder send pieces twice; the product shortens both.
    if (o.maxRequestsPerPeer() > 0) {
      integer(sp, settings_pack.int_types.max_allowed_in_request_queue, o.maxRequestsPerPeer());
    }
    if (o.requestQueueSeconds() > 0) {
      integer(sp, settings_pack.int_types.request_queue_time, o.requestQueueSeconds());
    }
    sp.alertQueueSize(200_000);
    sp.setString(settings_pack.string_types.user_agent.swigValue(), "BootTorrent/0.1");
    return sp;
  }

  /** {@code host:port} as libtorrent's listen_interfaces wants it, an IPv6 host in brackets. */
  static String listenInterface(SwarmSession.Options o) {
    String host = o.listenHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return host + ":" + o.listenPort();
  }

  /** The alert categories of everything the session's alert listener handles. */
  static int alertMask() {
    return alert.error_notification
        .or_(alert.status_notification)
        .or_(alert.storage_notification)
        .or_(alert.tracker_notification)
        .or_(alert.peer_notification)
        .or_(alert.performance_warning)
        .or_(alert.block_progress_notification)
        .or_(alert.ip_block_notification)
        .or_(alert.piece_progress_notification) // piece_finished: streaming reads wait for it
        .to_int();
  }

  /**
   * Local addresses (loopback, RFC 1918, link-local, ULA) are only in libtorrent's "local" peer class,
   * which has no rate limits: add them to the global class as well so that the session-wide limits
   * hold on a LAN. Class masks are read from the default filter rather than assumed.
   */
  static void limitLocalPeersToo(SessionManager manager) {
    ip_filter current = manager.swig().get_peer_class_filter();
    long global = current.access(ip("1.1.1.1"));
    long local = current.access(ip("127.0.0.1"));
    long global6 = current.access(ip("2001:db8::1"));
    long local6 = current.access(ip("::1"));
    ip_filter filter = new ip_filter();
    filter.add_rule(ip("0.0.0.0"), ip("255.255.255.255"), global);
    filter.add_rule(ip("::"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global6);
    String[][] v4 = {{"10.0.0.0", "10.255.255.255"}, {"172.16.0.0", "172.31.255.255"},
        {"192.168.0.0", "192.168.255.255"}, {"169.254.0.0", "169.254.255.255"}, {"127.0.0.0", "127.255.255.255"}};
    for (String[] range : v4) {
      filter.add_rule(ip(range[0]), ip(range[1]), local | global);
    }
    String[][] v6 = {{"fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, {"::1", "::1"}};
    for (String[] range : v6) {
      filter.add_rule(ip(range[0]), ip(range[1]), local6 | global6);
    }
    manager.swig().set_peer_class_filter(filter);
  }

  private static org.libtorrent4j.swig.address ip(String text) {
    error_code ec = new error_code();
    org.libtorrent4j.swig.address a = org.libtorrent4j.swig.address.from_string(text, ec);
    if (ec.failed()) {
      throw new IllegalArgumentException("bad address " + text + ": " + ec.message());
    }
    return a;
  }

  /** libtorrent's rate limits are ints: anything above is as good as unlimited. */
  static int clampLimit(long bytesPerSecond) {
    return (int) Math.min(Integer.MAX_VALUE, bytesPerSecond);
  }

  static void bool(SettingsPack sp, settings_pack.bool_types name, boolean value) {
    sp.setBoolean(name.swigValue(), value);
  }

  static void integer(SettingsPack sp, settings_pack.int_types name, int value) {
    sp.setInteger(name.swigValue(), value);
  }
}
