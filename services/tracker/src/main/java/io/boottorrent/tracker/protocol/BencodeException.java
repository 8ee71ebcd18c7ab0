package io.boottorrent.tracker.protocol;

/** Malformed bencoded input; {@link #offset()} is where the decoder gave up. */
public final class BencodeException extends Exception {
  private final int offset;

  public BencodeException(String message, int offset) {
    super(message + " at offset " + offset);
    this.offset = offset;
  }

  public int offset() {
    return offset;
  }
}
