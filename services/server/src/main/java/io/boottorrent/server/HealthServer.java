package io.boottorrent.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * service reported ready) endpoints. Kubernetes probes and `make run` use them.
 */
public final class HealthServer {
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

  public Future<HttpServer> listen(HealthOptions options) {
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
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(options.port(), options.host())
        .onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
