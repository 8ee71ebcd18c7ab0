package io.boottorrent.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Pure encoders of what the server sends, and parsers of option data (bytes to records). */
public final class NbdCodec {
  private NbdCodec() {}

  /** An NBD_OPT_INFO/GO request: the export name and the info types asked for. */
  public record InfoRequest(String name, List<Integer> infos) {
    public InfoRequest {
      infos = List.copyOf(infos);
    }
  }

  /** Block size constraints (NBD_INFO_BLOCK_SIZE). */
  public record BlockSizes(int minimum, int preferred, int maximum) {}

  /** The fixed newstyle greeting: NBDMAGIC, IHAVEOPT, handshake flags FIXED_NEWSTYLE|NO_ZEROES. */
  public static byte[] greeting() {
    return ByteBuffer.allocate(18).putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT)
        .putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)).array();
  }

  public static byte[] optionReply(int option, int replyType, byte[] data) {
    return ByteBuffer.allocate(20 + data.length).putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(replyType)
        .putInt(data.length).put(data).array();
  }

  /** An error reply with a human-readable message (the spec allows UTF-8 text as its data). */
  public static byte[] optionError(int option, int error, String message) {
    return optionReply(option, error, message.getBytes(StandardCharsets.UTF_8));
  }

  /** NBD_REP_SERVER for NBD_OPT_LIST: the name's length, the name. */
  public static byte[] serverReply(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return optionReply(Nbd.OPT_LIST, Nbd.REP_SERVER, ByteBuffer.allocate(4 + n.length).putInt(n.length).put(n).array());
  }

  public static byte[] infoExport(int option, long size, int transmissionFlags) {
    return optionReply(option, Nbd.REP_INFO, ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT).putLong(size)
        .putShort((short) transmissionFlags).array());
  }

  public static byte[] infoBlockSize(int option, BlockSizes sizes) {
    return optionReply(option, Nbd.REP_INFO, ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE)
        .putInt(sizes.minimum()).putInt(sizes.preferred()).putInt(sizes.maximum()).array());
  }

  /** The answer to NBD_OPT_EXPORT_NAME: size, transmission flags, 124 zeroes unless NO_ZEROES. */
  public static byte[] exportNameReply(long size, int transmissionFlags, boolean noZeroes) {
    return ByteBuffer.allocate(noZeroes ? 10 : 134).putLong(size).putShort((short) transmissionFlags).array();
  }

  /** A simple reply header; a successful read's data follows it. */
  public static byte[] simpleReply(int error, long handle) {
    return ByteBuffer.allocate(16).putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).array();
  }

  /** Parses NBD_OPT_INFO/GO data: u32 name length, name, u16 count, count x u16 info type. */
  public static InfoRequest parseInfoRequest(byte[] data) throws NbdProtocolException {
    ByteBuffer in = ByteBuffer.wrap(data);
    if (in.remaining() < 4) {
      throw new NbdProtocolException("info request of " + data.length + " bytes, shorter than its name length");
    }
    long nameLength = Integer.toUnsignedLong(in.getInt());
    if (nameLength > Nbd.MAX_NAME_BYTES) {
      throw new NameTooLong(nameLength);
    }
    if (in.remaining() < nameLength + 2) {
      throw new NbdProtocolException("info request of " + data.length + " bytes cannot hold a name of " + nameLength
          + " bytes and the info count");
    }
    byte[] name = new byte[(int) nameLength];
    in.get(name);
    int count = Short.toUnsignedInt(in.getShort());
    if (in.remaining() != 2L * count) {
      throw new NbdProtocolException("info request announces " + count + " info types but carries "
          + in.remaining() + " bytes for them");
    }
    List<Integer> infos = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      infos.add(Short.toUnsignedInt(in.getShort()));
    }
    return new InfoRequest(utf8(name), infos);
  }

  /** Parses NBD_OPT_EXPORT_NAME data: the whole data is the name. */
  public static String parseExportName(byte[] data) throws NbdProtocolException {
    if (data.length > Nbd.MAX_NAME_BYTES) {
      throw new NameTooLong(data.length);
    }
    return utf8(data);
  }

  private static String utf8(byte[] b) throws NbdProtocolException {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new NbdProtocolException("export name is not UTF-8");
    }
  }

  /** An export name over the spec's 4096 bytes. */
  public static final class NameTooLong extends NbdProtocolException {
    NameTooLong(long length) {
      super("export name of " + length + " bytes, over the protocol's " + Nbd.MAX_NAME_BYTES);
    }
  }
}
