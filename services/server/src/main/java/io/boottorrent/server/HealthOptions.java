package io.boottorrent.server;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.vertx.core.json.JsonObject;

/**
 * The {@code health} section: where this process serves {@code /health} and {@code /readiness}.
 *
 * @param port -1 disables the endpoint, 0 picks a free port
 */
public record HealthOptions(
    @Min(-1) @Max(65_535) int port,
    @NonBlank String host) {
  public static HealthOptions fromSection(JsonObject json) {
    return ConfigRecords.read("health", json, HealthOptions.class);
  }

  public boolean enabled() {
    return port >= 0;
  }
}
