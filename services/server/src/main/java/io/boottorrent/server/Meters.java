package io.boottorrent.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meter registry of a service process: one Prometheus registry per Vert.x instance made by
 * {@link ServerVertx#start}, which holds Vert.x's own meters (event bus, HTTP server and client, pools,
 * JVM) and the services' {@code boottorrent_*} meters, and which {@link HealthServer} scrapes at
 * {@code GET /metrics}. docs/METRICS.md lists every meter.
 *
 * <p>The registry is left in the Vert.x instance's local shared data, map {@link #SHARED_MAP}, key
 * {@link #REGISTRY_KEY}, as a {@link MeterRegistry} that is {@link Shareable} (so the map hands out the
 * instance itself). That is how the services that depend on boottorrent-core and Micrometer only (dhcp,
 * tftp, seeder: no vertx-web, no Hazelcast) find it, by these two names; the others call
 * {@link #registry}.
 */
public final class Meters {
  /** The Vert.x local map that holds the process's registry. */
  public static final String SHARED_MAP = "boottorrent.metrics";
  /** Its key in {@link #SHARED_MAP}. */
  public static final String REGISTRY_KEY = "registry";

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private Meters() {}

  /**
   * The process's registry; on a Vert.x that {@link ServerVertx#start} did not make (tests, embedded
   * use) a new {@link SimpleMeterRegistry}, so that a verticle can always register its meters.
   */
  public static MeterRegistry registry(Vertx vertx) {
    Object shared = vertx.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    return shared instanceof MeterRegistry registry ? registry : new SimpleMeterRegistry();
  }

  /** The process's Prometheus registry, if this Vert.x runs with metrics ({@link ServerVertx#start}). */
  public static Optional<PrometheusMeterRegistry> prometheus(Vertx vertx) {
    Object shared = vertx.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    return shared instanceof PrometheusMeterRegistry registry ? Optional.of(registry) : Optional.empty();
  }

  /** A new registry for one Vert.x instance. */
  static ProcessRegistry newRegistry() {
    return new ProcessRegistry();
  }

  /**
   * Vert.x metrics into {@code registry}. Each instance gets a registry name of its own, so that
   * several Vert.x instances in one JVM (tests, the demo) neither share meters nor, when one closes,
   * unregister another's ({@code BackendRegistries} is keyed by that name, JVM-wide). Labels: Vert.x's
   * defaults (HTTP method and code, pool type and name, event-bus side) and the event-bus address —
   * our addresses are the fixed set of {@code Addresses}, and Vert.x leaves out its internal ones
   * (replies, cluster) — never an HTTP path or a remote endpoint, so the number of series does not grow
   * with traffic.
   */
  static MicrometerMetricsOptions options() {
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.add(Label.EB_ADDRESS);
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setLabels(labels)
        .setRegistryName("boottorrent-" + INSTANCES.incrementAndGet())
        .setJvmMetricsEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }

  /** Leaves {@code registry} where {@link #registry} and the core-only services find it. */
  static void publish(Vertx vertx, ProcessRegistry registry) {
    vertx.sharedData().getLocalMap(SHARED_MAP).put(REGISTRY_KEY, registry);
  }

  /**
   * Lets {@code helper}, a Vert.x of the same process that is not the services' own (the health
   * server's), register into the process's registry, so that what it counts is scraped too.
   */
  static void share(Vertx services, Vertx helper) {
    Object shared = services.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    if (shared != null) {
      helper.sharedData().getLocalMap(SHARED_MAP).put(REGISTRY_KEY, (Shareable) shared);
    }
  }

  /** A Prometheus registry that Vert.x local shared data keeps as it is (not copied). */
  static final class ProcessRegistry extends PrometheusMeterRegistry implements Shareable {
    ProcessRegistry() {
      super(PrometheusConfig.DEFAULT);
    }
  }
}
