package io.boottorrent.common;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Environment overrides for the YAML config: every leaf key {@code a.bC.d} may be overridden by
 * {@code BOOTTORRENT_A_BC_D} (upper case, dots become underscores, camel case is just upper-cased).
 * Only keys present in the defaults can be overridden, so a typo in a variable name changes nothing
 * silently — {@link #unknown} reports such variables.
 */
public final class EnvOverrides {
  public static final String PREFIX = "BOOTTORRENT_";
  /** Variables with the prefix that are not config keys: read by bin/boottorrent, logback, the CLI. */
  public static final java.util.Set<String> NOT_CONFIG = java.util.Set.of(
      "BOOTTORRENT_JAVA_OPTS", "BOOTTORRENT_JAR", "BOOTTORRENT_LOG_LEVEL", "BOOTTORRENT_CATALOG_URL");

  private EnvOverrides() {}

  /** Returns a copy of {@code config} with matching variables of {@code env} applied. */
  public static JsonObject apply(JsonObject config, Map<String, String> env) {
    JsonObject copy = config.copy();
    walk(copy, PREFIX, env);
    return copy;
  }

  private static void walk(JsonObject node, String prefix, Map<String, String> env) {
    for (String key : node.fieldNames().toArray(new String[0])) {
      Object value = node.getValue(key);
      String name = prefix + key.toUpperCase().replace('-', '_');
      if (value instanceof JsonObject child) {
        walk(child, name + "_", env);
      } else if (env.containsKey(name)) {
        node.put(key, convert(env.get(name), value));
      }
    }
  }

  private static Object convert(String raw, Object like) {
    if (like instanceof Boolean) {
      return Boolean.parseBoolean(raw.trim());
    }
    if (like instanceof Integer) {
      return Integer.parseInt(raw.trim());
    }
    if (like instanceof Long) {
      return Long.parseLong(raw.trim());
    }
    if (like instanceof Double || like instanceof Float) {
      return Double.parseDouble(raw.trim());
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
  public static java.util.List<String> unknown(JsonObject config, Map<String, String> env) {
    java.util.Set<String> known = new java.util.HashSet<>();
    collect(config, PREFIX, known);
    return env.keySet().stream()
        .filter(k -> k.startsWith(PREFIX) && !known.contains(k) && !NOT_CONFIG.contains(k))
        .sorted()
        .toList();
  }

  private static void collect(JsonObject node, String prefix, java.util.Set<String> out) {
    for (String key : node.fieldNames()) {
      Object value = node.getValue(key);
      String name = prefix + key.toUpperCase().replace('-', '_');
      if (value instanceof JsonObject child) {
        collect(child, name + "_", out);
      } else {
        out.add(name);
      }
    }
  }
}
