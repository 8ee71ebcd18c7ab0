package io.boottorrent.server.auth;

import io.boottorrent.core.config.ConfigRecords;
import io.vertx.core.json.JsonObject;

/**
 * The {@code auth} section of the config (defaults in {@code boottorrent-defaults.yaml}), shared by
 * every service that serves an API: the process assembly reads it once and hands it to each.
 *
 * @param openReads true: the reads beyond what booting machines need (the catalog's image list,
 *     policy and stats) need no token; false: they need a {@code viewer} token.
 *     Writes always need a token, and what booting machines read is always open.
 */
public record AuthOptions(boolean openReads) {
  public static AuthOptions fromSection(JsonObject json) {
    return ConfigRecords.read("auth", json, AuthOptions.class);
  }
}
