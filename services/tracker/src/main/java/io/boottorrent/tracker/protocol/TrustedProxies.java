package io.boottorrent.tracker.protocol;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which address a peer is listed under. A client's word about its own address ({@code ip=}, an
 * {@code X-Forwarded-For} header) is worth nothing: anyone can write any address there and so make
 * the tracker hand out a victim's address to a whole swarm, or list itself under another's. Only a
 * request whose TCP source is a configured trusted proxy may name another address:
 *
 * <ol>
 *   <li>From any other source, the source address, whatever the request says.
 *   <li>From a trusted proxy with an {@code X-Forwarded-For} header (an HTTP reverse proxy): walking
 *       the header's addresses from the right (the one the nearest proxy appended), the first that is
 *       not itself a trusted proxy. The entries left of it were written by the client and are never
 *       read. A reverse proxy passes the client's {@code ip=} through unchanged, so with the header
 *       present {@code ip=} is ignored too.
 *   <li>From a trusted proxy without that header (a proxy that rewrites the announce): its {@code
 *       ip=}, else its own address.
 * </ol>
 *
 * <p>RFC 7239 {@code Forwarded} is not read: no proxy in front of this tracker was seen to send only that.
 */
public record TrustedProxies(List<AddressBlock> blocks) {
  public static final TrustedProxies NONE = new TrustedProxies(List.of());
  /** Longest header value quoted back in a failure reason. */
  private static final int QUOTE_LIMIT = 64;

  public TrustedProxies {
    blocks = List.copyOf(blocks);
  }

  /**
   * @param key the config key, for the message ({@code tracker.trustedProxies})
   * @throws IllegalArgumentException naming the key, the entry's index and its value
   */
  public static TrustedProxies parse(String key, List<String> entries) {
    List<AddressBlock> blocks = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      try {
        blocks.add(AddressBlock.parse(entries.get(i).trim()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + "[" + i + "]: " + e.getMessage(), e);
      }
    }
    return new TrustedProxies(blocks);
  }

  public boolean trusts(InetAddress address) {
    return blocks.stream().anyMatch(block -> block.contains(address));
  }

  /**
   * The address to list the announcing peer under (and to key its entry by).
   *
   * @param source the request's TCP source address
   * @param ip the request's {@code ip} parameter, if any
   * @param forwardedFor every {@code X-Forwarded-For} header value, in order (empty: none)
   * @throws MalformedRequestException when a trusted proxy's header holds something that is not an
   *     address literal where an address is due (the proxy is misconfigured)
   */
  public InetAddress clientAddress(InetAddress source, Optional<InetAddress> ip, List<String> forwardedFor)
      throws MalformedRequestException {
    if (!trusts(source)) {
      return source;
    }
    List<String> hops = new ArrayList<>();
    for (String value : forwardedFor) {
      for (String hop : value.split(",", -1)) {
        if (!hop.isBlank()) {
          hops.add(hop.trim());
        }
      }
    }
    if (hops.isEmpty()) {
      return ip.orElse(source);
    }
    InetAddress hop = source;
    for (int i = hops.size() - 1; i >= 0; i--) {
      String text = hops.get(i);
      hop = IpAddresses.parseLiteral(text).orElseThrow(() -> new MalformedRequestException(
          "X-Forwarded-For from a trusted proxy holds \"" + quote(text) + "\", not an IP address literal"));
      if (!trusts(hop)) {
        return hop;
      }
    }
    return hop; // every hop is a trusted proxy: the leftmost is the closest thing to a client there is
  }

  private static String quote(String text) {
    String printable = text.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f) ? text : "(not printable ASCII)";
    return printable.length() <= QUOTE_LIMIT ? printable : printable.substring(0, QUOTE_LIMIT) + "...";
  }
}
