package io.boottorrent.tftp.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Netascii (RFC 764, as RFC 1350 uses it): on the wire every end of line is CR LF and a bare CR is
 * CR NUL. Both converters stream: the input may be cut anywhere, and the encoder fills fixed-size
 * blocks, so an expansion (CR LF, CR NUL) may straddle two DATA blocks.
 */
public final class Netascii {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte NUL = 0;

  private Netascii() {}

  /** Length of {@code bytes[off, off+len)} once encoded: one extra byte per CR and per LF. */
  public static long encodedLength(byte[] bytes, int off, int len) {
    long n = len;
    for (int i = off; i < off + len; i++) {
      if (bytes[i] == CR || bytes[i] == LF) {
        n++;
      }
    }
    return n;
  }

  /** Local bytes → netascii: LF → CR LF, CR → CR NUL, every other byte unchanged. */
  public static final class Encoder {
    /** Second byte of an expansion that did not fit the previous output, or -1. */
    private int pending = -1;

    /**
     * Moves bytes from {@code in} to {@code out} until {@code out} is full or {@code in} (and any
     * pending half of an expansion) is exhausted.
     */
    public void encode(ByteBuffer in, ByteBuffer out) {
      while (out.hasRemaining()) {
        if (pending >= 0) {
          out.put((byte) pending);
          pending = -1;
          continue;
        }
        if (!in.hasRemaining()) {
          return;
        }
        byte b = in.get();
        if (b == LF) {
          out.put(CR);
          pending = LF;
        } else if (b == CR) {
          out.put(CR);
          pending = NUL;
        } else {
          out.put(b);
        }
      }
    }

    /** True if half of an expansion still waits for room in the next output. */
    public boolean hasPending() {
      return pending >= 0;
    }
  }

  /**
   * Netascii → local bytes: CR LF → LF, CR NUL → CR. A CR followed by anything else is kept as it
   * is (lenient: some senders emit bare CRs). A CR at the end of one chunk is resolved by the next.
   */
  public static final class Decoder {
    private boolean pendingCr;

    public byte[] decode(byte[] chunk) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(chunk.length + 1);
      for (byte b : chunk) {
        if (pendingCr) {
          pendingCr = false;
          if (b == LF) {
            out.write(LF);
            continue;
          }
          out.write(CR);
          if (b == NUL) {
            continue;
          }
        }
        if (b == CR) {
          pendingCr = true;
        } else {
          out.write(b);
        }
      }
      return out.toByteArray();
    }

    /** End of input: a dangling CR is kept. */
    public byte[] finish() {
      if (pendingCr) {
        pendingCr = false;
        return new byte[] {CR};
      }
      return new byte[0];
    }
  }
}
