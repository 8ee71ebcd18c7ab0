package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.ErrorCode;

/** A request the server answers with an ERROR packet instead of a transfer. */
public final class Refusal extends Exception {
  private final ErrorCode code;

  public Refusal(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
