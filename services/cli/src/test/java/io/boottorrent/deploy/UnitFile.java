package io.boottorrent.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A systemd unit file as far as {@link InstallScriptIT} reads it: sections of {@code key=value}
 * lines (comments dropped, {@code \}-continued lines joined), with the specifiers our units use
 * ({@code %i %I %n %N %p %l %H %%}) expanded for one instance, as systemd would. A specifier it does
 * not know fails, so a unit cannot use one the test would pass through unexpanded.
 */
record UnitFile(String name, Map<String, Map<String, List<String>>> sections) {

  /** {@code file} (a unit or a template) as unit {@code name}, e.g. {@code boottorrent-seeder@2.service}. */
  static UnitFile read(Path file, String name, String hostname) throws IOException {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> section = null;
    String pending = null;
    for (String raw : Files.readAllLines(file)) {
      String line = pending == null ? raw.strip() : pending + " " + raw.strip();
      pending = null;
      if (line.endsWith("\\")) {
        pending = line.substring(0, line.length() - 1).strip();
        continue;
      }
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        section = sections.computeIfAbsent(line.substring(1, line.length() - 1), k -> new LinkedHashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      if (section == null || eq < 1) {
        throw new IllegalArgumentException(file + ": not a key=value line in a section: " + raw);
      }
      String key = line.substring(0, eq).strip();
      String value = expand(line.substring(eq + 1).strip(), name, hostname, file);
      section.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return new UnitFile(name, sections);
  }

  private static String expand(String value, String name, String hostname, Path file) {
    String stem = name.substring(0, name.lastIndexOf('.'));
    int at = stem.indexOf('@');
    String prefix = at < 0 ? stem : stem.substring(0, at);
    String instance = at < 0 ? "" : stem.substring(at + 1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      if (++i == value.length()) {
        throw new IllegalArgumentException(file + ": a lone % at the end of: " + value);
      }
      char s = value.charAt(i);
      out.append(switch (s) {
        case '%' -> "%";
        case 'i', 'I' -> instance;
        case 'n' -> name;
        case 'N' -> stem;
        case 'p' -> prefix;
        case 'H' -> hostname;
        case 'l' -> hostname.split("\\.", 2)[0];
        default -> throw new IllegalArgumentException(file + ": specifier %" + s + " unknown to this test: " + value);
      });
    }
    return out.toString();
  }

  /** Every value of {@code key} in {@code [section]}, in order (a key may repeat). */
  List<String> all(String section, String key) {
    return sections.getOrDefault(section, Map.of()).getOrDefault(key, List.of());
  }

  /** The last value of {@code key} in {@code [section]} (later assignments win, as in systemd). */
  Optional<String> get(String section, String key) {
    List<String> values = all(section, key);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
  }

  String service(String key) {
    return get("Service", key).orElseThrow(() -> new AssertionError(name + " has no " + key + "="));
  }

  /** ExecStart split into words (our units quote nothing in it). */
  List<String> execStart() {
    String command = service("ExecStart");
    if (command.contains("\"") || command.contains("'")) {
      throw new IllegalArgumentException(name + ": quoting in ExecStart is not supported by this test: " + command);
    }
    return List.of(command.split("\\s+"));
  }

  /** Environment= assignments in order: space-separated, a double-quoted one may hold spaces. */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : all("Service", "Environment")) {
      List<String> words = new ArrayList<>();
      StringBuilder word = new StringBuilder();
      boolean quoted = false;
      for (char c : line.toCharArray()) {
        if (c == '"') {
          quoted = !quoted;
        } else if (Character.isWhitespace(c) && !quoted) {
          if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
          }
        } else {
          word.append(c);
        }
      }
      if (!word.isEmpty()) {
        words.add(word.toString());
      }
      for (String w : words) {
        int eq = w.indexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException(name + ": not an assignment in Environment=: " + w);
        }
        env.put(w.substring(0, eq), w.substring(eq + 1));
      }
    }
    return env;
  }

  /** Space-separated words of a list setting (Conflicts=, StateDirectory=, …) over all its lines. */
  List<String> words(String section, String key) {
    List<String> words = new ArrayList<>();
    for (String line : all(section, key)) {
      for (String w : line.split("\\s+")) {
        if (!w.isEmpty()) {
          words.add(w);
        }
      }
    }
    return words;
  }
}
