package io.boottorrent.tftp.protocol;

/** TFTP error codes: RFC 1350 appendix (0..7) and RFC 2347 (8). */
public enum ErrorCode {
  NOT_DEFINED(0, "Not defined, see error message"),
  FILE_NOT_FOUND(1, "File not found"),
  ACCESS_VIOLATION(2, "Access violation"),
  DISK_FULL(3, "Disk full or allocation exceeded"),
  ILLEGAL_OPERATION(4, "Illegal TFTP operation"),
  UNKNOWN_TID(5, "Unknown transfer ID"),
  FILE_EXISTS(6, "File already exists"),
  NO_SUCH_USER(7, "No such user"),
  OPTION_NEGOTIATION(8, "Transfer terminated due to option negotiation");

  private final int code;
  private final String description;

  ErrorCode(int code, String description) {
    this.code = code;
    this.description = description;
  }

  public int code() {
    return code;
  }

  public String description() {
    return description;
  }

  /**
   * The code's constant; codes above 8 (which no RFC defines but some servers send) are
   * {@link #NOT_DEFINED} so that a peer's error is never itself a decoding failure.
   */
  public static ErrorCode of(int code) {
    for (ErrorCode e : values()) {
      if (e.code == code) {
        return e;
      }
    }
    return NOT_DEFINED;
  }
}
