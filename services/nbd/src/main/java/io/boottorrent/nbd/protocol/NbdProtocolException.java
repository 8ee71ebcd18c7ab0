package io.boottorrent.nbd.protocol;

/** Input that breaks the NBD protocol (bad magic, a length over a cap): the connection is closed. */
public class NbdProtocolException extends Exception {
  public NbdProtocolException(String message) {
    super(message);
  }
}
