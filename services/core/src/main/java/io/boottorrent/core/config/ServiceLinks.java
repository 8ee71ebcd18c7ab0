package io.boottorrent.core.config;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The values one service needs from another's section, derived once where a process is assembled
 * (the {@code boottorrent} command, the demo, tests) and handed to the service: no service reads a
 * section other than its own. In a cluster each process derives them from its own config file, which
 * therefore describes the whole deployment.
 */
public final class ServiceLinks {
  private ServiceLinks() {}

  /**
   * The announce URLs the catalog writes into new torrents: {@code catalog.trackers}, or this
   * deployment's own tracker, {@code http://<publicHost>:<tracker.httpPort>/announce}.
   */
  public static List<String> announceUrls(JsonObject tree) {
    List<String> configured = BtConfig.section(tree, "catalog").strings("trackers");
    if (!configured.isEmpty()) {
      return configured;
    }
    ProcessOptions process = ProcessOptions.fromTree(tree);
    int trackerPort = BtConfig.section(tree, "tracker").port("httpPort");
    return List.of(ConfigUrls.httpBase(process.publicHost(), trackerPort) + "/announce");
  }

  /** The port of the catalog's HTTP server, where DHCP points iPXE and UEFI HTTP boot ({@code catalog.httpPort}). */
  public static int bootHttpPort(JsonObject tree) {
    return BtConfig.section(tree, "catalog").port("httpPort");
  }

  /**
   * Where a browser reaches the catalog's REST API, {@code http://<publicHost>:<catalog.httpPort>}, or
   * with {@code catalog.tlsCert} set {@code https://<publicHost>:<catalog.httpsPort>}: the telemetry
   * dashboard's Images and Policy pages read it (its {@code /dashboard/config.json}).
   */
  public static String catalogUrl(JsonObject tree) {
    ProcessOptions process = ProcessOptions.fromTree(tree);
    ConfigSection catalog = BtConfig.section(tree, "catalog");
    return catalog.string("tlsCert").isBlank()
        ? ConfigUrls.httpBase(process.publicHost(), catalog.port("httpPort"))
        : ConfigUrls.httpsBase(process.publicHost(), catalog.port("httpsPort"));
  }
}
