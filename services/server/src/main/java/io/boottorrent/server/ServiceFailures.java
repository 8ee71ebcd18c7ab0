package io.boottorrent.server;

import io.boottorrent.core.StateFiles;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What {@link HealthServer} says about services that did not start (a corrupt state file they cannot
 * start without: docs/SECURITY.md "Corrupt state files") and about the corrupt state files the services
 * set aside ({@link StateFiles#report}); and the two gauges that count them
 * ({@code boottorrent_services_failed}, {@code boottorrent_state_files_set_aside}).
 */
final class ServiceFailures {
  private final Map<String, String> failed = new ConcurrentSkipListMap<>();

  void fail(String service, String reason) {
    failed.put(service, reason);
  }

  boolean isFailed(String service) {
    return failed.containsKey(service);
  }

  /** {@code failed: {service: why}} and {@code setAside: ["file: problem; set aside as …"]}, each when not empty. */
  JsonObject detail(Vertx vertx) {
    JsonObject data = new JsonObject();
    if (!failed.isEmpty()) {
      data.put("failed", new JsonObject(Map.copyOf(failed)));
    }
    var files = StateFiles.reports(vertx).files();
    if (!files.isEmpty()) {
      data.put("setAside", new JsonArray(files.stream().map(f -> f.service() + ": " + f.describe()).toList()));
    }
    return data;
  }

  void registerMeters(Vertx vertx) {
    StateFiles.Reports reports = StateFiles.reports(vertx);
    Gauge.builder("boottorrent_services_failed", failed, Map::size)
        .description("Services of this process that did not start (see /readiness for why)")
        .register(Meters.registry(vertx));
    Gauge.builder("boottorrent_state_files_set_aside", reports, r -> r.files().size())
        .description("Corrupt state files the services of this process set aside at start")
        .register(Meters.registry(vertx));
  }
}
