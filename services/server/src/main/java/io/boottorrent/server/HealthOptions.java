package io.boottorrent.server;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.vertx.core.json.JsonObject;

/**
 * The {@code health} section: where this process serves {@code /health} and {@code /readiness}, and
 * when they say DOWN.
 *
 * @param port -1 disables the endpoint, 0 picks a free port
 * @param maxHeapAfterGcPercent DOWN while the heap in use after the last garbage collection is above
 *     this share of the largest heap
 * @param eventLoopProbeMs how often a probe task runs on each of the services' event loops
 * @param eventLoopBlockedMs DOWN while an event loop has not run its probe for this long
 */
public record HealthOptions(
    @Min(-1) @Max(65_535) int port,
    @NonBlank String host,
    @Min(1) @Max(100) int maxHeapAfterGcPercent,
    @Min(10) int eventLoopProbeMs,
    @Min(1) int eventLoopBlockedMs) {
  public static HealthOptions fromSection(JsonObject json) {
    return ConfigRecords.read("health", json, HealthOptions.class);
  }

  public boolean enabled() {
    return port >= 0;
  }
}
