package io.boottorrent.core.trust;

/** A signature, key or signed message that must not be trusted; the message says why. */
public final class TrustException extends Exception {
  public TrustException(String message) {
    super(message);
  }
}
