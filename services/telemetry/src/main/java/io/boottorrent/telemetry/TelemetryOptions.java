package io.boottorrent.telemetry;

import io.boottorrent.core.config.ConfigSection;
import io.vertx.core.json.JsonObject;

/**
 * The {@code telemetry} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param stallSeconds a machine with no event for this long, neither failed nor launched, is stalled
 * @param stormWindowSeconds downloads of one image that start within this many seconds of the first
 *     are one boot storm
 * @param maxMachines machines tracked; the least recently seen is forgotten first
 * @param eventsPerMachine events kept per machine (its ring)
 * @param logCapacity events kept in the global ring ({@code GET /api/v1/events})
 * @param maxStorms finished storms kept; the oldest is dropped first
 * @param compactMinBytes the journal is compacted once larger than this and than twice its size
 *     after the last compaction
 * @param journalSync force each group commit of the journal to disk
 * @param sseHeartbeatSeconds a comment line on every Server-Sent-Events stream this often
 * @param clientQueueBytes an SSE or bridge client with this many bytes queued unread is dropped
 */
public record TelemetryOptions(
    int httpPort,
    String host,
    int stallSeconds,
    int stormWindowSeconds,
    int maxMachines,
    int eventsPerMachine,
    int logCapacity,
    int maxStorms,
    long compactMinBytes,
    boolean journalSync,
    int sseHeartbeatSeconds,
    int clientQueueBytes) {

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown, ill-typed or out-of-range key
   */
  public static TelemetryOptions fromSection(JsonObject json) {
    return ConfigSection.read("telemetry", json, s -> new TelemetryOptions(
        s.port("httpPort"),
        s.nonBlank("host"),
        s.integer("stallSeconds", 1, Integer.MAX_VALUE),
        s.integer("stormWindowSeconds", 1, Integer.MAX_VALUE),
        s.integer("maxMachines", 1, Integer.MAX_VALUE),
        s.integer("eventsPerMachine", 1, Integer.MAX_VALUE),
        s.integer("logCapacity", 1, Integer.MAX_VALUE),
        s.integer("maxStorms", 0, Integer.MAX_VALUE),
        s.longValue("compactMinBytes", 1, Long.MAX_VALUE),
        s.bool("journalSync"),
        s.integer("sseHeartbeatSeconds", 1, 3600),
        s.integer("clientQueueBytes", 1024, Integer.MAX_VALUE)));
  }

  /** The model's caps and windows. */
  public TelemetryModel.Limits limits() {
    return new TelemetryModel.Limits(stallSeconds * 1000L, stormWindowSeconds * 1000L, maxMachines,
        eventsPerMachine, logCapacity, maxStorms);
  }
}
