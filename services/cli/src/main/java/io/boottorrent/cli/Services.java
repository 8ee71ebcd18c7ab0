package io.boottorrent.cli;

import io.boottorrent.catalog.CatalogVerticle;
import io.boottorrent.seeder.SeederVerticle;
import io.boottorrent.tracker.TrackerVerticle;
import io.vertx.core.Deployable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The verticles `boottorrent serve` can deploy, by the name used on the command line and in docs. */
final class Services {
  static final Map<String, Supplier<Deployable>> ALL = new LinkedHashMap<>();

  static {
    ALL.put("catalog", CatalogVerticle::new);
    ALL.put("tracker", TrackerVerticle::new);
    ALL.put("seeder", SeederVerticle::new);
  }

  private Services() {}
}
