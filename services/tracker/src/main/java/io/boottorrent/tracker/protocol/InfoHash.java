package io.boottorrent.tracker.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/** A BitTorrent v1 info-hash: the 20-byte SHA-1 of a torrent's info dictionary. */
public record InfoHash(byte[] bytes) {
  public static final int LENGTH = 20;

  public InfoHash {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("info-hash must be 20 bytes, got " + bytes.length);
    }
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** 40 lowercase hex digits, the form of ImageManifest.info_hash and SwarmStats.info_hash. */
  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InfoHash other && Arrays.equals(bytes, other.bytes);
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
