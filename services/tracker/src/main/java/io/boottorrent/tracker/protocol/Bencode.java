package io.boottorrent.tracker.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bencoding (BEP 3): {@code 4:spam}, {@code i3e}, {@code l...e}, {@code d...e}.
 *
 * <p>The decoder is strict, so that every accepted input has exactly one encoding: no leading zeros,
 * no {@code i-0e}, dictionary keys strictly ascending (sorted, no duplicates), nothing after the
 * top-level value. Input size and nesting depth are bounded so that hostile input ("llll…") ends in
 * a {@link BencodeException}, never a StackOverflowError or a huge allocation.
 */
public final class Bencode {
  public static final int DEFAULT_MAX_DEPTH = 32;
  public static final int DEFAULT_MAX_LENGTH = 16 * 1024 * 1024;

  private Bencode() {}

  public static byte[] encode(BValue value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(value, out);
    return out.toByteArray();
  }

  public static BValue decode(byte[] input) throws BencodeException {
    return decode(input, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH);
  }

  /**
   * @param maxDepth how many lists/dictionaries may nest (a top-level list is depth 1)
   * @param maxLength the largest input accepted, in bytes
   */
  public static BValue decode(byte[] input, int maxDepth, int maxLength) throws BencodeException {
    if (input.length > maxLength) {
      throw new BencodeException("input of " + input.length + " bytes exceeds the limit of " + maxLength, 0);
    }
    Reader reader = new Reader(input, maxDepth);
    BValue value = reader.value(0);
    if (reader.pos != input.length) {
      throw new BencodeException("trailing data after the value", reader.pos);
    }
    return value;
  }

  private static void write(BValue value, ByteArrayOutputStream out) {
    if (value instanceof BBytes bytes) {
      writeAscii(Integer.toString(bytes.length()), out);
      out.write(':');
      out.writeBytes(bytes.raw());
    } else if (value instanceof BInt integer) {
      out.write('i');
      writeAscii(Long.toString(integer.value()), out);
      out.write('e');
    } else if (value instanceof BList list) {
      out.write('l');
      list.items().forEach(item -> write(item, out));
      out.write('e');
    } else if (value instanceof BDict dict) {
      out.write('d');
      for (Map.Entry<BBytes, BValue> entry : dict.entries().entrySet()) {
        write(entry.getKey(), out);
        write(entry.getValue(), out);
      }
      out.write('e');
    }
  }

  private static void writeAscii(String text, ByteArrayOutputStream out) {
    out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static final class Reader {
    private final byte[] in;
    private final int maxDepth;
    private int pos;

    Reader(byte[] in, int maxDepth) {
      this.in = in;
      this.maxDepth = maxDepth;
    }

    BValue value(int depth) throws BencodeException {
      int c = peek();
      if (c == 'i') {
        return integer();
      }
      if (c == 'l' || c == 'd') {
        if (depth >= maxDepth) {
          throw new BencodeException("nesting deeper than " + maxDepth, pos);
        }
        return c == 'l' ? list(depth + 1) : dict(depth + 1);
      }
      if (c >= '0' && c <= '9') {
        return string();
      }
      throw new BencodeException(String.format("unexpected byte 0x%02x", c), pos);
    }

    private BInt integer() throws BencodeException {
      int start = ++pos;
      boolean negative = peek() == '-';
      if (negative) {
        pos++;
      }
      int digitsStart = pos;
      long value = 0;
      while (peek() != 'e') {
        int c = in[pos];
        if (c < '0' || c > '9') {
          throw new BencodeException(String.format("unexpected byte 0x%02x in integer", c & 0xff), pos);
        }
        if (pos > digitsStart && in[digitsStart] == '0') {
          throw new BencodeException("integer with a leading zero", start);
        }
        try {
          // Accumulate negatively: Long.MIN_VALUE has no positive counterpart.
          value = Math.subtractExact(Math.multiplyExact(value, 10), c - '0');
        } catch (ArithmeticException overflow) {
          throw new BencodeException("integer does not fit 64 bits", start);
        }
        pos++;
      }
      if (pos == digitsStart) {
        throw new BencodeException("integer without digits", start);
      }
      if (negative && value == 0) {
        throw new BencodeException("negative zero", start);
      }
      pos++; // 'e'
      if (negative) {
        return new BInt(value);
      }
      if (value == Long.MIN_VALUE) {
        throw new BencodeException("integer does not fit 64 bits", start);
      }
      return new BInt(-value);
    }

    private BBytes string() throws BencodeException {
      int start = pos;
      long length = 0;
      while (peek() != ':') {
        int c = in[pos];
        if (c < '0' || c > '9') {
          throw new BencodeException(String.format("unexpected byte 0x%02x in string length", c & 0xff), pos);
        }
        if (pos > start && in[start] == '0') {
          throw new BencodeException("string length with a leading zero", start);
        }
        length = length * 10 + (c - '0');
        if (length > in.length) {
          throw new BencodeException("string length exceeds the input", start);
        }
        pos++;
      }
      pos++; // ':'
      if (length > in.length - pos) {
        throw new BencodeException("string of " + length + " bytes runs past the end of the input", start);
      }
      byte[] bytes = Arrays.copyOfRange(in, pos, pos + (int) length);
      pos += (int) length;
      return new BBytes(bytes);
    }

    private BList list(int depth) throws BencodeException {
      pos++;
      List<BValue> items = new ArrayList<>();
      while (peek() != 'e') {
        items.add(value(depth));
      }
      pos++;
      return new BList(items);
    }

    private BDict dict(int depth) throws BencodeException {
      pos++;
      TreeMap<BBytes, BValue> entries = new TreeMap<>();
      BBytes previous = null;
      while (peek() != 'e') {
        int keyAt = pos;
        int c = in[pos];
        if (c < '0' || c > '9') {
          throw new BencodeException("dictionary key is not a byte string", pos);
        }
        BBytes key = string();
        if (previous != null && key.compareTo(previous) <= 0) {
          throw new BencodeException("dictionary keys not in strictly ascending order", keyAt);
        }
        previous = key;
        entries.put(key, value(depth));
      }
      pos++;
      return new BDict(entries);
    }

    /** The next byte without consuming it; running out of input is always an error here. */
    private int peek() throws BencodeException {
      if (pos >= in.length) {
        throw new BencodeException("unexpected end of input", pos);
      }
      return in[pos] & 0xff;
    }
  }
}
