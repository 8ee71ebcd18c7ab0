package io.boottorrent.telemetry;

import java.util.Arrays;

/** Nearest-rank percentiles: the smallest value with at least p% of the values at or below it. */
public final class Percentiles {
  private Percentiles() {}

  /** The {@code p}th percentile (0 < p <= 100) of {@code values}; -1 when there are none. */
  public static long nearestRank(long[] values, double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
    }
    if (values.length == 0) {
      return -1;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }
}
