package io.boottorrent.it;

import java.util.Map;
import java.util.TreeMap;

/** The samples of a Prometheus text scrape, {@code name{labels}} → value, for the tests' checks. */
final class Prometheus {
  private Prometheus() {}

  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  /** The value of one series, or 0 when the scrape does not have it. */
  static double value(Map<String, Double> samples, String series) {
    return samples.getOrDefault(series, 0.0);
  }

  /** The sum over every series of a metric name (all label values). */
  static double sum(Map<String, Double> samples, String name) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
        .mapToDouble(Map.Entry::getValue).sum();
  }
}
