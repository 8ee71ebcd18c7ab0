package io.boottorrent.tftp.protocol;

/**
 * A datagram that is not a valid TFTP packet: truncated, a missing NUL terminator, an unknown
 * opcode or mode, or an option value out of its RFC range. {@link #errorCode()} is the ERROR a server
 * should answer with: {@link ErrorCode#OPTION_NEGOTIATION} for bad option values (RFC 2347),
 * {@link ErrorCode#ILLEGAL_OPERATION} for everything else.
 */
public final class MalformedPacketException extends Exception {
  private final ErrorCode errorCode;

  public MalformedPacketException(String message) {
    this(ErrorCode.ILLEGAL_OPERATION, message);
  }

  public MalformedPacketException(ErrorCode errorCode, String message) {
    super(message);
    this.errorCode = errorCode;
  }

  public ErrorCode errorCode() {
    return errorCode;
  }
}
