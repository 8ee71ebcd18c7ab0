package io.boottorrent.nbd.protocol;

import io.boottorrent.nbd.protocol.ClientMessage.ClientFlags;
import io.boottorrent.nbd.protocol.ClientMessage.Option;
import io.boottorrent.nbd.protocol.ClientMessage.Request;
import java.nio.ByteBuffer;

/**
 * Incremental decoder of what a client sends, for bytes arriving in arbitrary chunks: {@link #feed}
 * the bytes, then call {@link #next} until it returns {@code null}. The phase (client flags, options,
 * transmission) is the server's to move on ({@link #startTransmission}) after it answered an option,
 * because a client may pipeline its first requests right behind NBD_OPT_GO.
 *
 * <p>Never allocates what the peer claims: option data over {@link #MAX_OPTION_DATA} is refused before
 * any of it is read, and a write's payload is skipped, not buffered. Buffered bytes are at most what
 * was fed and not yet decoded.
 */
public final class NbdDecoder {
  /**
   * Option data cap: NBD_OPT_GO carries a 4-byte name length, a name of at most 4096 bytes, a 2-byte
   * count and 2 bytes per info request; 16 KiB leaves room for thousands of those.
   */
  public static final int MAX_OPTION_DATA = 16 * 1024;
  static final int OPTION_HEADER = 16;
  static final int REQUEST_HEADER = 28;

  public enum Phase { CLIENT_FLAGS, OPTIONS, TRANSMISSION }

  private Phase phase = Phase.CLIENT_FLAGS;
  private byte[] buf = new byte[64];
  private int start;
  private int end;
  /** Bytes of a write payload still to drop. */
  private long skip;

  public Phase phase() {
    return phase;
  }

  /** After the client flags the decoder reads options; call this once the server agreed to transmit. */
  public void startTransmission() {
    phase = Phase.TRANSMISSION;
  }

  /** Appends received bytes. */
  public void feed(byte[] bytes) {
    feed(bytes, 0, bytes.length);
  }

  public void feed(byte[] bytes, int offset, int length) {
    if (skip > 0) {
      int dropped = (int) Math.min(skip, length);
      skip -= dropped;
      offset += dropped;
      length -= dropped;
    }
    if (length == 0) {
      return;
    }
    if (start == end) {
      start = end = 0;
    }
    if (buf.length - end < length) {
      int live = end - start;
      if (buf.length - live >= length && start > 0) {
        System.arraycopy(buf, start, buf, 0, live);
      } else {
        byte[] bigger = new byte[Math.max(buf.length * 2, live + length)];
        System.arraycopy(buf, start, bigger, 0, live);
        buf = bigger;
      }
      start = 0;
      end = live;
    }
    System.arraycopy(bytes, offset, buf, end, length);
    end += length;
  }

  /** Bytes fed and not yet decoded (nor skipped). */
  public int buffered() {
    return end - start;
  }

  /** The next whole message, or {@code null} until more bytes come. */
  public ClientMessage next() throws NbdProtocolException {
    int available = end - start;
    ByteBuffer in = ByteBuffer.wrap(buf, start, available);
    switch (phase) {
      case CLIENT_FLAGS -> {
        if (available < 4) {
          return null;
        }
        int flags = in.getInt();
        int unknown = flags & ~(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
        if (unknown != 0) { // the spec: a server MUST close on client flags it does not know
          throw new NbdProtocolException("unknown client flags 0x" + Integer.toHexString(unknown));
        }
        start += 4;
        phase = Phase.OPTIONS;
        return new ClientFlags(flags);
      }
      case OPTIONS -> {
        if (available < OPTION_HEADER) {
          return null;
        }
        long magic = in.getLong();
        if (magic != Nbd.IHAVEOPT) {
          throw new NbdProtocolException("option request magic 0x" + Long.toHexString(magic)
              + ", not IHAVEOPT 0x" + Long.toHexString(Nbd.IHAVEOPT));
        }
        int option = in.getInt();
        long length = Integer.toUnsignedLong(in.getInt());
        if (length > MAX_OPTION_DATA) {
          throw new NbdProtocolException("option " + option + " claims " + length + " bytes of data, over the cap of "
              + MAX_OPTION_DATA);
        }
        if (available < OPTION_HEADER + length) {
          return null;
        }
        byte[] data = new byte[(int) length];
        in.get(data);
        start += OPTION_HEADER + (int) length;
        return new Option(option, data);
      }
      default -> {
        if (available < REQUEST_HEADER) {
          return null;
        }
        int magic = in.getInt();
        if (magic != Nbd.REQUEST_MAGIC) {
          throw new NbdProtocolException("request magic 0x" + Integer.toHexString(magic) + ", not 0x"
              + Integer.toHexString(Nbd.REQUEST_MAGIC));
        }
        int flags = Short.toUnsignedInt(in.getShort());
        int type = Short.toUnsignedInt(in.getShort());
        long handle = in.getLong();
        long offset = in.getLong();
        int length = in.getInt();
        start += REQUEST_HEADER;
        if (type == Nbd.CMD_WRITE) {
          // the payload follows the header: drop what is buffered, the rest as it arrives
          long payload = Integer.toUnsignedLong(length);
          int here = (int) Math.min(payload, end - start);
          start += here;
          skip = payload - here;
        }
        return new Request(flags, type, handle, offset, length);
      }
    }
  }

  /** Bytes of a write payload not yet received (to drop when they come). */
  public long skipping() {
    return skip;
  }
}
