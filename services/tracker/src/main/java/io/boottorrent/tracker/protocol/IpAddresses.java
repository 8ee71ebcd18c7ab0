package io.boottorrent.tracker.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Parses IPv4/IPv6 address literals without ever resolving a name: {@link InetAddress#getByName}
 * falls back to a DNS lookup for anything that is not a literal, which would block the event loop
 * and let a client make the tracker resolve names of its choosing.
 */
public final class IpAddresses {
  private IpAddresses() {}

  /** The address written in {@code text} (dotted quad, or IPv6 with {@code ::} and a dotted tail). */
  public static Optional<InetAddress> parseLiteral(String text) {
    byte[] bytes = text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text);
    if (bytes == null) {
      return Optional.empty();
    }
    try {
      // getByAddress never does a lookup; it maps ::ffff:a.b.c.d to the Inet4Address.
      return Optional.of(InetAddress.getByAddress(bytes));
    } catch (UnknownHostException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  /** Dotted quad, four decimal parts 0..255 without leading zeros; null otherwise. One pass, no allocation but the result. */
  private static byte[] ipv4(String text) {
    byte[] out = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '.';
      if (c == '.') {
        // No leading zeros: "010" is octal to some parsers and decimal to others.
        if (digits == 0 || part == 4 || value > 255 || (digits > 1 && text.charAt(i - digits) == '0')) {
          return null;
        }
        out[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9' && digits < 3) {
        value = value * 10 + (c - '0');
        digits++;
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static byte[] ipv6(String text) {
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap < 0 ? text : text.substring(0, gap);
    String tail = gap < 0 ? "" : text.substring(gap + 2);
    int[] headGroups = groups(head, gap < 0);
    int[] tailGroups = groups(tail, true);
    if (headGroups == null || tailGroups == null) {
      return null;
    }
    int total = headGroups.length + tailGroups.length;
    if (gap < 0 ? total != 8 : total > 7) {
      return null;
    }
    byte[] out = new byte[16];
    for (int i = 0; i < headGroups.length; i++) {
      out[2 * i] = (byte) (headGroups[i] >> 8);
      out[2 * i + 1] = (byte) headGroups[i];
    }
    int offset = 8 - tailGroups.length;
    for (int i = 0; i < tailGroups.length; i++) {
      out[2 * (offset + i)] = (byte) (tailGroups[i] >> 8);
      out[2 * (offset + i) + 1] = (byte) tailGroups[i];
    }
    return out;
  }

  /** 16-bit groups of one side of "::"; a dotted IPv4 tail, where allowed, counts as two groups. */
  private static int[] groups(String side, boolean ipv4TailAllowed) {
    if (side.isEmpty()) {
      return new int[0];
    }
    String[] parts = side.split(":", -1);
    int last = parts.length - 1;
    boolean dottedTail = ipv4TailAllowed && parts[last].indexOf('.') >= 0;
    int[] out = new int[parts.length + (dottedTail ? 1 : 0)];
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (i == last && dottedTail) {
        byte[] v4 = ipv4(part);
        if (v4 == null) {
          return null;
        }
        out[i] = (v4[0] & 0xff) << 8 | (v4[1] & 0xff);
        out[i + 1] = (v4[2] & 0xff) << 8 | (v4[3] & 0xff);
      } else {
        if (part.isEmpty() || part.length() > 4 || !hexDigits(part)) {
          return null;
        }
        out[i] = Integer.parseInt(part, 16);
      }
    }
    return out;
  }

  private static boolean hexDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }
}
