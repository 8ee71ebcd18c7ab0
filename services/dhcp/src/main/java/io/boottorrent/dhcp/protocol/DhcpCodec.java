package io.boottorrent.dhcp.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DHCP messages ⇄ bytes (RFC 2131 §2 and §4.1, RFC 2132, RFC 3396).
 *
 * <p>The decoder is strict: anything it cannot interpret with certainty is a
 * {@link MalformedPacketException} and the server drops the packet. It reads options from the
 * options field, then — if option 52 (overload) in the options field says so — from the
 * {@code file} field, then the {@code sname} field, in that order (RFC 3396 §5); an option 52 inside
 * {@code file} or {@code sname} is ignored, so no field is ever read twice. Several instances of one
 * option are concatenated into one value (RFC 3396). A missing end option is tolerated at the end of
 * a field (some firmware omits it); an option whose length runs past its field is not.
 *
 * <p>The encoder writes the header, the magic cookie, each option (values longer than 255 bytes split
 * into consecutive instances, RFC 3396 §7), the end option, and zero padding up to the 300-byte BOOTP
 * minimum (RFC 1542 §2.1; the Linux in-kernel client ignores shorter packets).
 */
public final class DhcpCodec {
  /** op .. file: the fixed BOOTP header. */
  public static final int HEADER_LENGTH = 236;
  public static final int MAGIC_COOKIE = 0x63825363;
  /** Header + cookie. */
  public static final int OPTIONS_OFFSET = HEADER_LENGTH + 4;
  /** BOOTP minimum message size (RFC 1542 §2.1). */
  public static final int MIN_PACKET_LENGTH = 300;
  /** RFC 1542 §4.1.1: relay agents discard requests whose hops exceed a configurable maximum, 16 by default. */
  public static final int MAX_HOPS = 16;

  private static final int SNAME_OFFSET = 44;
  private static final int FILE_OFFSET = 108;

  private DhcpCodec() {}

  public static DhcpMessage decode(byte[] packet) throws MalformedPacketException {
    return decode(packet, 0, packet.length);
  }

  public static DhcpMessage decode(byte[] packet, int offset, int length) throws MalformedPacketException {
    if (offset < 0 || length < 0 || offset + length > packet.length) {
      throw new IllegalArgumentException("offset/length outside the array");
    }
    if (length < OPTIONS_OFFSET) {
      throw new MalformedPacketException("truncated: " + length + " bytes, a DHCP message has at least "
          + OPTIONS_OFFSET + " (header and magic cookie)");
    }
    byte[] b = Arrays.copyOfRange(packet, offset, offset + length);
    ByteBuffer buf = ByteBuffer.wrap(b);
    int op = u8(b, 0);
    if (op != DhcpMessage.BOOTREQUEST && op != DhcpMessage.BOOTREPLY) {
      throw new MalformedPacketException("op " + op + " is neither BOOTREQUEST (1) nor BOOTREPLY (2)");
    }
    int htype = u8(b, 1);
    int hlen = u8(b, 2);
    if (hlen > DhcpMessage.CHADDR_LENGTH) {
      throw new MalformedPacketException("hlen " + hlen + " exceeds the 16-byte chaddr field");
    }
    int hops = u8(b, 3);
    if (hops > MAX_HOPS) {
      throw new MalformedPacketException("hops " + hops + " exceeds the maximum of " + MAX_HOPS);
    }
    int xid = buf.getInt(4);
    int secs = buf.getShort(8) & 0xFFFF;
    int flags = buf.getShort(10) & 0xFFFF;
    Ipv4 ciaddr = Ipv4.of(b, 12);
    Ipv4 yiaddr = Ipv4.of(b, 16);
    Ipv4 siaddr = Ipv4.of(b, 20);
    Ipv4 giaddr = Ipv4.of(b, 24);
    byte[] chaddr = Arrays.copyOfRange(b, 28, 28 + DhcpMessage.CHADDR_LENGTH);
    int cookie = buf.getInt(HEADER_LENGTH);
    if (cookie != MAGIC_COOKIE) {
      throw new MalformedPacketException(String.format("magic cookie 0x%08x, expected 0x%08x", cookie, MAGIC_COOKIE));
    }

    // Each code's instances are joined here and become one option at the end: joining as they come
    // (copying the value so far at every instance) allocated the square of the datagram.
    Map<Integer, ByteArrayOutputStream> values = new LinkedHashMap<>();
    ByteArrayOutputStream overloadValue = new ByteArrayOutputStream();
    parseField(b, OPTIONS_OFFSET, b.length, "options", values, overloadValue);
    int overload = 0;
    if (overloadValue.size() > 0) {
      byte[] value = overloadValue.toByteArray();
      if (value.length != 1 || value[0] < 1 || value[0] > 3) {
        throw new MalformedPacketException("option 52 (overload) must be one byte 1, 2 or 3, got "
            + java.util.HexFormat.of().formatHex(value));
      }
      overload = value[0];
    }
    // RFC 3396 §5: options field, then file, then sname; option 52 inside them is ignored (null sink).
    if ((overload & 1) != 0) {
      parseField(b, FILE_OFFSET, FILE_OFFSET + DhcpMessage.FILE_LENGTH, "file", values, null);
    }
    if ((overload & 2) != 0) {
      parseField(b, SNAME_OFFSET, SNAME_OFFSET + DhcpMessage.SNAME_LENGTH, "sname", values, null);
    }
    DhcpOptions.Builder options = DhcpOptions.builder();
    values.forEach((code, value) -> options.set(code, value.toByteArray()));
    DhcpOptions parsed = options.build();
    for (DhcpOption option : parsed.all()) {
      checkLength(option);
    }
    if (!parsed.has(OptionCode.MESSAGE_TYPE)) {
      throw new MalformedPacketException("no DHCP message type (option 53): a plain BOOTP message");
    }
    if (parsed.messageType().isEmpty()) {
      throw new MalformedPacketException("unsupported DHCP message type " + (parsed.get(OptionCode.MESSAGE_TYPE).get().data()[0] & 0xFF));
    }
    String sname = (overload & 2) != 0 ? "" : cString(b, SNAME_OFFSET, DhcpMessage.SNAME_LENGTH);
    String file = (overload & 1) != 0 ? "" : cString(b, FILE_OFFSET, DhcpMessage.FILE_LENGTH);
    return new DhcpMessage(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr,
        sname, file, parsed);
  }

  /**
   * Reads options from {@code b[start..end)} into {@code values} (code → the concatenation of its
   * instances so far, in order of first appearance). Option 52 goes to {@code overload}, or is
   * skipped when that is null (inside an overloaded field).
   */
  private static void parseField(byte[] b, int start, int end, String field,
      Map<Integer, ByteArrayOutputStream> values, ByteArrayOutputStream overload) throws MalformedPacketException {
    int i = start;
    while (i < end) {
      int code = u8(b, i);
      if (code == OptionCode.PAD) {
        i++;
        continue;
      }
      if (code == OptionCode.END) {
        return;
      }
      if (i + 1 >= end) {
        throw new MalformedPacketException("option " + code + " in the " + field + " field has no length byte");
      }
      int len = u8(b, i + 1);
      if (i + 2 + len > end) {
        throw new MalformedPacketException("option " + code + " in the " + field + " field: length " + len
            + " runs past the field (" + (end - i - 2) + " bytes left)");
      }
      if (code == OptionCode.OVERLOAD) {
        if (overload != null) {
          overload.write(b, i + 2, len);
        }
      } else {
        values.computeIfAbsent(code, c -> new ByteArrayOutputStream()).write(b, i + 2, len);
      }
      i += 2 + len;
    }
  }

  /** Lengths fixed or bounded by RFC 2132 / RFC 4578 for the options this service interprets. */
  private static void checkLength(DhcpOption option) throws MalformedPacketException {
    int len = option.length();
    boolean ok = switch (option.code()) {
      case OptionCode.SUBNET_MASK, OptionCode.BROADCAST_ADDRESS, OptionCode.REQUESTED_IP, OptionCode.LEASE_TIME,
          OptionCode.SERVER_ID, OptionCode.RENEWAL_TIME, OptionCode.REBINDING_TIME -> len == 4;
      case OptionCode.ROUTER, OptionCode.DNS_SERVERS -> len >= 4 && len % 4 == 0;
      case OptionCode.MESSAGE_TYPE -> len == 1;
      case OptionCode.MAX_MESSAGE_SIZE -> len == 2;
      case OptionCode.CLIENT_ID, OptionCode.RELAY_AGENT_INFO -> len >= 2;
      case OptionCode.HOST_NAME, OptionCode.DOMAIN_NAME, OptionCode.PARAMETER_REQUEST_LIST, OptionCode.VENDOR_CLASS,
          OptionCode.TFTP_SERVER_NAME, OptionCode.BOOTFILE_NAME, OptionCode.USER_CLASS -> len >= 1;
      case OptionCode.CLIENT_ARCH -> len >= 2 && len % 2 == 0;
      case OptionCode.CLIENT_NDI -> len == 3;
      case OptionCode.CLIENT_UUID -> len == 17 && option.u8(0) == 0;
      default -> true;
    };
    if (!ok) {
      throw new MalformedPacketException("option " + option.code() + " has an invalid length " + len
          + (option.code() == OptionCode.CLIENT_UUID ? " or type (RFC 4578: type 0 + 16 bytes)" : ""));
    }
  }

  public static byte[] encode(DhcpMessage m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(MIN_PACKET_LENGTH + 64);
    ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH + 4);
    header.put((byte) m.op()).put((byte) m.htype()).put((byte) m.hlen()).put((byte) m.hops());
    header.putInt(m.xid()).putShort((short) m.secs()).putShort((short) m.flags());
    header.put(m.ciaddr().toBytes()).put(m.yiaddr().toBytes()).put(m.siaddr().toBytes()).put(m.giaddr().toBytes());
    header.put(m.chaddr());
    header.put(Arrays.copyOf(m.sname().getBytes(StandardCharsets.ISO_8859_1), DhcpMessage.SNAME_LENGTH));
    header.put(Arrays.copyOf(m.file().getBytes(StandardCharsets.ISO_8859_1), DhcpMessage.FILE_LENGTH));
    header.putInt(MAGIC_COOKIE);
    out.writeBytes(header.array());
    for (DhcpOption option : m.options().all()) {
      byte[] data = option.data();
      if (data.length == 0) {
        out.write(option.code());
        out.write(0);
        continue;
      }
      for (int from = 0; from < data.length; from += 255) {
        int chunk = Math.min(255, data.length - from);
        out.write(option.code());
        out.write(chunk);
        out.write(data, from, chunk);
      }
    }
    out.write(OptionCode.END);
    while (out.size() < MIN_PACKET_LENGTH) {
      out.write(OptionCode.PAD);
    }
    return out.toByteArray();
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xFF;
  }

  private static String cString(byte[] b, int offset, int length) {
    int end = offset;
    while (end < offset + length && b[end] != 0) {
      end++;
    }
    return new String(b, offset, end - offset, StandardCharsets.ISO_8859_1);
  }
}
