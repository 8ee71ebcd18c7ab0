package io.boottorrent.cli;

import io.boottorrent.catalog.CatalogVerticle;
import io.boottorrent.dhcp.DhcpVerticle;
import io.boottorrent.seeder.SeederVerticle;
import io.boottorrent.tftp.TftpVerticle;
import io.boottorrent.tracker.TrackerVerticle;
import io.vertx.core.Deployable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The verticles `boottorrent serve` can deploy, by the name used on the command line and in docs. */
final class Services {
  static final Map<String, Supplier<Deployable>> ALL = new LinkedHashMap<>();
  /** What `serve` and `demo` deploy when not told otherwise. */
  static final java.util.List<String> DEFAULT = java.util.List.of("catalog", "tracker", "seeder");

  static {
    ALL.put("catalog", CatalogVerticle::new);
    ALL.put("tracker", TrackerVerticle::new);
    ALL.put("seeder", SeederVerticle::new);
    // Ports 67 and 69 need root (or CAP_NET_BIND_SERVICE), and dhcp needs pools: not deployed by default.
    ALL.put("dhcp", DhcpVerticle::new);
    ALL.put("tftp", TftpVerticle::new);
  }

  private Services() {}
}
