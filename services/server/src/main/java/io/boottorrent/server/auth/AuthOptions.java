package io.boottorrent.server.auth;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.vertx.core.json.JsonObject;

/**
 * The {@code auth} section of the config (defaults in {@code boottorrent-defaults.yaml}), shared by
 * every service that serves an API: the process assembly reads it once and hands it to each.
 *
 * @param openReads true: the reads beyond what booting machines need (the catalog's image list,
 *     policy and stats) need no token; false: they need a {@code viewer} token.
 *     Writes always need a token, and what booting machines read is always open.
 * @param tokenCheckCacheSeconds how long a service without a token store (telemetry) keeps the
 *     catalog's answer for a token ({@link BusTokenVerifier}); a revoked token works there this long at most
 * @param ticketSeconds how long a ticket for the event stream or the bridge ({@link StreamTickets}) is valid
 */
public record AuthOptions(boolean openReads, @Min(0) @Max(3600) int tokenCheckCacheSeconds,
    @Min(1) @Max(3600) int ticketSeconds) {

  public static AuthOptions fromSection(JsonObject json) {
    return ConfigRecords.read("auth", json, AuthOptions.class);
  }
}
