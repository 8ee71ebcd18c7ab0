package io.boottorrent.core;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A BitTorrent v1 info-hash: the 20-byte SHA-1 of a torrent's info dictionary. Written as 40
 * lowercase hex digits (ImageManifest.info_hash, SwarmStats.info_hash, libtorrent's {@code toHex}).
 */
public record InfoHash(byte[] bytes) {
  public static final int LENGTH = 20;
  private static final Pattern HEX40 = Pattern.compile("[0-9a-fA-F]{40}");

  public InfoHash {
    if (bytes == null || bytes.length != LENGTH) {
      throw new IllegalArgumentException("info-hash must be 20 bytes, got " + (bytes == null ? "none" : bytes.length));
    }
    bytes = bytes.clone();
  }

  /**
   * @throws IllegalArgumentException unless {@code hex} is 40 hex digits (either case)
   */
  public static InfoHash fromHex(String hex) {
    if (hex == null || !HEX40.matcher(hex).matches()) {
      throw new IllegalArgumentException("not an info-hash (40 hex digits): '" + hex + "'");
    }
    return new InfoHash(HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
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
