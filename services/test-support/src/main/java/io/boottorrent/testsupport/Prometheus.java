package io.boottorrent.testsupport;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** A Prometheus text scrape as the tests read it: {@code name{labels}} → value. */
public final class Prometheus {
  private Prometheus() {}

  public static Map<String, Double> parse(String text) {
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

  /** The value of one series, or -1 when the scrape does not have it (a counter never is -1). */
  public static double value(Map<String, Double> samples, String series) {
    return samples.getOrDefault(series, -1.0);
  }

  /** The sum over every series of a metric name (all label values). */
  public static double sum(Map<String, Double> samples, String name) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  /**
   * Scrapes until the {@code expected} series have their values (meters move a little after the
   * traffic that moves them: a reply counted once sent), for up to {@code timeout}; returns what the
   * last scrape had of them, to compare with {@code expected}.
   */
  public static Map<String, Double> await(Supplier<String> scrape, Map<String, Double> expected, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<String, Double> samples = parse(scrape.get());
      Map<String, Double> seen = expected.keySet().stream()
          .collect(Collectors.toMap(k -> k, k -> value(samples, k), (a, b) -> a, TreeMap::new));
      if (seen.equals(expected) || System.nanoTime() > deadline) {
        return seen;
      }
      Thread.sleep(20);
    }
  }
}
