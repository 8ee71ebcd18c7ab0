package io.boottorrent.catalog;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a file one HTTP GET asks for (RFC 9110 §14): the whole file, one byte range, or a range
 * that cannot be satisfied (416). Only single {@code bytes=} ranges are honoured — what BEP 19 web-seed
 * clients (libtorrent, aria2) send; a multi-range or unparsable header is ignored and the whole file
 * served, which RFC 9110 §14.2 permits.
 *
 * @param offset first byte served
 * @param length number of bytes served
 * @param partial true: 206 with Content-Range; false: 200
 * @param satisfiable false: answer 416 with {@code Content-Range: bytes *}{@code /size}
 */
public record ByteRange(long offset, long length, boolean partial, boolean satisfiable) {
  private static final Pattern SINGLE = Pattern.compile("\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

  public static ByteRange whole(long size) {
    return new ByteRange(0, size, false, true);
  }

  /** @param header the Range header, or null */
  public static ByteRange parse(String header, long size) {
    if (header == null) {
      return whole(size);
    }
    Matcher m = SINGLE.matcher(header);
    if (!m.matches()) {
      return whole(size);
    }
    String first = m.group(1);
    String last = m.group(2);
    try {
      if (first.isEmpty()) {
        if (last.isEmpty()) {
          return whole(size); // "bytes=-": malformed, ignore
        }
        long suffix = Long.parseLong(last);
        if (suffix == 0 || size == 0) {
          return unsatisfiable();
        }
        long length = Math.min(suffix, size);
        return new ByteRange(size - length, length, true, true);
      }
      long start = Long.parseLong(first);
      long end = last.isEmpty() ? Long.MAX_VALUE : Long.parseLong(last);
      if (end < start) {
        return whole(size); // syntactically invalid range: ignore the header
      }
      if (start >= size) {
        return unsatisfiable();
      }
      end = Math.min(end, size - 1);
      return new ByteRange(start, end - start + 1, true, true);
    } catch (NumberFormatException tooLong) {
      return whole(size);
    }
  }

  private static ByteRange unsatisfiable() {
    return new ByteRange(0, 0, false, false);
  }

  /** The Content-Range value of a 206 answer. */
  public String contentRange(long size) {
    return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
  }
}
