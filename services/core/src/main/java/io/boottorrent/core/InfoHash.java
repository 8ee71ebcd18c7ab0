package io.boottorrent.core;

import com.google.protobuf.ByteString;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A BitTorrent v1 info-hash: the 20-byte SHA-1 of a torrent's info dictionary. Written as 40
 * lowercase hex digits (ImageManifest.info_hash, SwarmStats.info_hash, libtorrent's {@code toHex}).
 * Held as an immutable {@link ByteString}, so the record's equality is the bytes'.
 */
public record InfoHash(ByteString value) {
  public static final int LENGTH = 20;
  private static final Pattern HEX40 = Pattern.compile("[0-9a-fA-F]{40}");

  public InfoHash {
    if (value == null || value.size() != LENGTH) {
      throw new IllegalArgumentException("info-hash must be 20 bytes, got " + (value == null ? "none" : value.size()));
    }
  }

  public InfoHash(byte[] bytes) {
    this(bytes == null ? null : ByteString.copyFrom(bytes));
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

  /** A copy of the 20 bytes. */
  public byte[] bytes() {
    return value.toByteArray();
  }

  /** 40 lowercase hex digits. */
  public String hex() {
    return HexFormat.of().formatHex(value.toByteArray());
  }

  @Override
  public String toString() {
    return hex();
  }
}
