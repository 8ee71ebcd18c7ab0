package io.boottorrent.tracker;

import io.vertx.core.json.JsonObject;

/**
 * The {@code tracker:} section of the config (see {@code boottorrent-defaults.yaml}). Missing keys
 * take the {@code DEFAULT_*} values, which match the embedded defaults.
 *
 * @param interval seconds between regular announces we ask clients for
 * @param minInterval seconds clients must wait at least between announces
 * @param peerTtlSeconds how long a peer that stopped announcing stays listed
 */
public record TrackerOptions(
    int httpPort, String host, int interval, int minInterval, int peerTtlSeconds, int defaultNumwant, int maxNumwant) {

  public static final int DEFAULT_HTTP_PORT = 6969;
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_INTERVAL = 30;
  public static final int DEFAULT_MIN_INTERVAL = 5;
  public static final int DEFAULT_PEER_TTL_SECONDS = 120;
  public static final int DEFAULT_NUMWANT = 50;
  public static final int DEFAULT_MAX_NUMWANT = 200;

  public TrackerOptions {
    require(httpPort >= 0 && httpPort <= 65535, "tracker.httpPort must be 0..65535");
    require(host != null && !host.isBlank(), "tracker.host must not be empty");
    require(interval >= 1, "tracker.interval must be at least 1");
    require(minInterval >= 1 && minInterval <= interval, "tracker.minInterval must be 1..interval");
    require(peerTtlSeconds >= 1, "tracker.peerTtlSeconds must be at least 1");
    require(maxNumwant >= 0, "tracker.maxNumwant must not be negative");
    require(defaultNumwant >= 0 && defaultNumwant <= maxNumwant, "tracker.defaultNumwant must be 0..maxNumwant");
  }

  /** @throws IllegalArgumentException for out-of-range values or values of the wrong type */
  public static TrackerOptions fromJson(JsonObject json) {
    try {
      return new TrackerOptions(
          json.getInteger("httpPort", DEFAULT_HTTP_PORT),
          json.getString("host", DEFAULT_HOST),
          json.getInteger("interval", DEFAULT_INTERVAL),
          json.getInteger("minInterval", DEFAULT_MIN_INTERVAL),
          json.getInteger("peerTtlSeconds", DEFAULT_PEER_TTL_SECONDS),
          json.getInteger("defaultNumwant", DEFAULT_NUMWANT),
          json.getInteger("maxNumwant", DEFAULT_MAX_NUMWANT));
    } catch (ClassCastException wrongType) {
      throw new IllegalArgumentException("tracker section: " + wrongType.getMessage(), wrongType);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("httpPort", httpPort)
        .put("host", host)
        .put("interval", interval)
        .put("minInterval", minInterval)
        .put("peerTtlSeconds", peerTtlSeconds)
        .put("defaultNumwant", defaultNumwant)
        .put("maxNumwant", maxNumwant);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
