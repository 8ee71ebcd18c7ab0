package io.boottorrent.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's own /health (liveness) and /readiness endpoints, which Kubernetes and systemd-era
 * scripts probe, and /metrics: the process's meters in the Prometheus text format ({@link Meters};
 * docs/METRICS.md), when Vert.x runs with metrics ({@link ServerVertx#start}), else 404.
 *
 * <p>/health is DOWN (503, the JSON body naming each check and why) while any of these fails, so that an
 * orchestrator restarts the process:
 * <ul>
 *   <li>{@code memory}: the heap in use after the last collection is above {@code
 *       health.maxHeapAfterGcPercent} of the largest heap, or an OutOfMemoryError was seen (the launch
 *       script, systemd units and manifests also pass -XX:+ExitOnOutOfMemoryError, which ends the JVM
 *       first; this is what a JVM started otherwise reports);
 *   <li>{@code eventloops}: a loop of the services' Vert.x has not run its probe ({@link EventLoopProbe},
 *       every {@code health.eventLoopProbeMs}) for more than {@code health.eventLoopBlockedMs};
 *   <li>{@code serving}: a service deployed and watched ({@link #watch}) is no longer deployed, accepts
 *       no connection on a socket it listed ({@link Serving#listening}), or cannot create a file in a
 *       directory it listed ({@link Serving#writableDirs}).
 * </ul>
 * /readiness is those plus {@code services}: every service expected ({@link #expect}) reported ready.
 *
 * <p>Both also carry the services that did not start and the corrupt state files set aside in their
 * detail ({@link ServiceFailures}, {@link #failed}): such a service makes /readiness DOWN but not /health.
 *
 * <p>These endpoints run on a Vert.x instance of their own (one event loop, two workers), not on the
 * services' loops: a blocked or busy service loop must not keep /health from saying so. It is closed
 * with the services' Vert.x.
 */
public final class HealthServer {
  private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
  /** The Prometheus text exposition format, version 0.0.4. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  /** How long one socket or directory probe may take before it counts as failed. */
  static final int PROBE_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final Set<String> expected = ConcurrentHashMap.newKeySet();
  private final Set<String> ready = ConcurrentHashMap.newKeySet();
  private final ServiceFailures failures = new ServiceFailures();
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();
  private Vertx own;
  private EventLoopProbe loops;
  private HttpServer server;

  private record Watched(String deploymentId, Optional<Serving> serving) {}

  public HealthServer(Vertx vertx) {
    this.vertx = vertx;
  }

  public void expect(String service) {
    expected.add(service);
  }

  public void ready(String service) {
    ready.add(service);
  }

  /**
   * {@code service} did not start and will not ({@code reason}: e.g. a corrupt state file it cannot
   * start without). /readiness is DOWN and names it; /health stays UP (a restart cannot repair the
   * file, and would take the process's other services down) and names it too.
   */
  public void failed(String service, String reason) {
    failures.fail(service, reason);
  }

  /**
   * From now on, {@code service} (deployed as {@code deploymentId}) makes /health DOWN when it is
   * undeployed or, if {@code verticle} is {@link Serving}, cannot serve.
   */
  public void watch(String service, String deploymentId, Object verticle) {
    watched.put(service, new Watched(deploymentId,
        verticle instanceof Serving s ? Optional.of(s) : Optional.empty()));
  }

  /** {@link #listen(HealthOptions, HttpLimits)} with the embedded defaults' limits. */
  public Future<HttpServer> listen(HealthOptions options) {
    return listen(options, HttpLimits.defaults());
  }

  public Future<HttpServer> listen(HealthOptions options, HttpLimits limits) {
    if (!options.enabled()) {
      return Future.succeededFuture();
    }
    own = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
        .setInternalBlockingPoolSize(1)).build();
    // the health server's own HTTP meters (its connection refusals) belong in the process's /metrics
    Meters.share(vertx, own);
    loops = new EventLoopProbe(vertx, options.eventLoopProbeMs());
    HeapCheck.watchUncaught();
    watchVertxFailures();
    HealthChecks live = HealthChecks.create(own);
    register(live, options);
    live.register("services", promise -> promise.complete(Status.OK(failures.detail(vertx))));
    failures.registerMeters(vertx);
    HealthChecks readiness = HealthChecks.create(own);
    readiness.register("services", promise -> {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(ready);
      JsonObject data = new JsonObject().put("ready", new JsonArray(ready.stream().sorted().toList()))
          .mergeIn(failures.detail(vertx));
      missing.removeIf(failures::isFailed);
      boolean down = !missing.isEmpty() || data.containsKey("failed");
      if (!missing.isEmpty()) {
        data.put("waiting", new JsonArray(missing.stream().toList()));
      }
      promise.complete(down ? Status.KO(data) : Status.OK(data));
    });
    register(readiness, options);
    Router router = Router.router(own);
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(live));
    router.get("/readiness").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    Meters.prometheus(vertx).ifPresent(registry -> router.get("/metrics").handler(ctx ->
        // CPU work only, but it grows with the number of series: off the event loop all the same
        own.executeBlocking(registry::scrape, false)
            .onSuccess(text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text))
            .onFailure(ctx::fail)));
    // closed with the services' Vert.x: its undeploy-all at close stops this
    VerticleBase lifecycle = new VerticleBase() {
      @Override
      public Future<?> stop() {
        return close();
      }
    };
    return vertx.deployVerticle(lifecycle)
        .compose(id -> HttpServers.create(own, limits, router).listen(options.port(), options.host()))
        .onSuccess(s -> server = s)
        .recover(e -> close().transform(closed -> Future.failedFuture(e)));
  }

  private Future<Void> close() {
    if (loops != null) {
      loops.cancel();
    }
    Vertx v = own;
    return v == null ? Future.succeededFuture() : v.close();
  }

  /** Failures a handler threw on the services' Vert.x: an OutOfMemoryError among them is remembered. */
  private void watchVertxFailures() {
    var previous = vertx.exceptionHandler();
    vertx.exceptionHandler(e -> {
      HeapCheck.saw(e);
      if (previous != null) {
        previous.handle(e);
      } else {
        LOG.error("unhandled exception", e);
      }
    });
  }

  private void register(HealthChecks checks, HealthOptions options) {
    checks.register("memory", promise -> promise.complete(memory(options)));
    checks.register("eventloops", promise -> promise.complete(eventLoops(options)));
    checks.register("serving", PROBE_TIMEOUT_MS * 2L, this::serving);
  }

  private static Status memory(HealthOptions options) {
    long after = HeapCheck.usedAfterLastGc();
    long max = HeapCheck.maxHeap();
    JsonObject data = new JsonObject().put("heapUsedAfterGcBytes", after).put("heapMaxBytes", max)
        .put("maxHeapAfterGcPercent", options.maxHeapAfterGcPercent());
    String oom = HeapCheck.outOfMemory();
    if (oom != null) {
      return Status.KO(data.put("reason", oom + " (health goes on saying DOWN until the process is restarted)"));
    }
    if (after >= 0 && after * 100 > (long) options.maxHeapAfterGcPercent() * max) {
      return Status.KO(data.put("reason", String.format("%.1f%% of the heap still in use after the last garbage"
          + " collection, more than health.maxHeapAfterGcPercent (%d%%)", after * 100.0 / max,
          options.maxHeapAfterGcPercent())));
    }
    return Status.OK(data);
  }

  private Status eventLoops(HealthOptions options) {
    long now = System.nanoTime();
    List<EventLoopProbe.Blocked> blocked = loops.blocked(options.eventLoopBlockedMs(), now);
    JsonObject data = new JsonObject().put("loops", loops.loops()).put("worstLagMs", Math.max(0, loops.worstLagMs(now)))
        .put("eventLoopBlockedMs", options.eventLoopBlockedMs());
    if (blocked.isEmpty()) {
      return Status.OK(data);
    }
    JsonArray which = new JsonArray();
    blocked.forEach(b -> which.add(new JsonObject().put("thread", b.thread()).put("blockedMs", b.ms())));
    return Status.KO(data.put("blocked", which).put("reason", blocked.size() + " event loop(s) blocked for more than "
        + "health.eventLoopBlockedMs (" + options.eventLoopBlockedMs() + " ms)"));
  }

  /** Every watched service still deployed, accepting connections and able to write its directories. */
  private void serving(Promise<Status> promise) {
    Set<String> deployed = vertx.deploymentIDs();
    List<Future<Optional<String>>> probes = new ArrayList<>();
    Map<String, Watched> byName = new TreeMap<>(watched);
    byName.forEach((name, w) -> {
      if (!deployed.contains(w.deploymentId())) {
        probes.add(Future.succeededFuture(Optional.of(name + ": not deployed any more (undeployed or failed)")));
        return;
      }
      w.serving().ifPresent(s -> {
        s.listening().forEach(address -> probes.add(accepts(name, address)));
        s.writableDirs().forEach(dir -> probes.add(writable(name, dir)));
      });
    });
    Future.join(probes).onComplete(all -> {
      JsonArray problems = new JsonArray();
      probes.forEach(p -> {
        if (p.failed()) {
          problems.add(p.cause().toString());
        } else {
          p.result().ifPresent(problems::add);
        }
      });
      JsonObject data = new JsonObject().put("watched", new JsonArray(List.copyOf(byName.keySet())));
      promise.complete(problems.isEmpty() ? Status.OK(data) : Status.KO(data.put("problems", problems)));
    });
  }

  /**
   * Connects to {@code address} (a wildcard one on loopback) and closes at once: empty if it accepted.
   * A host name is resolved by Vert.x, off this loop.
   */
  private Future<Optional<String>> accepts(String service, InetSocketAddress address) {
    String given = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
    String host = switch (given) {
      case "", "0.0.0.0" -> "127.0.0.1";
      case "::", "0:0:0:0:0:0:0:0" -> "::1";
      default -> given;
    };
    NetClient client = own.createNetClient(new NetClientOptions().setConnectTimeout(PROBE_TIMEOUT_MS));
    return client.connect(address.getPort(), host)
        .compose(socket -> socket.close().map(v -> Optional.<String>empty()))
        .recover(e -> Future.succeededFuture(Optional.of(service + ": nothing accepts connections on " + host + ":"
            + address.getPort() + " (" + e.getMessage() + ")")))
        .eventually(client::close);
  }

  /** Creates and deletes a file in {@code dir} on a worker: empty if that worked. */
  private Future<Optional<String>> writable(String service, Path dir) {
    return own.executeBlocking(() -> {
      Path probe = dir.resolve(".health-probe-" + ProcessHandle.current().pid());
      try {
        Files.deleteIfExists(probe);
        Files.write(probe, new byte[] {1});
        Files.delete(probe);
        return Optional.<String>empty();
      } catch (java.io.IOException | RuntimeException e) {
        return Optional.of(service + ": cannot write to " + dir + " (" + e + ")");
      }
    }, false);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
