package io.boottorrent.tftp.protocol;

/** The opcode of a TFTP packet: RFC 1350 §5 (1..5) and RFC 2347 (6, OACK). */
public enum Opcode {
  RRQ(1),
  WRQ(2),
  DATA(3),
  ACK(4),
  ERROR(5),
  OACK(6);

  private final int code;

  Opcode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** @throws MalformedPacketException for a code no RFC defines */
  public static Opcode of(int code) throws MalformedPacketException {
    for (Opcode op : values()) {
      if (op.code == code) {
        return op;
      }
    }
    throw new MalformedPacketException("unknown opcode " + code);
  }
}
