package io.boottorrent.catalog;

import io.boottorrent.common.BtConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The {@code catalog} section of the config (plus the shared {@code dataDir}, {@code publicHost} and
 * {@code tracker.httpPort}), with the defaults of {@code boottorrent-defaults.yaml}.
 */
public record CatalogOptions(
    Path dataDir,
    String publicHost,
    int httpPort,
    String host,
    List<Path> importRoots,
    List<String> trackers,
    boolean webSeed,
    int pieceLength,
    int defaultMenuTimeoutSeconds,
    int trackerHttpPort) {
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final boolean DEFAULT_WEB_SEED = true;
  public static final int DEFAULT_PIECE_LENGTH = 0;
  public static final int DEFAULT_MENU_TIMEOUT_SECONDS = 10;
  public static final int DEFAULT_TRACKER_HTTP_PORT = 6969;
  /** Path prefix of the BEP 19 web seed. */
  public static final String SEED_PATH = "/seed/";

  public CatalogOptions {
    importRoots = List.copyOf(importRoots);
    trackers = List.copyOf(trackers);
  }

  /** Reads the whole config tree a verticle receives. */
  public static CatalogOptions fromConfig(JsonObject config) {
    JsonObject catalog = BtConfig.section(config, "catalog");
    JsonObject tracker = BtConfig.section(config, "tracker");
    return new CatalogOptions(
        BtConfig.dataDir(config),
        BtConfig.publicHost(config),
        catalog.getInteger("httpPort", DEFAULT_HTTP_PORT),
        catalog.getString("host", DEFAULT_HOST),
        BtConfig.strings(catalog, "importRoots").stream()
            .filter(s -> !s.isBlank())
            .map(s -> Path.of(s).toAbsolutePath().normalize())
            .toList(),
        BtConfig.strings(catalog, "trackers").stream().filter(s -> !s.isBlank()).toList(),
        catalog.getBoolean("webSeed", DEFAULT_WEB_SEED),
        catalog.getInteger("pieceLength", DEFAULT_PIECE_LENGTH),
        catalog.getInteger("defaultMenuTimeoutSeconds", DEFAULT_MENU_TIMEOUT_SECONDS),
        tracker.getInteger("httpPort", DEFAULT_TRACKER_HTTP_PORT));
  }

  /** The configured trackers, or this deployment's own tracker. */
  public List<String> effectiveTrackers() {
    if (!trackers.isEmpty()) {
      return trackers;
    }
    return List.of("http://" + hostForUrl(publicHost) + ":" + trackerHttpPort + "/announce");
  }

  /** The web-seed URL for a catalog listening on {@code port}. */
  public String webSeedUrl(int port) {
    return "http://" + hostForUrl(publicHost) + ":" + port + SEED_PATH;
  }

  /**
   * Store settings; {@code actualPort} gives the port the HTTP server really listens on (known only
   * after listen when {@code httpPort} is 0).
   */
  public ImageStore.Settings storeSettings(IntSupplier actualPort) {
    return new ImageStore.Settings(
        dataDir,
        importRoots,
        effectiveTrackers(),
        () -> webSeed ? List.of(webSeedUrl(actualPort.getAsInt())) : List.of(),
        pieceLength,
        defaultMenuTimeoutSeconds);
  }

  private static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
