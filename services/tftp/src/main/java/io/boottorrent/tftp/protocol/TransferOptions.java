package io.boottorrent.tftp.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The RFC 2347 option list of a request or an OACK: option names in lower case (they are
 * case-insensitive on the wire), in the order they were sent. Values of the options this server
 * knows are range-checked: RFC 2348 {@code blksize} 8..65464, RFC 2349 {@code timeout} 1..255
 * (seconds) and {@code tsize} &ge; 0, RFC 7440 {@code windowsize} 1..65535. Unknown options are kept
 * verbatim (a server ignores them).
 */
public record TransferOptions(Map<String, String> values) {
  public static final String BLKSIZE = "blksize";
  public static final String TIMEOUT = "timeout";
  public static final String TSIZE = "tsize";
  public static final String WINDOWSIZE = "windowsize";

  /** RFC 1350 block size, used when {@code blksize} is not negotiated. */
  public static final int DEFAULT_BLKSIZE = 512;
  public static final int MIN_BLKSIZE = 8;
  public static final int MAX_BLKSIZE = 65464;
  public static final int MIN_TIMEOUT = 1;
  public static final int MAX_TIMEOUT = 255;
  public static final int MIN_WINDOWSIZE = 1;
  public static final int MAX_WINDOWSIZE = 65535;

  public static final TransferOptions NONE = new TransferOptions(Map.of());

  /** @throws IllegalArgumentException for a duplicate name or a known option's bad value */
  public TransferOptions {
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      String problem = problem(name, e.getValue());
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (copy.put(name, e.getValue()) != null) {
        throw new IllegalArgumentException("option " + name + " given twice");
      }
    }
    values = Collections.unmodifiableMap(copy);
  }

  /** Options from name/value pairs, in order: {@code of("blksize", "1428", "tsize", "0")}. */
  public static TransferOptions of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must come in pairs");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (map.put(namesAndValues[i].toLowerCase(Locale.ROOT), namesAndValues[i + 1]) != null) {
        throw new IllegalArgumentException("option " + namesAndValues[i] + " given twice");
      }
    }
    return new TransferOptions(map);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  public OptionalInt blksize() {
    return intOption(BLKSIZE);
  }

  public OptionalInt timeout() {
    return intOption(TIMEOUT);
  }

  public OptionalInt windowsize() {
    return intOption(WINDOWSIZE);
  }

  public OptionalLong tsize() {
    String v = values.get(TSIZE);
    return v == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
  }

  private OptionalInt intOption(String name) {
    String v = values.get(name);
    return v == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(v));
  }

  /**
   * Why {@code value} is not acceptable for option {@code name} (lower case), or null if it is.
   * Only the four options of RFC 2348/2349/7440 are checked.
   */
  static String problem(String name, String value) {
    if (name.isEmpty()) {
      return "empty option name";
    }
    return switch (name) {
      case BLKSIZE -> range(name, value, MIN_BLKSIZE, MAX_BLKSIZE);
      case TIMEOUT -> range(name, value, MIN_TIMEOUT, MAX_TIMEOUT);
      case WINDOWSIZE -> range(name, value, MIN_WINDOWSIZE, MAX_WINDOWSIZE);
      case TSIZE -> range(name, value, 0, Long.MAX_VALUE);
      default -> null;
    };
  }

  private static String range(String name, String value, long min, long max) {
    if (value.isEmpty() || value.length() > 19) {
      return name + " value '" + value + "' is not a decimal number";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return name + " value '" + value + "' is not a decimal number";
      }
    }
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException tooBig) {
      return name + " value '" + value + "' is out of range";
    }
    if (n < min || n > max) {
      return name + " " + value + " is outside " + min + ".." + max;
    }
    return null;
  }
}
