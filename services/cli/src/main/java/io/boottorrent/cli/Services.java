package io.boottorrent.cli;

import io.boottorrent.catalog.CatalogOptions;
import io.boottorrent.catalog.CatalogVerticle;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.auth.AuthOptions;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.dhcp.DhcpServerOptions;
import io.boottorrent.dhcp.DhcpVerticle;
import io.boottorrent.seeder.SeederOptions;
import io.boottorrent.seeder.SeederVerticle;
import io.boottorrent.telemetry.TelemetryOptions;
import io.boottorrent.telemetry.TelemetryVerticle;
import io.boottorrent.tftp.TftpOptions;
import io.boottorrent.tftp.TftpVerticle;
import io.boottorrent.tracker.TrackerOptions;
import io.boottorrent.tracker.TrackerVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The services `boottorrent serve` can deploy, by the name used on the command line and in docs, and
 * how each is assembled from the config tree: its own section read by its options class (a bad value
 * fails here, before anything starts), the shared top-level keys, and the values that cross services
 * ({@link ServiceLinks}).
 */
public final class Services {
  static final Map<String, Function<JsonObject, Deployable>> ALL = new LinkedHashMap<>();
  /** What `serve` and `demo` deploy when not told otherwise. */
  static final List<String> DEFAULT = List.of("catalog", "tracker", "seeder", "telemetry");

  static {
    ALL.put("catalog", tree -> new CatalogVerticle(CatalogOptions.fromSection(section(tree, "catalog")),
        ProcessOptions.fromTree(tree), ServiceLinks.announceUrls(tree), AuthOptions.fromSection(section(tree, "auth")),
        http(tree)));
    ALL.put("tracker", tree -> new TrackerVerticle(TrackerOptions.fromSection(section(tree, "tracker")), http(tree)));
    ALL.put("seeder", tree -> new SeederVerticle(SeederOptions.fromSection(section(tree, "seeder")),
        ProcessOptions.fromTree(tree)));
    ALL.put("telemetry", tree -> new TelemetryVerticle(TelemetryOptions.fromSection(section(tree, "telemetry")),
        ProcessOptions.fromTree(tree), ServiceLinks.catalogUrl(tree), AuthOptions.fromSection(section(tree, "auth")),
        http(tree)));
    // Ports 67 and 69 need root (or CAP_NET_BIND_SERVICE), and dhcp needs pools: not deployed by default.
    ALL.put("dhcp", tree -> {
      ProcessOptions process = ProcessOptions.fromTree(tree);
      return new DhcpVerticle(DhcpServerOptions.fromSection(section(tree, "dhcp"))
          .resolve(process.publicHost(), ServiceLinks.bootHttpPort(tree)), process.dataDir());
    });
    ALL.put("tftp", tree -> new TftpVerticle(TftpOptions.fromSection(section(tree, "tftp")),
        ProcessOptions.fromTree(tree).dataDir()));
  }

  private Services() {}

  /** Builds the named services' verticles, in order; the first bad value or unknown name throws. */
  public static List<Deployable> assemble(JsonObject tree, List<String> names) {
    for (String name : names) {
      if (!ALL.containsKey(name)) {
        throw new IllegalArgumentException("unknown service '" + name + "'; known: " + ALL.keySet());
      }
    }
    return names.stream().map(name -> ALL.get(name).apply(tree)).toList();
  }

  /** The {@code http} section every HTTP server of the process applies. */
  private static HttpLimits http(JsonObject tree) {
    return HttpLimits.fromSection(section(tree, "http"));
  }

  private static JsonObject section(JsonObject tree, String name) {
    return tree.getJsonObject(name);
  }
}
