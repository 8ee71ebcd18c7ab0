package io.boottorrent.dhcp.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One option: its code (1..254) and its value. A value longer than 255 bytes is legal: the encoder
 * splits it into several consecutive instances of the option (RFC 3396), the decoder joins them.
 * The value array is copied in and out, so an instance is immutable.
 */
public record DhcpOption(int code, byte[] data) {
  public DhcpOption {
    if (code < 1 || code > 254) {
      throw new IllegalArgumentException("option code must be 1..254 (0 is pad, 255 is end): " + code);
    }
    data = data.clone();
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  public int length() {
    return data.length;
  }

  /** Byte {@code i} of the value, unsigned. */
  int u8(int i) {
    return data[i] & 0xFF;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DhcpOption other && code == other.code && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * code + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "option " + code + " [" + HexFormat.of().formatHex(data) + "]";
  }
}
