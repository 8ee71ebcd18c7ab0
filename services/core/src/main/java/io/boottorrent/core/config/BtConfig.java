package io.boottorrent.core.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The config tree of a BootTorrent process: the embedded defaults ({@value #DEFAULTS_RESOURCE}, the one
 * place where every key and its default are written), deep-merged with the operator's YAML file, then
 * environment overrides ({@link EnvOverrides}).
 *
 * <p>The tree is read once where the process is assembled: each service's options class reads its
 * own section ({@code XOptions.fromSection}), {@link ProcessOptions} the shared top-level keys.
 */
public final class BtConfig {
  public static final String DEFAULTS_RESOURCE = "/boottorrent-defaults.yaml";

  private BtConfig() {}

  /** A fresh copy of the embedded defaults. */
  public static JsonObject defaults() {
    try (InputStream in = BtConfig.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " missing from the classpath");
      }
      return parseYaml(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULTS_RESOURCE);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Loads defaults + optional file + environment. Blocking (reads a file): call off the event loop.
   *
   * @throws ConfigException for a top-level key the defaults do not have, or an environment value
   *     of the wrong type
   */
  public static JsonObject load(Path file, Map<String, String> env) {
    JsonObject config = defaults();
    if (file != null) {
      String text;
      try {
        text = Files.readString(file);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
      }
      JsonObject operator = parseYaml(text, file.toString());
      for (String key : operator.fieldNames()) {
        if (!config.containsKey(key)) {
          throw new ConfigException(key, "not a config key (in " + file + "); known: "
              + String.join(", ", new TreeSet<>(config.fieldNames())));
        }
      }
      config = merge(config, operator);
    }
    return EnvOverrides.apply(config, env);
  }

  /**
   * Plain YAML (maps, lists, scalars) to JSON. What {@code new Yaml(new SafeConstructor(…)).load(text)}
   * does, without the {@code Yaml} facade: its representer's {@code PropertyUtils} loads
   * {@code java.beans}, and the client image's Java runtime leaves {@code java.desktop} out.
   */
  public static JsonObject parseYaml(String text, String origin) {
    Object root;
    try {
      LoaderOptions options = new LoaderOptions();
      SafeConstructor constructor = new SafeConstructor(options);
      constructor.setComposer(new Composer(new ParserImpl(new StreamReader(text), options), new Resolver(), options));
      root = constructor.getSingleData(Object.class);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid YAML in " + origin + ": " + e.getMessage(), e);
    }
    if (root == null) {
      return new JsonObject();
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(origin + ": top level must be a mapping");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> typed = (Map<String, Object>) map;
    return new JsonObject(typed).copy();
  }

  /** Deep merge: objects merge key by key, anything else in {@code over} replaces {@code base}. */
  public static JsonObject merge(JsonObject base, JsonObject over) {
    JsonObject out = base.copy();
    for (String key : over.fieldNames()) {
      Object value = over.getValue(key);
      if (value instanceof JsonObject child && out.getValue(key) instanceof JsonObject existing) {
        out.put(key, merge(existing, child));
      } else {
        out.put(key, value);
      }
    }
    return out;
  }

  /** The section {@code name} of a tree, as a strict reader. */
  public static ConfigSection section(JsonObject tree, String name) {
    Object value = tree.getValue(name);
    if (!(value instanceof JsonObject section)) {
      throw new ConfigException(name, "expected a mapping, got " + ConfigSection.describe(value));
    }
    return ConfigSection.of(name, section);
  }
}
