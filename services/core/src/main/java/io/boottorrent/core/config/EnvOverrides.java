package io.boottorrent.core.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Environment overrides for the YAML config: every leaf key {@code a.bC.d} may be overridden by
 * {@code BOOTTORRENT_A_BC_D} (upper case, dots become underscores, camel case is just upper-cased).
 * Only keys present in the tree can be overridden, so a typo in a variable name changes nothing
 * silently — {@link #unknown} reports such variables. A value is converted to the type of the key's
 * current value; one that does not convert is a {@link ConfigException} naming the variable.
 */
public final class EnvOverrides {
  public static final String PREFIX = "BOOTTORRENT_";
  /** Variables with the prefix that are not config keys: read by bin/boottorrent, logback, the CLI. */
  public static final Set<String> NOT_CONFIG = Set.of(
      "BOOTTORRENT_JAVA_OPTS", "BOOTTORRENT_JAR", "BOOTTORRENT_LOG_LEVEL", "BOOTTORRENT_CATALOG_URL",
      "BOOTTORRENT_E2E", "BOOTTORRENT_KERNEL_CACHE", "BOOTTORRENT_TELEMETRY_URL");

  private EnvOverrides() {}

  /** The variable that overrides the dotted key {@code key}: {@code seeder.id} → {@code BOOTTORRENT_SEEDER_ID}. */
  public static String variableOf(String key) {
    return PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }

  /** Returns a copy of {@code config} with matching variables of {@code env} applied. */
  public static JsonObject apply(JsonObject config, Map<String, String> env) {
    JsonObject copy = config.copy();
    walk(copy, "", env);
    return copy;
  }

  private static void walk(JsonObject node, String path, Map<String, String> env) {
    for (String key : node.fieldNames().toArray(new String[0])) {
      Object value = node.getValue(key);
      String dotted = path.isEmpty() ? key : path + "." + key;
      if (value instanceof JsonObject child) {
        walk(child, dotted, env);
      } else {
        String variable = variableOf(dotted);
        if (env.containsKey(variable)) {
          node.put(key, convert(variable, dotted, env.get(variable), value));
        }
      }
    }
  }

  private static Object convert(String variable, String key, String raw, Object like) {
    String text = raw.trim();
    try {
      if (like instanceof Boolean) {
        if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
          throw new IllegalArgumentException("expected true or false");
        }
        return Boolean.parseBoolean(text);
      }
      if (like instanceof Integer || like instanceof Long) {
        long v = Long.parseLong(text);
        return v == (int) v ? (Object) (int) v : (Object) v;
      }
      if (like instanceof Double || like instanceof Float) {
        return Double.parseDouble(text);
      }
    } catch (IllegalArgumentException e) {
      String expected = like instanceof Boolean ? "true or false" : "a number";
      throw new ConfigException(key, "expected " + expected + " from " + variable + ", got \"" + raw + "\"");
    }
    if (like instanceof JsonArray) {
      JsonArray array = new JsonArray();
      for (String part : raw.split(",")) {
        if (!part.isBlank()) {
          array.add(part.trim());
        }
      }
      return array;
    }
    return raw;
  }

  /** Variables with the prefix that match no config key: worth a warning at start-up. */
  public static List<String> unknown(JsonObject config, Map<String, String> env) {
    Set<String> known = new HashSet<>();
    collect(config, "", known);
    return env.keySet().stream()
        .filter(k -> k.startsWith(PREFIX) && !known.contains(k) && !NOT_CONFIG.contains(k))
        .sorted()
        .toList();
  }

  private static void collect(JsonObject node, String path, Set<String> out) {
    for (String key : node.fieldNames()) {
      Object value = node.getValue(key);
      String dotted = path.isEmpty() ? key : path + "." + key;
      if (value instanceof JsonObject child) {
        collect(child, dotted, out);
      } else {
        out.add(variableOf(dotted));
      }
    }
  }
}
