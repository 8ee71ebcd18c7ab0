package io.boottorrent.tftp.protocol;

import java.util.Locale;

/** RFC 1350 §1 transfer modes; the mode string is case-insensitive on the wire. */
public enum TransferMode {
  NETASCII,
  OCTET,
  MAIL;

  /** The mode as sent on the wire (lower case). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws MalformedPacketException for any other mode string */
  public static TransferMode parse(String mode) throws MalformedPacketException {
    return switch (mode.toLowerCase(Locale.ROOT)) {
      case "netascii" -> NETASCII;
      case "octet" -> OCTET;
      case "mail" -> MAIL;
      default -> throw new MalformedPacketException("unknown transfer mode '" + mode + "'");
    };
  }
}
