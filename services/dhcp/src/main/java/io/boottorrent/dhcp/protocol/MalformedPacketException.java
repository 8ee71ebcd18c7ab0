package io.boottorrent.dhcp.protocol;

/**
 * A datagram that is not a well-formed DHCP/BOOTP message: too short, a wrong magic cookie, an option
 * whose length runs past its field, a known option with an impossible length, a missing message type…
 * The server drops such packets; the message says what was wrong, for a DEBUG log line.
 */
public final class MalformedPacketException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedPacketException(String message) {
    super(message);
  }
}
