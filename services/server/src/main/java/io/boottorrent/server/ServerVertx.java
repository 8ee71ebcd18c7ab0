package io.boottorrent.server;

import io.boottorrent.core.BootVertx;
import io.boottorrent.proto.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Starts the Vert.x instance of a service process: standalone ({@link BootVertx}), or clustered over
 * Hazelcast ({@link HazelcastCluster}). The protobuf codecs are registered before anything else can
 * consume: the codec name travels with each message, and a node without it refuses the message.
 */
public final class ServerVertx {
  private ServerVertx() {}

  public static Future<Vertx> start(ClusterOptions cluster) {
    if (!cluster.enabled()) {
      return Future.succeededFuture(BootVertx.standalone());
    }
    return HazelcastCluster.start(cluster).map(vertx -> {
      Codecs.registerAll(vertx.eventBus());
      return vertx;
    });
  }
}
