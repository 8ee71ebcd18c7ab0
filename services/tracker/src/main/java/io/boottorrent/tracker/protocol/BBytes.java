package io.boottorrent.tracker.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A bencoded byte string. Bencode strings are raw bytes (info-hashes, compact peer lists), so this
 * wraps a defensive copy of a {@code byte[]} with value equality and the unsigned byte order BEP 3
 * requires for dictionary keys.
 */
public record BBytes(byte[] bytes) implements BValue, Comparable<BBytes> {
  public BBytes {
    bytes = bytes.clone();
  }

  /** The UTF-8 bytes of {@code text}: dictionary keys and human-readable values. */
  public static BBytes of(String text) {
    return new BBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  public int length() {
    return bytes.length;
  }

  /** The bytes without a copy, for the encoder in this package. */
  byte[] raw() {
    return bytes;
  }

  public String utf8() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public int compareTo(BBytes other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BBytes other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    for (byte b : bytes) {
      if (b < 0x20 || b > 0x7e) {
        return "0x" + HexFormat.of().formatHex(bytes);
      }
    }
    return '"' + new String(bytes, StandardCharsets.US_ASCII) + '"';
  }
}
