package io.boottorrent.core.config;

/**
 * A config value that cannot be used, thrown at start-up. The message names the key (as the operator
 * writes it, {@code catalog.httpPort}), the value found and what was expected.
 */
public final class ConfigException extends IllegalArgumentException {
  private final String key;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  /** The dotted key, e.g. {@code dhcp.pools[0].subnet}. */
  public String key() {
    return key;
  }
}
