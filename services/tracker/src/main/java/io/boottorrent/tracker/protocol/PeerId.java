package io.boottorrent.tracker.protocol;

import com.google.protobuf.ByteString;
import java.util.HexFormat;

/**
 * The 20-byte id a BitTorrent client picks for itself (often an ASCII client prefix + random bytes).
 * A type of its own, not an {@link io.boottorrent.core.InfoHash}, though both are 20 bytes: the
 * compiler keeps the two apart in every announce.
 */
public record PeerId(ByteString value) {
  public static final int LENGTH = 20;

  public PeerId {
    if (value == null || value.size() != LENGTH) {
      throw new IllegalArgumentException("peer id must be 20 bytes, got " + (value == null ? "none" : value.size()));
    }
  }

  public PeerId(byte[] bytes) {
    this(bytes == null ? null : ByteString.copyFrom(bytes));
  }

  /** A copy of the 20 bytes. */
  public byte[] bytes() {
    return value.toByteArray();
  }

  /** 40 lowercase hex digits (logs, the cluster map's keys). */
  @Override
  public String toString() {
    return HexFormat.of().formatHex(value.toByteArray());
  }
}
