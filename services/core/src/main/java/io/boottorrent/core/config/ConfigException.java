package io.boottorrent.core.config;

/**
 * A config value that cannot be used, thrown at start-up. The message names the key (as the operator
 * writes it, {@code catalog.httpPort}), the value found and what was expected.
 */
public final class ConfigException extends IllegalArgumentException {
  /** {@code key} is dotted, as the operator writes it: {@code dhcp.pools[0].subnet}. */
  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
  }
}
