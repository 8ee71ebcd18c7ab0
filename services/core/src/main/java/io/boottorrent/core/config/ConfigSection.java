package io.boottorrent.core.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One section of the config tree ({@code catalog}, {@code dhcp.pools[0]}…), read strictly: every key
 * must be present (the embedded defaults hold every key, so a missing one means the tree was not
 * merged over them), must have the expected type and range, and every key present must be read —
 * {@link #done()} refuses the ones nobody read, which are typos or keys that no longer exist. Each
 * failure is a {@link ConfigException} naming the key, the value and what was expected.
 *
 * <p>An options class reads its section once, at start-up: {@code XOptions.fromSection(json)} is
 * {@link ConfigRecords#read} for a record of plain keys, or hands {@link #read} a function that reads
 * every key; either way {@link #done()} ends the reading.
 */
public final class ConfigSection {
  private final String name;
  private final JsonObject json;
  private final Set<String> read = new LinkedHashSet<>();

  private ConfigSection(String name, JsonObject json) {
    this.name = name;
    this.json = json == null ? new JsonObject() : json;
  }

  /** {@code name} is the section's dotted path, used in messages: {@code "catalog"}, {@code "dhcp.pools[0]"}. */
  public static ConfigSection of(String name, JsonObject json) {
    return new ConfigSection(name, json);
  }

  /**
   * Reads section {@code name} with {@code reader} and then refuses any key it did not read, so no
   * options class can forget {@link #done()}.
   */
  public static <T> T read(String name, JsonObject json, Function<ConfigSection, T> reader) {
    ConfigSection section = of(name, json);
    T value = reader.apply(section);
    section.done();
    return value;
  }

  public String name() {
    return name;
  }

  /** The dotted key of {@code key} in this section, as messages name it. */
  public String keyOf(String key) {
    return name.isEmpty() ? key : name + "." + key;
  }

  /** Whether the section has {@code key} (for the few keys that are optional, e.g. list items' fields). */
  public boolean has(String key) {
    return json.containsKey(key);
  }

  /** Whether {@code key} holds a list (for the few keys that may be a list or one comma-separated string). */
  public boolean isList(String key) {
    return json.getValue(key) instanceof JsonArray;
  }

  // ------------------------------------------------------------------------------------ scalars

  public String string(String key) {
    return typed(key, String.class, "a string").trim();
  }

  /**
   * A string where YAML's {@code off}/{@code no}/{@code false} (read as the boolean false) means none:
   * an empty string.
   */
  public String stringOrOff(String key) {
    Object value = value(key);
    if (Boolean.FALSE.equals(value)) {
      return "";
    }
    if (!(value instanceof String s)) {
      throw wrongType(key, value, "a string (or off)");
    }
    return s.trim();
  }

  /**
   * A text value {@code parse} turns into a value (a MAC, an address, a stripe); empty or {@code off}:
   * none. The {@link IllegalArgumentException} {@code parse} throws becomes a {@link ConfigException}
   * naming the key, with {@code parse}'s message.
   */
  public <T> Optional<T> parsed(String key, Function<String, T> parse) {
    String text = stringOrOff(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(parse.apply(text));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(keyOf(key), e.getMessage());
    }
  }

  public String nonBlank(String key) {
    String s = string(key);
    if (s.isEmpty()) {
      throw new ConfigException(keyOf(key), "must not be empty");
    }
    return s;
  }

  public boolean bool(String key) {
    return typed(key, Boolean.class, "true or false");
  }

  public int integer(String key, int min, int max) {
    long v = longValue(key, min, max);
    return (int) v;
  }

  public long longValue(String key, long min, long max) {
    Object value = value(key);
    if (!(value instanceof Integer || value instanceof Long)) {
      throw wrongType(key, value, range(min, max));
    }
    long v = ((Number) value).longValue();
    if (v < min || v > max) {
      throw new ConfigException(keyOf(key), "expected " + range(min, max) + ", got " + v);
    }
    return v;
  }

  /** A TCP/UDP port; 0 where the service takes any free port. */
  public int port(String key) {
    return integer(key, 0, 65_535);
  }

  /** One of {@code type}'s constants, written in lower case (case does not matter). */
  public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    // YAML 1.1 (SnakeYAML) reads an unquoted on/off/yes/no as a boolean: `streaming: off` means "off"
    Object value = value(key);
    String text = value instanceof Boolean bool ? (bool ? "on" : "off") : string(key);
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(text)) {
        return constant;
      }
    }
    List<String> known = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      known.add(constant.name().toLowerCase(Locale.ROOT));
    }
    throw new ConfigException(keyOf(key), "expected one of " + String.join(", ", known) + ", got \"" + text + "\"");
  }

  /** A path, made absolute (relative to the working directory); empty: none. */
  public Optional<Path> optionalPath(String key) {
    String s = string(key);
    return s.isEmpty() ? Optional.empty() : Optional.of(Path.of(s).toAbsolutePath().normalize());
  }

  // ------------------------------------------------------------------------------- structures

  /** A list of strings; blank entries dropped. */
  public List<String> strings(String key) {
    JsonArray array = array(key);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (!(item instanceof String s)) {
        throw wrongType(key + "[" + i + "]", item, "a string");
      }
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return List.copyOf(out);
  }

  /** A list of paths, made absolute; blank entries dropped. */
  public List<Path> paths(String key) {
    return strings(key).stream().map(s -> Path.of(s).toAbsolutePath().normalize()).toList();
  }

  public JsonArray array(String key) {
    return typed(key, JsonArray.class, "a list");
  }

  /** A mapping with keys of the operator's choice (MAC → address, architecture → file): read as a whole. */
  public JsonObject map(String key) {
    return typed(key, JsonObject.class, "a mapping");
  }

  /**
   * A mapping of the operator's keys to text values, in the file's order; {@code what} names the
   * values in the message when one is not text ("an IPv4 address").
   */
  public Map<String, String> textMap(String key, String what) {
    JsonObject map = map(key);
    Map<String, String> out = new LinkedHashMap<>();
    for (String entry : map.fieldNames()) {
      Object value = map.getValue(entry);
      if (!(value instanceof String text)) {
        throw new ConfigException(keyOf(key) + "." + entry, "expected " + what + ", got " + describe(value));
      }
      out.put(entry, text.trim());
    }
    return out;
  }

  /** A nested section, read key by key like this one. */
  public ConfigSection section(String key) {
    return new ConfigSection(keyOf(key), map(key));
  }

  /** Item {@code index} of the list {@code key}, as a section (its keys are all optional: use {@link #has}). */
  public ConfigSection item(String key, int index) {
    JsonArray array = array(key);
    Object item = array.getValue(index);
    String where = keyOf(key) + "[" + index + "]";
    if (!(item instanceof JsonObject o)) {
      throw new ConfigException(where, "expected a mapping, got " + describe(item));
    }
    return new ConfigSection(where, o);
  }

  /**
   * Ends the reading: every key of the section must have been read. Returns nothing; throws a
   * {@link ConfigException} naming the unknown keys and the known ones.
   */
  public void done() {
    Set<String> unknown = new TreeSet<>(json.fieldNames());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      String first = unknown.iterator().next();
      throw new ConfigException(keyOf(first), (unknown.size() == 1 ? "not a config key" : "not config keys: " + unknown)
          + "; known keys of " + (name.isEmpty() ? "the top level" : name) + ": " + String.join(", ", read));
    }
  }

  /** The keys read so far (the section's known keys once its options class has read it). */
  public Set<String> readKeys() {
    return Set.copyOf(read);
  }

  // ----------------------------------------------------------------------------------- helpers

  private Object value(String key) {
    read.add(key);
    if (!json.containsKey(key)) {
      throw new ConfigException(keyOf(key), "missing (every key has a default in boottorrent-defaults.yaml;"
          + " was the config merged over them?)");
    }
    return json.getValue(key);
  }

  private <T> T typed(String key, Class<T> type, String expected) {
    Object value = value(key);
    if (!type.isInstance(value)) {
      throw wrongType(key, value, expected);
    }
    return type.cast(value);
  }

  private ConfigException wrongType(String key, Object value, String expected) {
    return new ConfigException(keyOf(key), "expected " + expected + ", got " + describe(value));
  }

  private static String range(long min, long max) {
    if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
      return "an integer >= " + min;
    }
    return "an integer " + min + ".." + max;
  }

  /** A value as the operator wrote it, with its type: {@code "abc" (a string)}, {@code 12 (a number)}. */
  static String describe(Object value) {
    if (value == null) {
      return "nothing (null)";
    }
    if (value instanceof String s) {
      return "\"" + s + "\" (a string)";
    }
    if (value instanceof Number n) {
      return n + " (a number)";
    }
    if (value instanceof Boolean b) {
      return b + " (a boolean)";
    }
    if (value instanceof JsonArray a) {
      return "a list " + a.encode();
    }
    if (value instanceof JsonObject o) {
      return "a mapping " + o.encode();
    }
    return value.toString();
  }
}
