package io.boottorrent.server;

import io.boottorrent.proto.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;

/**
 * Starts the Vert.x instance of a service process: standalone, or clustered over Hazelcast
 * ({@link HazelcastCluster}); either way with Micrometer metrics into a Prometheus registry of its own
 * ({@link Meters}), which {@link HealthServer} serves at {@code /metrics}. The protobuf codecs are
 * registered, and the registry published, before anything else can consume: the codec name travels
 * with each message, and a node without it refuses the message.
 */
public final class ServerVertx {
  private ServerVertx() {}

  public static Future<Vertx> start(ClusterOptions cluster) {
    Meters.ProcessRegistry registry = Meters.newRegistry();
    VertxOptions options = new VertxOptions().setMetricsOptions(Meters.options());
    if (cluster.enabled()) {
      options.setEventBusOptions(HazelcastCluster.eventBusOptions(cluster));
    }
    VertxBuilder builder = Vertx.builder()
        .with(options)
        .withMetrics(new MicrometerMetricsFactory(registry));
    Future<Vertx> started = cluster.enabled()
        ? HazelcastCluster.start(builder, cluster)
        : Future.succeededFuture(builder.build());
    return started.map(vertx -> {
      Codecs.registerAll(vertx.eventBus());
      Meters.publish(vertx, registry);
      return vertx;
    });
  }
}
