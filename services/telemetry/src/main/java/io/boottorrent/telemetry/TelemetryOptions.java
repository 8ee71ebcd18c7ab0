package io.boottorrent.telemetry;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.boottorrent.server.HttpServers;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code telemetry} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param tlsCert with {@code tlsKey}: serve {@code httpPort} over TLS ({@link #tls()}); empty: plain HTTP
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
 * @param eventMemoryBytes heap the events of the log, the machines' histories and the orphans take
 *     together at most (as {@link TelemetryModel#entryCost} counts it); the oldest are dropped first
 */
public record TelemetryOptions(
    @Port int httpPort,
    @NonBlank String host,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    @Min(1) int stallSeconds,
    @Min(1) int stormWindowSeconds,
    @Min(1) int maxMachines,
    @Min(1) int eventsPerMachine,
    @Min(1) int logCapacity,
    int maxStorms,
    @Min(1) long compactMinBytes,
    boolean journalSync,
    @Min(1) @Max(3600) int sseHeartbeatSeconds,
    @Min(1024) int clientQueueBytes,
    @Min(1_048_576) long eventMemoryBytes) {

  public TelemetryOptions {
    HttpServers.Tls.of("telemetry", tlsCert, tlsKey);
  }

  /** The TLS files, when both {@code tlsCert} and {@code tlsKey} are set. */
  public Optional<HttpServers.Tls> tls() {
    return HttpServers.Tls.of("telemetry", tlsCert, tlsKey);
  }

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown, ill-typed or out-of-range key
   */
  public static TelemetryOptions fromSection(JsonObject json) {
    return ConfigRecords.read("telemetry", json, TelemetryOptions.class);
  }

  /** The model's caps and windows. */
  public TelemetryModel.Limits limits() {
    return new TelemetryModel.Limits(stallSeconds * 1000L, stormWindowSeconds * 1000L, maxMachines,
        eventsPerMachine, logCapacity, maxStorms, eventMemoryBytes);
  }
}
