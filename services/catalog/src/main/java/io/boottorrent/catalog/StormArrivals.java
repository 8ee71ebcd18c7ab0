package io.boottorrent.catalog;

import java.util.HashMap;
import java.util.Map;

/**
 * The order in which machines are assigned each default image during a storm (catalog.autoStripes):
 * the first machine to ask gets place 1, the next a new machine 2, and so on; a machine asking again
 * keeps its place. A storm of an image ends when no machine was assigned it for {@code windowMs}: the
 * next one starts again at 1. The places give each machine a different nested piece stripe
 * ({@code PieceStripe.nested}), so the machines that boot together ask the seeder for different pieces
 * first, without anyone telling the catalog how many there are. Not thread-safe: the catalog's event
 * loop only.
 */
final class StormArrivals {
  /** Places per storm remembered at most: beyond, every further machine is counted as new. */
  static final int MAX_MACHINES = 100_000;

  private final long windowMs;
  private final Map<String, Storm> storms = new HashMap<>();

  StormArrivals(long windowMs) {
    if (windowMs < 1) {
      throw new IllegalArgumentException("a storm window must be at least 1 ms, got " + windowMs);
    }
    this.windowMs = windowMs;
  }

  /** {@code mac}'s place (1, 2, ...) among the machines assigned {@code image} in its current storm. */
  int place(String image, String mac, long nowMs) {
    Storm storm = storms.get(image);
    if (storm == null || nowMs - storm.lastMs > windowMs) {
      storms.values().removeIf(s -> nowMs - s.lastMs > windowMs); // ended storms of other images too
      storm = new Storm();
      storms.put(image, storm);
    }
    storm.lastMs = nowMs;
    Integer known = storm.places.get(mac);
    if (known != null) {
      return known;
    }
    int place = ++storm.count;
    if (storm.places.size() < MAX_MACHINES) {
      storm.places.put(mac, place);
    }
    return place;
  }

  private static final class Storm {
    final Map<String, Integer> places = new HashMap<>();
    int count;
    long lastMs;
  }
}
