package io.boottorrent.tftp.protocol;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One TFTP packet, one record per kind (RFC 1350 §5, RFC 2347 OACK). Bytes ⇄ records:
 * {@link TftpCodec}.
 */
public sealed interface TftpPacket {
  Opcode opcode();

  /** RRQ or WRQ: a file name, a mode and RFC 2347 options. */
  sealed interface Request extends TftpPacket permits ReadRequest, WriteRequest {
    String filename();

    TransferMode mode();

    TransferOptions options();
  }

  record ReadRequest(String filename, TransferMode mode, TransferOptions options) implements Request {
    public ReadRequest {
      requireNoNul(filename, "filename");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(options, "options");
    }

    public ReadRequest(String filename, TransferMode mode) {
      this(filename, mode, TransferOptions.NONE);
    }

    @Override
    public Opcode opcode() {
      return Opcode.RRQ;
    }
  }

  record WriteRequest(String filename, TransferMode mode, TransferOptions options) implements Request {
    public WriteRequest {
      requireNoNul(filename, "filename");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(options, "options");
    }

    @Override
    public Opcode opcode() {
      return Opcode.WRQ;
    }
  }

  /** DATA: block number (0..65535, it wraps) and 0..65464 bytes of payload. */
  record Data(int block, byte[] payload) implements TftpPacket {
    public Data {
      requireBlock(block);
      if (payload.length > TransferOptions.MAX_BLKSIZE) {
        throw new IllegalArgumentException("DATA payload of " + payload.length + " bytes exceeds "
            + TransferOptions.MAX_BLKSIZE);
      }
      payload = payload.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    public int length() {
      return payload.length;
    }

    @Override
    public Opcode opcode() {
      return Opcode.DATA;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Data d && d.block == block && Arrays.equals(d.payload, payload);
    }

    @Override
    public int hashCode() {
      return 31 * block + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
      String head = HexFormat.of().formatHex(payload, 0, Math.min(16, payload.length));
      return "Data[block=" + block + ", length=" + payload.length + ", head=" + head + "]";
    }
  }

  record Ack(int block) implements TftpPacket {
    public Ack {
      requireBlock(block);
    }

    @Override
    public Opcode opcode() {
      return Opcode.ACK;
    }
  }

  /** ERROR: the raw code (0..65535; 0..8 are defined, see {@link #errorCode()}) and a message. */
  record ErrorPacket(int code, String message) implements TftpPacket {
    public ErrorPacket {
      if (code < 0 || code > 0xFFFF) {
        throw new IllegalArgumentException("error code " + code + " does not fit 16 bits");
      }
      requireNoNul(message, "message");
    }

    public static ErrorPacket of(ErrorCode code, String message) {
      return new ErrorPacket(code.code(), message);
    }

    public ErrorCode errorCode() {
      return ErrorCode.of(code);
    }

    @Override
    public Opcode opcode() {
      return Opcode.ERROR;
    }
  }

  /** OACK (RFC 2347): the options the server accepted, with their final values; never empty. */
  record OptionAck(TransferOptions options) implements TftpPacket {
    public OptionAck {
      if (options.isEmpty()) {
        throw new IllegalArgumentException("an OACK carries at least one option");
      }
    }

    @Override
    public Opcode opcode() {
      return Opcode.OACK;
    }
  }

  private static void requireNoNul(String s, String what) {
    Objects.requireNonNull(s, what);
    if (s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " contains NUL");
    }
  }

  private static void requireBlock(int block) {
    if (block < 0 || block > 0xFFFF) {
      throw new IllegalArgumentException("block number " + block + " does not fit 16 bits");
    }
  }
}
