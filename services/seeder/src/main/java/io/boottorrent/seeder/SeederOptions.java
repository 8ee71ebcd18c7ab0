package io.boottorrent.seeder;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code seeder} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param id this seeder's name in {@code seeder.status} and logs; empty: {@code <hostname>-<random>}
 * @param dataDir the seeder's own data dir (another machine or volume); empty: the process's dataDir,
 *     shared with the catalog
 * @param uploadLimit bytes/s per torrent at most; 0 = unlimited
 * @param maxRequestsPerPeer libtorrent {@code max_allowed_in_request_queue}; 0 = libtorrent's (2000)
 * @param lsd local service discovery (multicasts on the LAN)
 */
public record SeederOptions(
    String id,
    @NonBlank String listenHost,
    @Port int listenPort,
    Optional<Path> dataDir,
    long uploadLimit,
    @Min(1) long statusIntervalMs,
    boolean lsd,
    int maxRequestsPerPeer) {

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown, ill-typed or negative value
   */
  public static SeederOptions fromSection(JsonObject json) {
    return ConfigRecords.read("seeder", json, SeederOptions.class);
  }

  /** The same options with another id (the environment or a test names the seeder). */
  public SeederOptions withId(String newId) {
    return new SeederOptions(newId, listenHost, listenPort, dataDir, uploadLimit, statusIntervalMs, lsd,
        maxRequestsPerPeer);
  }
}
