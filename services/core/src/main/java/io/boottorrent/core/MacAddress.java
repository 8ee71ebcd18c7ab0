package io.boottorrent.core;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An Ethernet MAC address, always written in one canonical form: {@code aa:bb:cc:dd:ee:ff}. Parses
 * what operators, firmware and tools write: {@code AA:BB:CC:DD:EE:FF}, {@code aa-bb-cc-dd-ee-ff}
 * (Windows), {@code aabb.ccdd.eeff} (Cisco) and {@code aabbccddeeff}, in any case, blanks around it
 * ignored. Mixed separators and other lengths are refused.
 */
public record MacAddress(String canonical) implements Comparable<MacAddress> {
  private static final Pattern CANONICAL = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
  private static final Pattern BARE = Pattern.compile("[0-9a-f]{12}");
  private static final Pattern DASHES = Pattern.compile("([0-9a-f]{2}-){5}[0-9a-f]{2}");
  private static final Pattern DOTS = Pattern.compile("([0-9a-f]{4}\\.){2}[0-9a-f]{4}");

  public MacAddress {
    if (canonical == null || !CANONICAL.matcher(canonical).matches()) {
      throw new IllegalArgumentException("not a canonical MAC address (aa:bb:cc:dd:ee:ff): " + canonical);
    }
  }

  /** The MAC in any of the accepted forms, or empty (null and blank included). */
  public static Optional<MacAddress> tryParse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String m = text.trim().toLowerCase(Locale.ROOT);
    if (!(CANONICAL.matcher(m).matches() || BARE.matcher(m).matches() || DASHES.matcher(m).matches()
        || DOTS.matcher(m).matches())) {
      return Optional.empty();
    }
    return Optional.of(ofHex(m.replace(":", "").replace("-", "").replace(".", "")));
  }

  /**
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static MacAddress parse(String text) {
    return tryParse(text).orElseThrow(() -> new IllegalArgumentException("not a MAC address: '" + text
        + "' (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)"));
  }

  /** The MAC of a 6-byte hardware address. */
  public static MacAddress of(byte[] bytes) {
    if (bytes == null || bytes.length != 6) {
      throw new IllegalArgumentException("a MAC address has 6 bytes, got " + (bytes == null ? "none" : bytes.length));
    }
    return ofHex(HexFormat.of().formatHex(bytes));
  }

  private static MacAddress ofHex(String hex12) {
    StringBuilder out = new StringBuilder(17);
    for (int i = 0; i < 12; i += 2) {
      if (i > 0) {
        out.append(':');
      }
      out.append(hex12, i, i + 2);
    }
    return new MacAddress(out.toString());
  }

  public byte[] bytes() {
    return HexFormat.of().parseHex(canonical.replace(":", ""));
  }

  @Override
  public int compareTo(MacAddress other) {
    return canonical.compareTo(other.canonical);
  }

  @Override
  public String toString() {
    return canonical;
  }
}
