package io.boottorrent.core.config;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * The top-level keys every service of a process shares.
 *
 * @param dataDir where the catalog keeps images and the other services their state (absolute)
 * @param publicHost the address other machines use to reach this process: tracker and web-seed URLs,
 *     the catalog URL, the DHCP server address when {@code dhcp.serverAddress} is empty
 */
public record ProcessOptions(Path dataDir, String publicHost) {
  public ProcessOptions {
    dataDir = dataDir.toAbsolutePath().normalize();
    if (publicHost == null || publicHost.isBlank()) {
      throw new ConfigException("publicHost", "must not be empty");
    }
  }

  /** Reads {@code dataDir} and {@code publicHost} from the top of a config tree. */
  public static ProcessOptions fromTree(JsonObject tree) {
    ConfigSection top = ConfigSection.of("", tree);
    return new ProcessOptions(Path.of(top.nonBlank("dataDir")), top.nonBlank("publicHost"));
  }

  /** {@link #publicHost} as a URL's host part: IPv6 literals in brackets. */
  public String publicHostForUrl() {
    return ConfigUrls.hostForUrl(publicHost);
  }
}
