package io.boottorrent.dhcp.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes test packets field by field, as laid out in RFC 2131 §2 figure 1 and RFC 2132. */
final class PacketBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  PacketBytes u8(int... values) {
    for (int v : values) {
      out.write(v);
    }
    return this;
  }

  PacketBytes u16(int v) {
    return u8(v >>> 8, v & 0xFF);
  }

  PacketBytes u32(long v) {
    return u8((int) (v >>> 24) & 0xFF, (int) (v >>> 16) & 0xFF, (int) (v >>> 8) & 0xFF, (int) v & 0xFF);
  }

  PacketBytes ip(int a, int b, int c, int d) {
    return u8(a, b, c, d);
  }

  PacketBytes zeros(int n) {
    for (int i = 0; i < n; i++) {
      out.write(0);
    }
    return this;
  }

  PacketBytes ascii(String s) {
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  /** A fixed-size NUL-padded field (sname 64, file 128). */
  PacketBytes field(String s, int size) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(b);
    return zeros(size - b.length);
  }

  /** Zero padding up to {@code total} bytes. */
  PacketBytes padTo(int total) {
    return zeros(total - out.size());
  }

  int size() {
    return out.size();
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  /**
   * The BOOTP header of a request from an Ethernet client: op 1, htype 1, hlen 6, the given hops, xid,
   * flags, ciaddr/yiaddr/siaddr/giaddr zero except giaddr given, chaddr = mac + 10 zero bytes.
   */
  static PacketBytes requestHeader(int hops, long xid, int flags, int[] giaddr, int... mac) {
    PacketBytes p = new PacketBytes()
        .u8(1, 1, 6, hops)          // op, htype, hlen, hops
        .u32(xid)                   // xid
        .u16(0).u16(flags)          // secs, flags
        .ip(0, 0, 0, 0)             // ciaddr
        .ip(0, 0, 0, 0)             // yiaddr
        .ip(0, 0, 0, 0)             // siaddr
        .ip(giaddr[0], giaddr[1], giaddr[2], giaddr[3]); // giaddr
    p.u8(mac).zeros(16 - mac.length); // chaddr
    return p;
  }
}
