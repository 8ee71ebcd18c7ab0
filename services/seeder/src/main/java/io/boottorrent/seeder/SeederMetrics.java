package io.boottorrent.seeder;

import io.boottorrent.proto.TorrentStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The seeder's meters (docs/METRICS.md), in the process's registry: payload bytes uploaded per image,
 * from the growth of each torrent's {@code total_uploaded} between two statuses (so they move every
 * {@code seeder.statusIntervalMs}), and the torrents seeded. {@link #observe} runs on the verticle's
 * event loop.
 */
final class SeederMetrics {
  /** Where {@code io.boottorrent.server.Meters} leaves the process's registry (not a dependency here). */
  private static final String SHARED_MAP = "boottorrent.metrics";
  private static final String REGISTRY_KEY = "registry";

  private final MeterRegistry registry;
  private final Gauge torrents;
  /** info-hash -> total_uploaded at the last status (event-loop confined). */
  private final Map<String, Long> lastUploaded = new HashMap<>();

  SeederMetrics(MeterRegistry registry, IntSupplier torrentCount) {
    this.registry = registry;
    torrents = Gauge.builder("boottorrent.seeder.torrents", torrentCount, IntSupplier::getAsInt)
        .description("Torrents in this seeder's session (one per catalog image)").strongReference(true)
        .register(registry);
  }

  /** The meters of the process that runs on {@code vertx}. */
  static SeederMetrics of(Vertx vertx, IntSupplier torrentCount) {
    return new SeederMetrics(processRegistry(vertx), torrentCount);
  }

  /**
   * The registry {@code ServerVertx.start} made for this Vert.x instance; on any other Vert.x (tests,
   * embedded use) a registry nobody reads.
   */
  static MeterRegistry processRegistry(Vertx vertx) {
    Object shared = vertx.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    return shared instanceof MeterRegistry process ? process : new SimpleMeterRegistry();
  }

  /**
   * A fresh status of every torrent: what each uploaded since the last one is added to its image's
   * counter. A torrent seen for the first time counts from 0; one that is gone is forgotten (re-added,
   * it starts again from 0).
   */
  void observe(List<TorrentStatus> statuses) {
    Set<String> present = new HashSet<>();
    for (TorrentStatus torrent : statuses) {
      present.add(torrent.getInfoHash());
      long total = torrent.getTotalUploaded();
      Long before = lastUploaded.put(torrent.getInfoHash(), total);
      long delta = before == null || total < before ? total : total - before;
      // registered at the first status that lists the image, so that its series starts at 0
      Counter.builder("boottorrent.seeder.uploaded").baseUnit("bytes")
          .description("Payload bytes this seeder uploaded, by image (sampled at each status)")
          .tag("image", torrent.getName()).register(registry).increment(delta);
    }
    lastUploaded.keySet().retainAll(present);
  }

  /** Unregisters the gauge, which reads this verticle's session (verticle stop). */
  void close() {
    registry.remove(torrents);
  }
}
