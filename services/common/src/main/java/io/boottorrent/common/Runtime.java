package io.boottorrent.common;

import io.boottorrent.proto.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Starts the Vert.x instance of a BootTorrent process: standalone, or clustered over Hazelcast
 * ({@link HazelcastCluster}). The protobuf codecs are registered before anything else can consume.
 *
 * <p>This class names no Hazelcast type, so a standalone process never loads Hazelcast: the client
 * image's agent jar leaves it out.
 */
public final class Runtime {
  private Runtime() {}

  public static Future<Vertx> start(JsonObject config) {
    JsonObject cluster = BtConfig.section(config, "cluster");
    if (!cluster.getBoolean("enabled", false)) {
      Vertx vertx = Vertx.vertx();
      Codecs.registerAll(vertx.eventBus());
      return Future.succeededFuture(vertx);
    }
    return HazelcastCluster.start(cluster).map(vertx -> {
      Codecs.registerAll(vertx.eventBus());
      return vertx;
    });
  }
}
