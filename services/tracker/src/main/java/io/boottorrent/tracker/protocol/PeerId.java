package io.boottorrent.tracker.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/** The 20-byte id a BitTorrent client picks for itself (often an ASCII client prefix + random bytes). */
public record PeerId(byte[] bytes) {
  public static final int LENGTH = 20;

  public PeerId {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("peer id must be 20 bytes, got " + bytes.length);
    }
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** 40 lowercase hex digits. */
  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerId other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return hex();
  }
}
