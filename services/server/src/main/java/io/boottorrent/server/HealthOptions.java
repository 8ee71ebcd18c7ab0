package io.boottorrent.server;

import io.boottorrent.core.config.ConfigSection;
import io.vertx.core.json.JsonObject;

/**
 * The {@code health} section: where this process serves {@code /health} and {@code /readiness}.
 *
 * @param port -1 disables the endpoint, 0 picks a free port
 */
public record HealthOptions(int port, String host) {
  public static HealthOptions fromSection(JsonObject json) {
    return ConfigSection.read("health", json, s -> new HealthOptions(s.integer("port", -1, 65_535), s.nonBlank("host")));
  }

  public boolean enabled() {
    return port >= 0;
  }
}
