package io.boottorrent.tracker.protocol;

import io.boottorrent.core.InfoHash;
import java.net.InetAddress;
import java.util.Optional;

/**
 * One announce (BEP 3 "Trackers", BEP 23 {@code compact}), parsed and validated from the raw query
 * string. {@code numwant} is already clamped to the tracker's maximum.
 *
 * @param ip the client's {@code ip} parameter, only ever an address literal (never resolved)
 * @param key the client's {@code key} parameter (an opaque session token), if sent
 */
public record AnnounceRequest(
    InfoHash infoHash,
    PeerId peerId,
    int port,
    long uploaded,
    long downloaded,
    long left,
    boolean compact,
    boolean noPeerId,
    Event event,
    int numwant,
    Optional<InetAddress> ip,
    Optional<String> key) {

  public static final int MAX_KEY_LENGTH = 64;

  /** The {@code event} parameter; BEP 21 adds {@code paused}, which libtorrent sends. */
  public enum Event {
    NONE(""),
    STARTED("started"),
    COMPLETED("completed"),
    STOPPED("stopped"),
    PAUSED("paused");

    private final String wire;

    Event(String wire) {
      this.wire = wire;
    }

    static Event parse(String text) throws MalformedRequestException {
      for (Event event : values()) {
        if (event.wire.equals(text)) {
          return event;
        }
      }
      throw new MalformedRequestException("unknown event");
    }
  }

  /** A peer that has the whole torrent. */
  public boolean seed() {
    return left == 0;
  }

  public PeerFormat peerFormat() {
    if (compact) {
      return PeerFormat.COMPACT;
    }
    return noPeerId ? PeerFormat.DICT_NO_PEER_ID : PeerFormat.DICT;
  }

  /**
   * @param rawQuery the request's query, still percent-encoded
   * @param defaultNumwant peers to return when the client does not say
   * @param maxNumwant the most peers we ever return; larger requests are clamped, not refused
   * @throws MalformedRequestException with the failure reason for the client
   */
  public static AnnounceRequest parse(String rawQuery, int defaultNumwant, int maxNumwant)
      throws MalformedRequestException {
    QueryString query = QueryString.parse(rawQuery);
    InfoHash infoHash = new InfoHash(twentyBytes(query, "info_hash"));
    PeerId peerId = new PeerId(twentyBytes(query, "peer_id"));
    long port = count(query, "port");
    if (port < 1 || port > 65535) {
      throw new MalformedRequestException("port must be 1..65535");
    }
    long uploaded = count(query, "uploaded");
    long downloaded = count(query, "downloaded");
    long left = count(query, "left");
    // BEP 23: trackers should answer compact unless the client asks otherwise with compact=0.
    boolean compact = flag(query, "compact", true);
    boolean noPeerId = flag(query, "no_peer_id", false);
    Event event = Event.parse(query.text("event").orElse(""));
    int numwant = numwant(query, Math.min(defaultNumwant, maxNumwant), maxNumwant);
    Optional<InetAddress> ip = Optional.empty();
    Optional<String> ipText = query.text("ip").filter(s -> !s.isEmpty());
    if (ipText.isPresent()) {
      ip = Optional.of(IpAddresses.parseLiteral(ipText.get())
          .orElseThrow(() -> new MalformedRequestException("ip must be an IPv4 or IPv6 address literal")));
    }
    Optional<String> key = query.text("key").filter(s -> !s.isEmpty());
    if (key.isPresent() && key.get().length() > MAX_KEY_LENGTH) {
      throw new MalformedRequestException("key longer than " + MAX_KEY_LENGTH + " bytes");
    }
    return new AnnounceRequest(infoHash, peerId, (int) port, uploaded, downloaded, left, compact, noPeerId,
        event, numwant, ip, key);
  }

  private static byte[] twentyBytes(QueryString query, String name) throws MalformedRequestException {
    byte[] bytes = query.single(name).orElseThrow(() -> new MalformedRequestException("missing " + name));
    if (bytes.length != 20) {
      throw new MalformedRequestException(name + " must be 20 bytes, got " + bytes.length);
    }
    return bytes;
  }

  /** A required non-negative decimal integer (bytes counts, port). */
  private static long count(QueryString query, String name) throws MalformedRequestException {
    String text = query.text(name).orElseThrow(() -> new MalformedRequestException("missing " + name));
    if (!decimal(text)) {
      throw new MalformedRequestException(name + " must be a non-negative integer");
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException tooLarge) {
      throw new MalformedRequestException(name + " is out of range");
    }
  }

  private static boolean flag(QueryString query, String name, boolean absent) throws MalformedRequestException {
    Optional<String> text = query.text(name);
    if (text.isEmpty()) {
      return absent;
    }
    return switch (text.get()) {
      case "1" -> true;
      case "0" -> false;
      default -> throw new MalformedRequestException(name + " must be 0 or 1");
    };
  }

  private static int numwant(QueryString query, int defaultNumwant, int maxNumwant)
      throws MalformedRequestException {
    Optional<String> text = query.text("numwant");
    if (text.isEmpty()) {
      return defaultNumwant;
    }
    if (!decimal(text.get())) {
      throw new MalformedRequestException("numwant must be a non-negative integer");
    }
    // Any number of digits is a valid (if greedy) wish: clamp instead of parsing past int range.
    String digits = text.get().replaceFirst("^0+(?=.)", "");
    return digits.length() > 9 ? maxNumwant : Math.min(Integer.parseInt(digits), maxNumwant);
  }

  private static boolean decimal(String text) {
    return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}
