package io.boottorrent.tracker.protocol;

/**
 * A tracker request we refuse. The message is the {@code failure reason} sent back to the client, so
 * it names the parameter and never echoes raw binary input.
 */
public final class MalformedRequestException extends Exception {
  public MalformedRequestException(String reason) {
    super(reason);
  }
}
