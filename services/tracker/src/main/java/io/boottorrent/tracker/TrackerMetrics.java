package io.boottorrent.tracker;

import io.boottorrent.core.InfoHash;
import io.boottorrent.tracker.protocol.AnnounceRequest.Event;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The tracker's meters (docs/METRICS.md), in the process's registry: requests by kind and the size of
 * the swarms. The swarm gauges read this tracker's view: each swarm's counts as of the last announce
 * this tracker answered for it, dropped once no announce came for a peer TTL (its peers have all
 * expired by then). With the swarms in the cluster-wide map, trackers behind one address each see the
 * swarms they were asked about: take the max over trackers, not the sum.
 */
final class TrackerMetrics {
  static final String MALFORMED = "malformed";
  static final String INTERNAL_ERROR = "internal_error";
  static final String NOT_IN_CATALOG = "not_in_catalog";
  static final String CATALOG_NOT_HEARD = "catalog_not_heard";

  private final MeterRegistry registry;
  private final Map<Event, Counter> announces = new EnumMap<>(Event.class);
  private final Counter scrapes;
  private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
  private final Map<InfoHash, Seen> swarms = new ConcurrentHashMap<>();
  private final long ttlMillis;
  private final LongSupplier clock;
  private final List<Meter> gauges = new ArrayList<>();

  private record Seen(int seeders, int leechers, long at) {}

  TrackerMetrics(MeterRegistry registry, Duration peerTtl, LongSupplier clock) {
    this.registry = registry;
    this.ttlMillis = peerTtl.toMillis();
    this.clock = clock;
    for (Event event : Event.values()) {
      announces.put(event, Counter.builder("boottorrent.tracker.announces")
          .description("Announces answered, by event (none: a regular re-announce)")
          .tag("event", event.name().toLowerCase(Locale.ROOT)).register(registry));
    }
    scrapes = Counter.builder("boottorrent.tracker.scrapes").description("Scrapes answered").register(registry);
    for (String request : new String[] {"announce", "scrape"}) {
      for (String reason : new String[] {MALFORMED, INTERNAL_ERROR, NOT_IN_CATALOG, CATALOG_NOT_HEARD}) {
        refusal(request, reason);
      }
    }
    gauges.add(Gauge.builder("boottorrent.tracker.peers", this, m -> m.peers(true))
        .description("Live peers over all swarms this tracker answered for, by state").tag("state", "seeder")
        .strongReference(true).register(registry));
    gauges.add(Gauge.builder("boottorrent.tracker.peers", this, m -> m.peers(false))
        .description("Live peers over all swarms this tracker answered for, by state").tag("state", "leecher")
        .strongReference(true).register(registry));
    gauges.add(Gauge.builder("boottorrent.tracker.swarms", this, TrackerMetrics::swarmCount)
        .description("Swarms with live peers this tracker answered for").strongReference(true).register(registry));
  }

  /** An announce answered; {@code swarm} is the swarm as the answer reports it. */
  void announced(Event event, InfoHash infoHash, SwarmSnapshot swarm) {
    announces.get(event).increment();
    if (swarm.size() == 0) {
      swarms.remove(infoHash);
    } else {
      swarms.put(infoHash, new Seen(swarm.complete(), swarm.incomplete(), clock.getAsLong()));
    }
  }

  /** A swarm dropped because its image left the catalog: no longer in the gauges. */
  void dropped(InfoHash infoHash) {
    swarms.remove(infoHash);
  }

  void scraped() {
    scrapes.increment();
  }

  /**
   * A request answered with a bencoded failure: {@link #MALFORMED}, {@link #INTERNAL_ERROR},
   * {@link #NOT_IN_CATALOG} or {@link #CATALOG_NOT_HEARD}.
   */
  void refused(String request, String reason) {
    refusal(request, reason).increment();
  }

  /** Unregisters the swarm gauges, which read this verticle's view (verticle stop). */
  void close() {
    gauges.forEach(registry::remove);
  }

  private Counter refusal(String request, String reason) {
    return refusals.computeIfAbsent(request + " " + reason, k -> Counter.builder("boottorrent.tracker.refusals")
        .description("Requests answered with a bencoded failure reason: malformed (refused) or internal_error")
        .tag("request", request).tag("reason", reason).register(registry));
  }

  private double peers(boolean seeders) {
    long now = clock.getAsLong();
    long sum = 0;
    for (Map.Entry<InfoHash, Seen> entry : swarms.entrySet()) {
      Seen seen = entry.getValue();
      if (now - seen.at() >= ttlMillis) {
        swarms.remove(entry.getKey(), seen);
      } else {
        sum += seeders ? seen.seeders() : seen.leechers();
      }
    }
    return sum;
  }

  private double swarmCount() {
    long now = clock.getAsLong();
    swarms.values().removeIf(seen -> now - seen.at() >= ttlMillis);
    return swarms.size();
  }
}
