package io.boottorrent.nbd.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/** What a client sends, by phase: its flags after the greeting, option requests, then requests. */
public sealed interface ClientMessage {

  /** The 32-bit client flags (NBD_FLAG_C_*) that answer the server greeting. */
  record ClientFlags(int flags) implements ClientMessage {
    public boolean noZeroes() {
      return (flags & Nbd.FLAG_C_NO_ZEROES) != 0;
    }
  }

  /** One option request of the haggling phase; {@code data} as sent (at most the decoder's cap). */
  record Option(int option, byte[] data) implements ClientMessage {
    public Option {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Option other && option == other.option && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return 31 * option + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "Option[" + option + ", " + HexFormat.of().formatHex(data) + "]";
    }
  }

  /**
   * One transmission request. A write's payload is not kept (the export is read-only): the decoder
   * skips {@code length} bytes after the header without buffering them.
   */
  record Request(int flags, int type, long handle, long offset, int length) implements ClientMessage {
    /** The length as the unsigned 32-bit value it is on the wire. */
    public long unsignedLength() {
      return Integer.toUnsignedLong(length);
    }
  }
}
