package io.boottorrent.dhcp.protocol;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * One DHCP message (RFC 2131 §2, figure 1): the fixed BOOTP header and the options that follow the
 * magic cookie. Immutable; {@code chaddr} is the 16-byte field as on the wire (the hardware address
 * is its first {@code hlen} bytes). {@code sname} and {@code file} are the header strings (empty when
 * the fields carried options, see option overload in {@link DhcpCodec}).
 *
 * @param op {@link #BOOTREQUEST} or {@link #BOOTREPLY}
 * @param htype hardware type, 1 = Ethernet
 * @param hlen hardware address length, 0..16
 * @param hops relay hops so far
 * @param xid transaction id chosen by the client
 * @param secs seconds since the client began
 * @param flags bit 15 = broadcast ({@link #FLAG_BROADCAST})
 */
public record DhcpMessage(
    int op, int htype, int hlen, int hops, int xid, int secs, int flags,
    Ipv4 ciaddr, Ipv4 yiaddr, Ipv4 siaddr, Ipv4 giaddr,
    byte[] chaddr, String sname, String file, DhcpOptions options) {

  public static final int BOOTREQUEST = 1;
  public static final int BOOTREPLY = 2;
  public static final int HTYPE_ETHERNET = 1;
  public static final int FLAG_BROADCAST = 0x8000;
  public static final int SNAME_LENGTH = 64;
  public static final int FILE_LENGTH = 128;
  public static final int CHADDR_LENGTH = 16;

  public DhcpMessage {
    require(op == BOOTREQUEST || op == BOOTREPLY, "op must be 1 (BOOTREQUEST) or 2 (BOOTREPLY): " + op);
    require(htype >= 0 && htype <= 255, "htype must be 0..255");
    require(hlen >= 0 && hlen <= CHADDR_LENGTH, "hlen must be 0..16");
    require(hops >= 0 && hops <= 255, "hops must be 0..255");
    require(secs >= 0 && secs <= 0xFFFF, "secs must be 0..65535");
    require(flags >= 0 && flags <= 0xFFFF, "flags must be 0..65535");
    require(ciaddr != null && yiaddr != null && siaddr != null && giaddr != null, "addresses must not be null");
    require(chaddr != null && chaddr.length <= CHADDR_LENGTH, "chaddr must be at most 16 bytes");
    require(sname != null && sname.length() <= SNAME_LENGTH, "sname must be at most 64 characters");
    require(file != null && file.length() <= FILE_LENGTH, "file must be at most 128 characters");
    require(options != null, "options must not be null");
    require(!options.has(OptionCode.OVERLOAD), "option 52 (overload) is decided by the encoder, not set by hand");
    chaddr = Arrays.copyOf(chaddr, CHADDR_LENGTH);
  }

  /** A BOOTREQUEST from an Ethernet client with the given MAC (6 bytes), everything else zero. */
  public static DhcpMessage request(byte[] mac, int xid, DhcpOptions options) {
    return new DhcpMessage(BOOTREQUEST, HTYPE_ETHERNET, mac.length, 0, xid, 0, 0,
        Ipv4.ZERO, Ipv4.ZERO, Ipv4.ZERO, Ipv4.ZERO, mac, "", "", options);
  }

  @Override
  public byte[] chaddr() {
    return chaddr.clone();
  }

  /** The client hardware address: the first {@code hlen} bytes of chaddr. */
  public byte[] hardwareAddress() {
    return Arrays.copyOf(chaddr, hlen);
  }

  /** Lowercase, colon-separated hardware address ({@code "02:42:0a:d5:63:02"}). */
  public String mac() {
    return HexFormat.ofDelimiter(":").formatHex(chaddr, 0, hlen);
  }

  public boolean broadcast() {
    return (flags & FLAG_BROADCAST) != 0;
  }

  public Optional<MessageType> messageType() {
    return options.messageType();
  }

  public DhcpMessage withOptions(DhcpOptions newOptions) {
    return new DhcpMessage(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
        chaddr, sname, file, newOptions);
  }

  public DhcpMessage withFlags(int newFlags) {
    return new DhcpMessage(op, htype, hlen, hops, xid, secs, newFlags, ciaddr, yiaddr, siaddr, giaddr,
        chaddr, sname, file, options);
  }

  public DhcpMessage withCiaddr(Ipv4 address) {
    return new DhcpMessage(op, htype, hlen, hops, xid, secs, flags, address, yiaddr, siaddr, giaddr,
        chaddr, sname, file, options);
  }

  public DhcpMessage withGiaddr(Ipv4 address) {
    return new DhcpMessage(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, address,
        chaddr, sname, file, options);
  }

  public DhcpMessage withHops(int newHops) {
    return new DhcpMessage(op, htype, hlen, newHops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
        chaddr, sname, file, options);
  }

  /**
   * The skeleton of a server reply to this request (RFC 2131 table 3): op BOOTREPLY, the request's
   * htype/hlen/xid/flags/giaddr/chaddr, hops 0, secs 0, the given addresses, no options yet.
   */
  public DhcpMessage replySkeleton(Ipv4 replyCiaddr, Ipv4 replyYiaddr, Ipv4 replySiaddr, String replyFile,
      DhcpOptions replyOptions) {
    return new DhcpMessage(BOOTREPLY, htype, hlen, 0, xid, 0, flags, replyCiaddr, replyYiaddr, replySiaddr,
        giaddr, chaddr, "", replyFile, replyOptions);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DhcpMessage m && op == m.op && htype == m.htype && hlen == m.hlen && hops == m.hops
        && xid == m.xid && secs == m.secs && flags == m.flags && ciaddr.equals(m.ciaddr)
        && yiaddr.equals(m.yiaddr) && siaddr.equals(m.siaddr) && giaddr.equals(m.giaddr)
        && Arrays.equals(chaddr, m.chaddr) && sname.equals(m.sname) && file.equals(m.file)
        && options.equals(m.options);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * xid + Arrays.hashCode(chaddr)) + options.hashCode();
  }

  @Override
  public String toString() {
    return "DhcpMessage{op=" + op + ", xid=" + String.format("0x%08x", xid) + ", type="
        + messageType().map(Enum::name).orElse("none") + ", chaddr=" + mac() + ", flags=" + flags
        + ", ciaddr=" + ciaddr + ", yiaddr=" + yiaddr + ", siaddr=" + siaddr + ", giaddr=" + giaddr
        + ", sname='" + sname + "', file='" + file + "', options=" + options + "}";
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
