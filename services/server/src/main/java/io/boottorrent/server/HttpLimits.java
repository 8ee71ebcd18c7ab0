package io.boottorrent.server;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.vertx.core.json.JsonObject;

/**
 * The {@code http} section: the limits every HTTP server of the process applies, each server on its
 * own ({@link HttpServers#create}; docs/SECURITY.md "Bounded HTTP servers"). 0 turns a timeout or a
 * connection cap off.
 *
 * @param idleTimeoutSeconds a connection that neither reads nor writes for this long is closed
 * @param headerTimeoutSeconds a connection must send a whole request head (line and headers) this
 *     soon after it opened or after its previous response ended (slowloris), else it is closed
 * @param maxConnections connections a server holds at once; more are closed at accept
 * @param maxConnectionsPerClient the same per remote address
 * @param maxInitialLineBytes longest request line (414 beyond)
 * @param maxHeaderBytes largest request header block (431 beyond)
 * @param maxBodyBytes largest request body (413 beyond)
 */
public record HttpLimits(
    @Max(86_400) int idleTimeoutSeconds,
    @Max(3_600) int headerTimeoutSeconds,
    @Max(1_000_000) int maxConnections,
    @Max(1_000_000) int maxConnectionsPerClient,
    @Min(256) @Max(1 << 20) int maxInitialLineBytes,
    @Min(1024) @Max(1 << 20) int maxHeaderBytes,
    @Min(1024) @Max(1L << 31) long maxBodyBytes) {

  public static HttpLimits fromSection(JsonObject json) {
    return ConfigRecords.read("http", json, HttpLimits.class);
  }

  /** The embedded defaults' {@code http} section (embedded servers and tests that set no limits). */
  public static HttpLimits defaults() {
    return fromSection(BtConfig.defaults().getJsonObject("http"));
  }
}
