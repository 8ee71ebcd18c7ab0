package io.boottorrent.core.config;

/** URL pieces made from config values. */
public final class ConfigUrls {
  private ConfigUrls() {}

  /** A host as a URL's host part: an IPv6 literal goes in brackets. */
  public static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** {@code http://host:port} (no trailing slash). */
  public static String httpBase(String host, int port) {
    return "http://" + hostForUrl(host) + ":" + port;
  }

  /** {@code https://host:port} (no trailing slash). */
  public static String httpsBase(String host, int port) {
    return "https://" + hostForUrl(host) + ":" + port;
  }
}
