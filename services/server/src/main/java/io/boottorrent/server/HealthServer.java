package io.boottorrent.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's own /health (liveness: the event loop answers) and /readiness (every deployed
 * service reported ready) endpoints, which Kubernetes probes and `make run` use, and /metrics: the
 * process's meters in the Prometheus text format ({@link Meters}; docs/METRICS.md), when Vert.x runs
 * with metrics ({@link ServerVertx#start}), else 404.
 */
public final class HealthServer {
  /** The Prometheus text exposition format, version 0.0.4. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private final Vertx vertx;
  private final Set<String> expected = ConcurrentHashMap.newKeySet();
  private final Set<String> ready = ConcurrentHashMap.newKeySet();
  private HttpServer server;

  public HealthServer(Vertx vertx) {
    this.vertx = vertx;
  }

  public void expect(String service) {
    expected.add(service);
  }

  public void ready(String service) {
    ready.add(service);
  }

  /** {@link #listen(HealthOptions, HttpLimits)} with the embedded defaults' limits. */
  public Future<HttpServer> listen(HealthOptions options) {
    return listen(options, HttpLimits.defaults());
  }

  public Future<HttpServer> listen(HealthOptions options, HttpLimits limits) {
    if (!options.enabled()) {
      return Future.succeededFuture();
    }
    HealthChecks live = HealthChecks.create(vertx);
    live.register("eventloop", promise -> promise.complete(Status.OK()));
    HealthChecks readiness = HealthChecks.create(vertx);
    readiness.register("services", promise -> {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(ready);
      JsonObject data = new JsonObject().put("ready", new JsonArray(ready.stream().sorted().toList()));
      promise.complete(missing.isEmpty() ? Status.OK(data) : Status.KO(data.put("waiting", new JsonArray(missing.stream().toList()))));
    });
    Router router = Router.router(vertx);
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(live));
    router.get("/readiness").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    Meters.prometheus(vertx).ifPresent(registry -> router.get("/metrics").handler(ctx ->
        // CPU work only, but it grows with the number of series: off the event loop all the same
        vertx.executeBlocking(registry::scrape, false)
            .onSuccess(text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text))
            .onFailure(ctx::fail)));
    return HttpServers.create(vertx, limits, router)
        .listen(options.port(), options.host())
        .onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
