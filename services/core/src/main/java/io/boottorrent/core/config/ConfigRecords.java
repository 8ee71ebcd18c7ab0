package io.boottorrent.core.config;

import io.vertx.core.json.JsonObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads a config section into a record whose components are the section's keys, by name and in
 * order, so the code cannot name a key the YAML spells otherwise. Each component's type says how
 * its key is read, through {@link ConfigSection} (same checks, same messages):
 *
 * <ul>
 *   <li>{@code int}, {@code long}: a whole number from {@link Min} (default 0: no negative sizes,
 *       counts or times) to {@link Max} (default: the type's largest); {@link Port}: 0..65535
 *   <li>{@code boolean}; {@code String} (empty allowed unless {@link NonBlank}); an enum (its
 *       constants in any case)
 *   <li>{@code Optional<Path>} (empty: none), {@code List<Path>}, {@code List<String>}
 * </ul>
 *
 * <p>A section with keys of other shapes (pools, reservations, a URL checked on its own) keeps a
 * hand-written {@code fromSection} over {@link ConfigSection#read}.
 */
public final class ConfigRecords {
  private ConfigRecords() {
  }

  /**
   * Section {@code name} as a {@code type}: every component's key read and checked, then any other
   * key refused ({@link ConfigSection#done()}), then the record's own constructor checks.
   *
   * @throws ConfigException for a missing, unknown, ill-typed or out-of-range key
   * @throws IllegalArgumentException what the record's constructor throws
   */
  public static <R extends Record> R read(String name, JsonObject json, Class<R> type) {
    return ConfigSection.read(name, json, section -> construct(type, section));
  }

  private static <R extends Record> R construct(Class<R> type, ConfigSection section) {
    RecordComponent[] components = type.getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      values[i] = value(section, components[i]);
      types[i] = components[i].getType();
    }
    Constructor<R> constructor;
    try {
      constructor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type.getName() + " has no canonical constructor", e);
    }
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure; // the record's own range checks, with their messages
      }
      throw new IllegalStateException(type.getName() + " refused its config", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type.getName() + " cannot be built from its config section", e);
    }
  }

  private static Object value(ConfigSection section, RecordComponent component) {
    String key = component.getName();
    Class<?> type = component.getType();
    if (component.isAnnotationPresent(Port.class)) {
      return section.port(key);
    }
    if (type == int.class) {
      return section.integer(key, (int) min(component), (int) max(component, Integer.MAX_VALUE));
    }
    if (type == long.class) {
      return section.longValue(key, min(component), max(component, Long.MAX_VALUE));
    }
    if (type == boolean.class) {
      return section.bool(key);
    }
    if (type == String.class) {
      return component.isAnnotationPresent(NonBlank.class) ? section.nonBlank(key) : section.string(key);
    }
    if (type.isEnum()) {
      return enumValue(section, key, type.asSubclass(Enum.class));
    }
    Type element = elementType(component);
    if (type == Optional.class && element == Path.class) {
      return section.optionalPath(key);
    }
    if (type == List.class && element == Path.class) {
      return section.paths(key);
    }
    if (type == List.class && element == String.class) {
      return section.strings(key);
    }
    throw new IllegalStateException("config key " + section.keyOf(key) + ": no reader for "
        + component.getGenericType().getTypeName() + " (" + component.getDeclaringRecord().getName() + ")");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object enumValue(ConfigSection section, String key, Class<? extends Enum> type) {
    return section.enumValue(key, (Class) type);
  }

  private static long min(RecordComponent component) {
    Min min = component.getAnnotation(Min.class);
    return min == null ? 0 : min.value();
  }

  private static long max(RecordComponent component, long largest) {
    Max max = component.getAnnotation(Max.class);
    return max == null ? largest : max.value();
  }

  private static Type elementType(RecordComponent component) {
    return component.getGenericType() instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : null;
  }
}
