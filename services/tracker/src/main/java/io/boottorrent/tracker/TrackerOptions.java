package io.boottorrent.tracker;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.boottorrent.tracker.protocol.TrustedProxies;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The {@code tracker} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param interval seconds between regular announces we ask clients for
 * @param minInterval seconds clients must wait at least between announces
 * @param peerTtlSeconds how long a peer that stopped announcing stays listed
 * @param trustedProxies addresses or CIDR blocks whose requests may name the peer's address
 *     ({@code X-Forwarded-For}, else {@code ip=}); from any other source the source address is the
 *     peer's ({@link TrustedProxies})
 * @param eventLoops verticle instances (each on an event loop of its own) answering on {@code httpPort};
 *     0: one per CPU core ({@link #instances()})
 */
public record TrackerOptions(
    @Port int httpPort,
    @NonBlank String host,
    @Min(1) int interval,
    @Min(1) int minInterval,
    @Min(1) int peerTtlSeconds,
    int defaultNumwant,
    int maxNumwant,
    List<String> trustedProxies,
    @Min(0) int eventLoops) {

  private static final String TRUSTED_PROXIES_KEY = "tracker.trustedProxies";

  public TrackerOptions {
    require(httpPort >= 0 && httpPort <= 65535, "tracker.httpPort must be 0..65535, got " + httpPort);
    require(host != null && !host.isBlank(), "tracker.host must not be empty");
    require(interval >= 1, "tracker.interval must be at least 1, got " + interval);
    require(minInterval >= 1 && minInterval <= interval,
        "tracker.minInterval must be 1..interval (" + interval + "), got " + minInterval);
    require(peerTtlSeconds >= 1, "tracker.peerTtlSeconds must be at least 1, got " + peerTtlSeconds);
    require(maxNumwant >= 0, "tracker.maxNumwant must not be negative, got " + maxNumwant);
    require(defaultNumwant >= 0 && defaultNumwant <= maxNumwant,
        "tracker.defaultNumwant must be 0..maxNumwant (" + maxNumwant + "), got " + defaultNumwant);
    require(eventLoops >= 0, "tracker.eventLoops must not be negative (0: one per CPU core), got " + eventLoops);
    trustedProxies = List.copyOf(trustedProxies);
    TrustedProxies.parse(TRUSTED_PROXIES_KEY, trustedProxies); // fails naming the entry
  }

  /** How many instances answer announces: {@link #eventLoops}, or the CPU cores when it is 0. */
  public int instances() {
    return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
  }

  /** The same options for one more instance on {@code port} (the first one's, when it was 0). */
  TrackerOptions sibling(int port) {
    return new TrackerOptions(port, host, interval, minInterval, peerTtlSeconds, defaultNumwant, maxNumwant,
        trustedProxies, 1);
  }

  /** {@link #trustedProxies} parsed. */
  public TrustedProxies proxies() {
    return TrustedProxies.parse(TRUSTED_PROXIES_KEY, trustedProxies);
  }

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown or ill-typed key
   * @throws IllegalArgumentException for values out of range
   */
  public static TrackerOptions fromSection(JsonObject json) {
    return ConfigRecords.read("tracker", json, TrackerOptions.class);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
