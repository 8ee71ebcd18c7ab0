package io.boottorrent.tftp.protocol;

import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TftpPacket.Request;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Pure TFTP codec: {@link #decode} bytes → {@link TftpPacket} record, {@link #encode} record → bytes.
 * The decoder is strict: it rejects truncated packets, strings without their NUL terminator, unknown
 * opcodes and modes, duplicate options, known options with out-of-range values, and trailing bytes
 * (after the last NUL of a request only NUL padding is tolerated). File names are UTF-8 (plain ASCII
 * in practice); modes and option names/values must be ASCII.
 */
public final class TftpCodec {
  /** Opcode + block number. */
  public static final int DATA_HEADER_LENGTH = 4;

  private TftpCodec() {}

  public static TftpPacket decode(byte[] datagram) throws MalformedPacketException {
    return decode(datagram, 0, datagram.length);
  }

  public static TftpPacket decode(byte[] datagram, int offset, int length) throws MalformedPacketException {
    if (length < 2) {
      throw new MalformedPacketException("truncated packet: " + length + " bytes, no opcode");
    }
    Reader in = new Reader(datagram, offset, length);
    Opcode opcode = Opcode.of(in.u16());
    return switch (opcode) {
      case RRQ, WRQ -> decodeRequest(opcode, in);
      case DATA -> decodeData(in);
      case ACK -> decodeAck(in);
      case ERROR -> decodeError(in);
      case OACK -> new OptionAck(decodeOptions(in, "OACK"));
    };
  }

  private static TftpPacket decodeRequest(Opcode opcode, Reader in) throws MalformedPacketException {
    String filename = in.utf8String("filename");
    TransferMode mode = TransferMode.parse(in.asciiString("mode"));
    TransferOptions options = decodeOptions(in, opcode.name());
    return opcode == Opcode.RRQ
        ? new ReadRequest(filename, mode, options)
        : new TftpPacket.WriteRequest(filename, mode, options);
  }

  private static TransferOptions decodeOptions(Reader in, String what) throws MalformedPacketException {
    Map<String, String> options = new LinkedHashMap<>();
    while (in.remaining() > 0 && !in.onlyNulsLeft()) {
      String name = in.asciiString("option name").toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        throw new MalformedPacketException("empty option name in " + what);
      }
      if (in.remaining() == 0) {
        throw new MalformedPacketException("option " + name + " has no value in " + what);
      }
      String value = in.asciiString("value of option " + name);
      String problem = TransferOptions.problem(name, value);
      if (problem != null) {
        throw new MalformedPacketException(ErrorCode.OPTION_NEGOTIATION, problem);
      }
      if (options.put(name, value) != null) {
        throw new MalformedPacketException(ErrorCode.OPTION_NEGOTIATION, "option " + name + " given twice");
      }
    }
    if ("OACK".equals(what) && options.isEmpty()) {
      throw new MalformedPacketException("OACK without options");
    }
    return new TransferOptions(options);
  }

  private static Data decodeData(Reader in) throws MalformedPacketException {
    if (in.remaining() < 2) {
      throw new MalformedPacketException("truncated DATA: no block number");
    }
    int block = in.u16();
    if (in.remaining() > TransferOptions.MAX_BLKSIZE) {
      throw new MalformedPacketException("DATA payload of " + in.remaining() + " bytes exceeds "
          + TransferOptions.MAX_BLKSIZE);
    }
    return new Data(block, in.rest());
  }

  private static Ack decodeAck(Reader in) throws MalformedPacketException {
    if (in.remaining() < 2) {
      throw new MalformedPacketException("truncated ACK: no block number");
    }
    int block = in.u16();
    in.requireEnd("ACK");
    return new Ack(block);
  }

  private static ErrorPacket decodeError(Reader in) throws MalformedPacketException {
    if (in.remaining() < 2) {
      throw new MalformedPacketException("truncated ERROR: no error code");
    }
    int code = in.u16();
    String message = in.lenientString("error message");
    in.requireEnd("ERROR");
    return new ErrorPacket(code, message);
  }

  // ---------------------------------------------------------------------------------- encoding

  public static byte[] encode(TftpPacket packet) {
    if (packet instanceof Request r) {
      return encodeRequest(r);
    }
    if (packet instanceof Data d) {
      byte[] payload = d.payload();
      byte[] out = new byte[DATA_HEADER_LENGTH + payload.length];
      writeHeader(out, Opcode.DATA, d.block());
      System.arraycopy(payload, 0, out, DATA_HEADER_LENGTH, payload.length);
      return out;
    }
    if (packet instanceof Ack a) {
      byte[] out = new byte[4];
      writeHeader(out, Opcode.ACK, a.block());
      return out;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u16(out, packet.opcode().code());
    if (packet instanceof ErrorPacket e) {
      u16(out, e.code());
      string(out, e.message().getBytes(StandardCharsets.UTF_8));
    } else if (packet instanceof OptionAck o) {
      options(out, o.options());
    } else {
      throw new IllegalArgumentException("unknown packet kind " + packet.getClass());
    }
    return out.toByteArray();
  }

  /** The 4 header bytes of a DATA packet, for callers that append the payload themselves. */
  public static byte[] dataHeader(int block) {
    if (block < 0 || block > 0xFFFF) {
      throw new IllegalArgumentException("block number " + block + " does not fit 16 bits");
    }
    byte[] out = new byte[DATA_HEADER_LENGTH];
    writeHeader(out, Opcode.DATA, block);
    return out;
  }

  private static byte[] encodeRequest(Request r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u16(out, r.opcode().code());
    string(out, r.filename().getBytes(StandardCharsets.UTF_8));
    string(out, r.mode().wireName().getBytes(StandardCharsets.US_ASCII));
    options(out, r.options());
    return out.toByteArray();
  }

  private static void options(ByteArrayOutputStream out, TransferOptions options) {
    for (Map.Entry<String, String> e : options.values().entrySet()) {
      string(out, e.getKey().getBytes(StandardCharsets.US_ASCII));
      string(out, e.getValue().getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static void writeHeader(byte[] out, Opcode opcode, int block) {
    out[0] = 0;
    out[1] = (byte) opcode.code();
    out[2] = (byte) (block >>> 8);
    out[3] = (byte) block;
  }

  private static void u16(ByteArrayOutputStream out, int value) {
    out.write(value >>> 8);
    out.write(value & 0xFF);
  }

  private static void string(ByteArrayOutputStream out, byte[] bytes) {
    out.write(bytes, 0, bytes.length);
    out.write(0);
  }

  /** Cursor over the datagram. */
  private static final class Reader {
    private final byte[] bytes;
    private final int end;
    private int pos;

    Reader(byte[] bytes, int offset, int length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " of " + bytes.length);
      }
      this.bytes = bytes;
      this.pos = offset;
      this.end = offset + length;
    }

    int remaining() {
      return end - pos;
    }

    int u16() {
      int v = ((bytes[pos] & 0xFF) << 8) | (bytes[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    byte[] rest() {
      byte[] out = new byte[end - pos];
      System.arraycopy(bytes, pos, out, 0, out.length);
      pos = end;
      return out;
    }

    boolean onlyNulsLeft() {
      for (int i = pos; i < end; i++) {
        if (bytes[i] != 0) {
          return false;
        }
      }
      return true;
    }

    void requireEnd(String what) throws MalformedPacketException {
      if (pos != end) {
        throw new MalformedPacketException((end - pos) + " trailing bytes after " + what);
      }
    }

    /** The bytes up to the next NUL (consumed with it). */
    private byte[] field(String what) throws MalformedPacketException {
      for (int i = pos; i < end; i++) {
        if (bytes[i] == 0) {
          byte[] out = new byte[i - pos];
          System.arraycopy(bytes, pos, out, 0, out.length);
          pos = i + 1;
          return out;
        }
      }
      throw new MalformedPacketException(pos == end
          ? "truncated packet: " + what + " missing"
          : what + " is not NUL-terminated");
    }

    String asciiString(String what) throws MalformedPacketException {
      byte[] raw = field(what);
      for (byte b : raw) {
        if (b < 0x20 || b == 0x7F) {
          throw new MalformedPacketException(what + " contains a non-printable or non-ASCII byte");
        }
      }
      return new String(raw, StandardCharsets.US_ASCII);
    }

    String utf8String(String what) throws MalformedPacketException {
      byte[] raw = field(what);
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(raw))
            .toString();
      } catch (CharacterCodingException e) {
        throw new MalformedPacketException(what + " is not valid UTF-8");
      }
    }

    String lenientString(String what) throws MalformedPacketException {
      return new String(field(what), StandardCharsets.UTF_8);
    }
  }
}
