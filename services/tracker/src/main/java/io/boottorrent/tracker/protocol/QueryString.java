package io.boottorrent.tracker.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The raw query string of a tracker request, with values percent-decoded to bytes. {@code info_hash}
 * and {@code peer_id} are binary, so decoding to a String map first (UTF-8) would corrupt them.
 *
 * <p>Values are decoded when asked for, so a bad escape in a parameter we ignore does not reject the
 * request. {@code +} stays a literal byte 0x2B: clients escape binary parameters per RFC 3986, not as
 * HTML form data, and a {@code +} inside an info_hash means that byte.
 */
public final class QueryString {
  /** Far above a scrape of {@link ScrapeRequest#MAX_INFO_HASHES} hashes (about 70 bytes each). */
  public static final int MAX_LENGTH = 16 * 1024;

  private final Map<String, List<String>> raw;

  private QueryString(Map<String, List<String>> raw) {
    this.raw = raw;
  }

  /** @param rawQuery the part after '?', still percent-encoded; null or empty for none */
  public static QueryString parse(String rawQuery) throws MalformedRequestException {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return new QueryString(params);
    }
    if (rawQuery.length() > MAX_LENGTH) {
      throw new MalformedRequestException("query string longer than " + MAX_LENGTH + " bytes");
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      String name = new String(decode(rawName, "parameter name"), StandardCharsets.ISO_8859_1);
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return new QueryString(params);
  }

  /** The one value of {@code name}; a parameter given twice is refused rather than guessed at. */
  public Optional<byte[]> single(String name) throws MalformedRequestException {
    List<String> values = raw.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw new MalformedRequestException(name + " given more than once");
    }
    return values.isEmpty() ? Optional.empty() : Optional.of(decode(values.get(0), name));
  }

  /** The one value of {@code name} as text (ASCII parameters: numbers, event, ip, key). */
  public Optional<String> text(String name) throws MalformedRequestException {
    return single(name).map(bytes -> new String(bytes, StandardCharsets.ISO_8859_1));
  }

  /** Every value of {@code name}, in request order. */
  public List<byte[]> all(String name) throws MalformedRequestException {
    List<byte[]> out = new ArrayList<>();
    for (String value : raw.getOrDefault(name, List.of())) {
      out.add(decode(value, name));
    }
    return out;
  }

  /** RFC 3986 percent-decoding to bytes; other characters stand for their own (Latin-1) byte. */
  static byte[] decode(String raw, String name) throws MalformedRequestException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 1 < raw.length() ? hex(raw.charAt(i + 1)) : -1;
        int lo = i + 2 < raw.length() ? hex(raw.charAt(i + 2)) : -1;
        if (hi < 0 || lo < 0) {
          throw new MalformedRequestException(name + ": bad percent escape");
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c > 0xff) {
        // The HTTP decoder maps each request-line byte to one char, so this cannot come off the wire.
        throw new MalformedRequestException(name + ": character outside one byte");
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  /** ASCII hex digits only: Character.digit would also accept other scripts' digits. */
  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
