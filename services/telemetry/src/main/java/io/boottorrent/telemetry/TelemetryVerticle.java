package io.boottorrent.telemetry;

import com.google.protobuf.Message;
import io.boottorrent.core.StateFiles;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.MachineDetail;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.StormView;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.HttpServers;
import io.boottorrent.server.Json;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ProtoHttp;
import io.boottorrent.server.Rest;
import io.boottorrent.server.Workers;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.boottorrent.server.auth.AuthOptions;
import io.boottorrent.server.auth.BearerAuth;
import io.boottorrent.server.auth.BusTokenVerifier;
import io.boottorrent.server.auth.StreamTickets;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry service: folds every {@code boot.event}, {@code seeder.status},
 * {@code tracker.swarm.stats} and {@code catalog.image.added/removed} into a {@link TelemetryModel}
 * and serves it on {@code telemetry.httpPort} (docs/ARCHITECTURE.md, "Telemetry"):
 *
 * <ul>
 *   <li>{@code GET /api/v1/events}, {@code /api/v1/machines}, {@code /api/v1/machines/{mac}},
 *       {@code /api/v1/storms}, {@code /api/v1/swarms}: JSON of protobuf messages (binary protobuf with
 *       {@code Accept: application/x-protobuf}); a bad parameter is a 400 {@code {"error": reason}};
 *   <li>{@code GET /api/v1/events/stream}: Server-Sent Events, the same filters;
 *   <li>{@code /eventbus/*}: a SockJS event-bus bridge, outbound only, for the five addresses above;
 *   <li>{@code /dashboard/}: the dashboard, static files from the classpath's {@code webroot/} ({@code /}
 *       redirects there), and {@code /dashboard/config.json}, {@code {"catalogUrl": …, "openReads": …}}, where
 *       its Images and Policy pages read the catalog's REST API.
 * </ul>
 *
 * <p>With {@code auth.openReads} false every read above but the dashboard's files needs a viewer token
 * ({@link BearerAuth}); telemetry has no token store and asks the catalog on
 * {@link Addresses#TOKEN_CHECK} ({@link BusTokenVerifier}, answers cached for
 * {@code auth.tokenCheckCacheSeconds}). The stream and the bridge also take {@code ?ticket=}
 * ({@link StreamTickets}, {@code POST /api/v1/tickets} with the token): EventSource cannot send headers.
 *
 * <p>Every input is journaled ({@link Journal}, {@code <dataDir>/telemetry/journal}) in group commits
 * on one worker thread, and the journal is replayed at start; nothing blocks the event loop. The
 * model lives on this verticle's event loop: deploy one instance per data dir.
 *
 * <p>The bridge carries the bus's protobuf messages as their JSON: its event handler replaces a
 * RECEIVE's body (the message object) by its JSON mapping before the bridge encodes the frame, so
 * bridge clients use the bus's own addresses and no second, JSON-only address is published.
 */
public class TelemetryVerticle extends VerticleBase implements io.boottorrent.server.Serving {
  private static final Logger LOG = LoggerFactory.getLogger(TelemetryVerticle.class);

  public static final String API = "/api/v1";
  public static final String BRIDGE_PATH = "/eventbus";
  public static final String DASHBOARD = "/dashboard";
  /** The dashboard's files on the classpath. */
  static final String WEBROOT = "webroot";
  public static final int DEFAULT_LIMIT = 100;
  /** Stream tickets held at most (the oldest dropped first): far more than dashboards open in a minute. */
  static final int MAX_TICKETS = 10_000;
  public static final int MAX_MACHINES_PAGE = 1000;
  /** The addresses bridge clients may register for; none may be sent or published to. */
  public static final List<String> BRIDGED = List.of(Addresses.BOOT_EVENT, Addresses.SEEDER_STATUS,
      Addresses.SWARM_STATS, Addresses.IMAGE_ADDED, Addresses.IMAGE_REMOVED);
  static final String WORKER_POOL = "boottorrent-telemetry-journal";
  static final long TICK_MS = 1000;
  static final long IMAGE_LIST_TIMEOUT_MS = 5000;
  /** After a failed compaction, the next try waits this long (appends go on). */
  static final long COMPACTION_RETRY_MS = 60_000;

  private static final Set<String> EVENT_PARAMS = Set.of("mac", "image", "stage", "since", "until", "limit");
  /** The stream's: the events' and {@code ticket} (StreamTickets, for EventSource when reads are closed). */
  private static final Set<String> STREAM_PARAMS = Set.of("mac", "image", "stage", "since", "until", "limit", "ticket");
  private static final Set<String> MACHINE_PARAMS = Set.of("mac", "image", "stage", "phase", "stalled", "since",
      "until", "offset", "limit");

  private final TelemetryOptions options;
  private final HttpLimits http;
  private final ProcessOptions process;
  private final Clock clock;
  private final String catalogUrl;
  /** The auth section; null: reads open. */
  private final AuthOptions auth;
  private final Set<SseClient> sseClients = new LinkedHashSet<>();
  private final List<Runnable> early = new ArrayList<>();
  private List<TelemetryRecord> pending = new ArrayList<>();
  /** Completed once the records now in {@code pending} are on disk: replies to catalog.event.record. */
  private List<Promise<Void>> pendingAcks = new ArrayList<>();
  /** This instance in {@link Addresses#RECORDED_BY} headers: an event it recorded comes back as a publish. */
  private final String instanceId = UUID.randomUUID().toString();
  private boolean writing;
  private boolean stopping;
  private long noCompactionUntil;
  private Promise<Void> drained;
  private TelemetryModel model;
  private TelemetryMetrics metrics;
  private Journal journal;
  private WorkerExecutor io;
  private HttpServer server;
  /** The dashboard's HTML pages by file name ({@link DashboardPages}). */
  private Map<String, Buffer> pages = Map.of();
  private long tickTimer = -1;
  private long heartbeatTimer = -1;
  private Object lastBridged;
  private JsonObject lastBridgedJson;

  /**
   * @param catalogUrl where browsers reach the catalog's REST API ({@code ServiceLinks.catalogUrl}),
   *     handed to the dashboard in {@code /dashboard/config.json}; null: none (its Images and Policy
   *     pages say so)
   */
  public TelemetryVerticle(TelemetryOptions options, ProcessOptions process, String catalogUrl, AuthOptions auth) {
    this(options, process, catalogUrl, auth, Clock.systemUTC());
  }

  /**
   * @param http the limits its server applies (the {@code http} section)
   * @throws ConfigException when the idle timeout would close event streams between their heartbeats
   */
  public TelemetryVerticle(TelemetryOptions options, ProcessOptions process, String catalogUrl, AuthOptions auth,
      HttpLimits http) {
    this(options, process, catalogUrl, auth, Clock.systemUTC(), http);
  }

  /** Reads open ({@code auth.openReads} as its default has it). */
  public TelemetryVerticle(TelemetryOptions options, ProcessOptions process, String catalogUrl) {
    this(options, process, catalogUrl, null, Clock.systemUTC());
  }

  /** Without a catalog link: the dashboard's Images and Policy pages say there is none; reads open. */
  public TelemetryVerticle(TelemetryOptions options, ProcessOptions process) {
    this(options, process, null, null, Clock.systemUTC());
  }

  /** @param auth null: reads open, no tickets */
  TelemetryVerticle(TelemetryOptions options, ProcessOptions process, String catalogUrl, AuthOptions auth, Clock clock) {
    this(options, process, catalogUrl, auth, clock, HttpLimits.defaults());
  }

  TelemetryVerticle(TelemetryOptions options, ProcessOptions process, String catalogUrl, AuthOptions auth, Clock clock,
      HttpLimits http) {
    if (http.idleTimeoutSeconds() > 0 && options.sseHeartbeatSeconds() >= http.idleTimeoutSeconds()) {
      throw new ConfigException("telemetry.sseHeartbeatSeconds", "is " + options.sseHeartbeatSeconds()
          + ", not shorter than http.idleTimeoutSeconds (" + http.idleTimeoutSeconds() + "): idle event streams"
          + " would be closed between their heartbeats");
    }
    this.http = http;
    this.options = options;
    this.process = process;
    this.catalogUrl = catalogUrl;
    this.auth = auth;
    this.clock = clock;
  }

  /** Where the journal lives: {@code <dataDir>/telemetry}. */
  public Path dataDir() {
    return process.dataDir().resolve("telemetry");
  }

  @Override
  public Future<?> start() {
    Codecs.registerAll(vertx.eventBus());
    io = vertx.createSharedWorkerExecutor(WORKER_POOL, 1, 10, TimeUnit.MINUTES);
    TelemetryModel fresh = new TelemetryModel(options.limits(), clock);
    // Subscribed before the replay: what arrives meanwhile waits in `early`, nothing is missed.
    List<MessageConsumer<?>> consumers = List.of(
        vertx.eventBus().consumer(Addresses.BOOT_EVENT, m -> {
          if (!instanceId.equals(m.headers().get(Addresses.RECORDED_BY))) {
            onInput(m.body());
          }
        }),
        vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT_RECORD, this::onRecord),
        vertx.eventBus().consumer(Addresses.SEEDER_STATUS, m -> onInput(m.body())),
        vertx.eventBus().consumer(Addresses.SWARM_STATS, m -> onInput(m.body())),
        vertx.eventBus().consumer(Addresses.IMAGE_ADDED, m -> onInput(m.body())),
        vertx.eventBus().consumer(Addresses.IMAGE_REMOVED, m -> onInput(m.body())));
    Path dir = dataDir();
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> io.executeBlocking(() -> Journal.open(dir, options.journalSync(), record -> {
          try {
            fresh.replay(record);
          } catch (RuntimeException e) {
            LOG.warn("telemetry journal: skipping a record that does not apply ({}): {}", record.getKindCase(),
                e.toString());
          }
        })))
        .compose(opened -> {
          journal = opened;
          StateFiles.report(vertx, opened.setAside().stream().toList());
          model = fresh;
          metrics = new TelemetryMetrics(Meters.registry(vertx), fresh);
          Journal.Replayed r = opened.replayed();
          LOG.info("telemetry: replayed {} records ({} bytes) from {}: {} machines, {} events", r.records(),
              r.bytes(), dir, fresh.machineCount(), fresh.logSize());
          journalStorms(model.tick());
          List<Runnable> waiting = List.copyOf(early);
          early.clear();
          waiting.forEach(Runnable::run);
          tickTimer = vertx.setPeriodic(TICK_MS, id -> journalStorms(model.tick()));
          heartbeatTimer = vertx.setPeriodic(options.sseHeartbeatSeconds() * 1000L, id -> heartbeat());
          askForImages();
          return io.executeBlocking(DashboardPages::load);
        })
        .compose(loaded -> {
          pages = loaded;
          return HttpServers.create(vertx, options.tls(), http, router())
              .listen(options.httpPort(), options.host());
        })
        .onSuccess(s -> {
          server = s;
          LOG.info("telemetry listening on {}://{}:{} (journal {})", options.tls().isPresent() ? "https" : "http",
              options.host(), s.actualPort(), dir);
        })
        .recover(failure -> closeJournal().transform(closed -> Future.failedFuture(failure)));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(heartbeatTimer);
    for (SseClient c : List.copyOf(sseClients)) {
      c.response().end();
    }
    sseClients.clear();
    // Whatever was received is written before the journal closes.
    drained = Promise.promise();
    flush();
    return drained.future().eventually(this::closeJournal);
  }

  private Future<Void> closeJournal() {
    Journal j = journal;
    journal = null;
    return Workers.closeOn(io, j);
  }

  /** The port the HTTP server listens on; -1 before it does. */
  public int actualPort() {
    HttpServer s = server;
    return s == null ? -1 : s.actualPort();
  }

  /** For /health: its HTTP port, and the journal's directory. */
  @Override
  public java.util.List<java.net.InetSocketAddress> listening() {
    int port = actualPort();
    return port < 0 ? java.util.List.of() : java.util.List.of(java.net.InetSocketAddress.createUnresolved(options.host(), port));
  }

  @Override
  public java.util.List<Path> writableDirs() {
    return java.util.List.of(dataDir());
  }

  /** How many Server-Sent-Events clients are connected (asked on this verticle's event loop). */
  Future<Integer> sseClientCount() {
    Promise<Integer> count = Promise.promise();
    context.runOnContext(v -> count.complete(sseClients.size()));
    return count.future();
  }

  // -------------------------------------------------------------------------------------- inputs

  private void onInput(Object body) {
    if (model == null) {
      early.add(() -> onInput(body));
      return;
    }
    if (body instanceof BootEvent event) {
      bootEvent(event, null);
    } else if (body instanceof SeederStatus status) {
      journal(model.seederStatus(status));
    } else if (body instanceof SwarmStats stats) {
      journal(model.swarmStats(stats));
    } else if (body instanceof ImageEvent image) {
      journal(model.image(image));
    } else {
      LOG.debug("telemetry: ignoring a {} on the bus", body == null ? "null body" : body.getClass().getName());
    }
  }

  /**
   * An event the catalog acknowledges to its sender only once it is recorded: the reply goes out when
   * the journal batch holding it is written; a failed write fails the request (the catalog answers 503
   * and the agent sends the event again).
   */
  private void onRecord(io.vertx.core.eventbus.Message<BootEvent> m) {
    if (model == null) {
      early.add(() -> onRecord(m));
      return;
    }
    Promise<Void> written = Promise.promise();
    bootEvent(m.body(), written);
    written.future()
        .onSuccess(v -> m.reply(null, new DeliveryOptions().addHeader(Addresses.RECORDED_BY, instanceId)))
        .onFailure(e -> m.fail(503, "telemetry could not write its journal: " + e.getMessage()));
  }

  /** @param written completed once the event's record is on disk; null: nobody waits */
  private void bootEvent(BootEvent event, Promise<Void> written) {
    TelemetryModel.Ingested in = model.bootEvent(event);
    journal(in.record(), written);
    publish(in.entry());
    metrics.observe(event, event.getMac().isEmpty() ? Optional.empty()
        : model.machine(event.getMac()).map(MachineDetail::getMachine), model.seederEndpoints());
  }

  /** The catalog's images, once at start (the catalog may be elsewhere, later, or not deployed). */
  private void askForImages() {
    vertx.eventBus().<ImageList>request(Addresses.IMAGE_LIST, null,
            new DeliveryOptions().setSendTimeout(IMAGE_LIST_TIMEOUT_MS))
        .onSuccess(reply -> {
          for (ImageManifest m : reply.body().getImagesList()) {
            journal(model.image(ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(m).build()));
          }
        })
        .onFailure(err -> LOG.info("telemetry: no image list from a catalog ({}); images are learnt from"
            + " catalog.image.added and the seeders", err.getMessage()));
  }

  private void journalStorms(List<StormView> storms) {
    for (StormView s : storms) {
      journal(TelemetryRecord.newBuilder().setReceivedMs(s.getFinishedMs()).setStorm(s).build());
    }
  }

  // ------------------------------------------------------------------------------------- journal

  private void journal(TelemetryRecord record) {
    journal(record, null);
  }

  private void journal(TelemetryRecord record, Promise<Void> written) {
    pending.add(record);
    if (written != null) {
      pendingAcks.add(written);
    }
    if (!writing) {
      flush();
    }
  }

  /**
   * Group commit: one batch at a time on the journal's worker; what arrives meanwhile is the next
   * batch. After a batch, the journal is compacted when it outgrew its last snapshot twice (and
   * {@code compactMinBytes}); the snapshot is taken here, on the event loop, so it holds exactly
   * what was ingested so far and the records still pending are dropped (the snapshot has them).
   */
  private void flush() {
    Journal j = journal;
    if (writing) {
      return; // the running batch's completion calls flush again
    }
    if (j == null) {
      if (drained != null) {
        drained.tryComplete();
      }
      return;
    }
    long now = clock.millis();
    if (!stopping && now >= noCompactionUntil
        && j.size() > Math.max(options.compactMinBytes(), 2 * j.sizeAfterCompaction())) {
      List<TelemetryRecord> snapshot = model.snapshot();
      List<TelemetryRecord> inSnapshot = pending;
      List<Promise<Void>> acks = pendingAcks;
      pending = new ArrayList<>();
      pendingAcks = new ArrayList<>();
      run(() -> j.compact(snapshot), () -> acks.forEach(Promise::tryComplete), failed -> {
        // The journal is as it was: the records the snapshot covered are appended after all.
        noCompactionUntil = clock.millis() + COMPACTION_RETRY_MS;
        inSnapshot.addAll(pending);
        pending = inSnapshot;
        acks.addAll(pendingAcks);
        pendingAcks = acks;
      });
      return;
    }
    if (pending.isEmpty()) {
      if (drained != null) {
        drained.tryComplete();
      }
      return;
    }
    List<TelemetryRecord> batch = pending;
    List<Promise<Void>> acks = pendingAcks;
    pending = new ArrayList<>();
    pendingAcks = new ArrayList<>();
    run(() -> j.append(batch), () -> acks.forEach(Promise::tryComplete), failed -> acks.forEach(a -> a.tryFail(failed)));
  }

  @FunctionalInterface
  private interface IoTask {
    void run() throws Exception;
  }

  private void run(IoTask task, Runnable onSuccess, Handler<Throwable> onFailure) {
    writing = true;
    io.executeBlocking(() -> {
      task.run();
      return null;
    }).onComplete(ar -> {
      writing = false;
      if (ar.failed()) {
        LOG.error("telemetry journal write failed (what it held stays in memory; later records are still written)",
            ar.cause());
        onFailure.handle(ar.cause());
      } else {
        onSuccess.run();
      }
      flush();
    });
  }

  // ------------------------------------------------------------------------------------- routing

  Router router() {
    Router router = Router.router(vertx);
    // Read-only: any page (a dashboard served from another port or host) may read it.
    router.route(API + "/*").handler(CorsHandler.create().addOrigin("*").allowedMethod(HttpMethod.GET)
        .allowedHeader("Last-Event-ID").allowedHeader("Accept").allowedHeader("Authorization"));
    // auth.openReads false: everything below needs a viewer token, which the catalog checks (over the bus)
    boolean open = auth == null || auth.openReads();
    BearerAuth bearer = open ? null
        : new BearerAuth(new BusTokenVerifier(vertx, auth.tokenCheckCacheSeconds() * 1000L), auth);
    StreamTickets tickets = open ? null : new StreamTickets(auth.ticketSeconds() * 1000L, MAX_TICKETS,
        new java.security.SecureRandom(), System::currentTimeMillis);
    if (!open) {
      bearer.issueTickets(router.post(API + "/tickets"), tickets);
    }
    read(bearer, router.get(API + "/events")).handler(Rest.guard(this::events));
    (open ? router.get(API + "/events/stream") : bearer.readByTicket(router.get(API + "/events/stream"), tickets))
        .handler(Rest.guard(this::stream));
    read(bearer, router.get(API + "/machines")).handler(Rest.guard(this::machines));
    read(bearer, router.get(API + "/machines/:mac")).handler(Rest.guard(this::machine));
    read(bearer, router.get(API + "/storms")).handler(Rest.guard(ctx -> {
      new Params(ctx.queryParams().entries().stream().collect(grouped()), Set.of());
      ProtoHttp.send(ctx, 200, model.storms());
    }));
    read(bearer, router.get(API + "/swarms")).handler(Rest.guard(ctx -> {
      new Params(ctx.queryParams().entries().stream().collect(grouped()), Set.of());
      ProtoHttp.send(ctx, 200, model.swarms());
    }));
    if (!open) {
      // the bridge's every request (SockJS info, transports) needs the token or a ticket, before SockJS sees it
      bearer.readByTicket(router.route(BRIDGE_PATH + "/*"), tickets).handler(RoutingContext::next);
    }
    router.route(BRIDGE_PATH + "/*").subRouter(bridge());
    dashboard(router);
    Rest.errors(router, LOG, http.maxBodyBytes());
    return router;
  }

  /**
   * The dashboard: {@code /} and {@code /dashboard} redirect to {@code /dashboard/}; its pages are
   * {@link DashboardPages}, its scripts, styles and icon come from the classpath's {@code webroot/}
   * (all with {@code Cache-Control: no-cache}: a few small files, and the browser never runs an old
   * page against a new service), and {@code config.json} says where the catalog is.
   */
  private void dashboard(Router router) {
    // Vert.x matches "/dashboard" on "/dashboard/" too: only the path without its slash is redirected.
    router.route("/").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> redirect(ctx, DASHBOARD + "/"));
    router.route(DASHBOARD).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      if (ctx.request().path().equals(DASHBOARD)) {
        redirect(ctx, DASHBOARD + "/");
      } else {
        ctx.next();
      }
    });
    router.get(DASHBOARD + "/config.json").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("catalogUrl", catalogUrl).put("openReads", auth == null || auth.openReads()).encode()));
    router.route(DASHBOARD + "/").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> page(ctx, "index.html"));
    for (DashboardPages.Page page : DashboardPages.PAGES) {
      router.route(DASHBOARD + "/" + page.file()).method(HttpMethod.GET).method(HttpMethod.HEAD)
          .handler(ctx -> page(ctx, page.file()));
    }
    router.route(DASHBOARD + "/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
      ctx.next();
    }).handler(StaticHandler.create(WEBROOT).setCachingEnabled(false).setDefaultContentEncoding("UTF-8"));
  }

  private void page(RoutingContext ctx, String file) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .end(pages.get(file));
  }

  private static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, location).end();
  }

  private static java.util.stream.Collector<Map.Entry<String, String>, ?, Map<String, List<String>>> grouped() {
    return Collectors.groupingBy(Map.Entry::getKey,
        Collectors.mapping(Map.Entry::getValue, Collectors.toList()));
  }

  private static Params params(RoutingContext ctx, Set<String> known) throws ProtoHttp.BadRequest {
    return new Params(ctx.queryParams().entries().stream().collect(grouped()), known);
  }

  private static EventQuery eventQuery(Params p) throws ProtoHttp.BadRequest {
    EventQuery q = new EventQuery(p.machine("mac"), p.text("image"), p.stage("stage"), p.time("since"),
        p.time("until"));
    Params.checkRange(q.sinceMs(), q.untilMs());
    return q;
  }

  private void events(RoutingContext ctx) throws ProtoHttp.BadRequest {
    Params p = params(ctx, EVENT_PARAMS);
    EventQuery q = eventQuery(p);
    int limit = p.integer("limit", 1, options.logCapacity(), DEFAULT_LIMIT);
    ProtoHttp.send(ctx, 200, model.events(q, limit));
  }

  private void machines(RoutingContext ctx) throws ProtoHttp.BadRequest {
    Params p = params(ctx, MACHINE_PARAMS);
    MachineQuery q = new MachineQuery(p.machine("mac"), p.text("image"), p.stage("stage"), p.phase("phase"),
        p.bool("stalled"), p.time("since"), p.time("until"));
    Params.checkRange(q.sinceMs(), q.untilMs());
    int offset = p.integer("offset", 0, Integer.MAX_VALUE, 0);
    int limit = p.integer("limit", 1, MAX_MACHINES_PAGE, DEFAULT_LIMIT);
    ProtoHttp.send(ctx, 200, model.machines(q, offset, limit));
  }

  private void machine(RoutingContext ctx) throws ProtoHttp.BadRequest {
    params(ctx, Set.of());
    String key = Params.machineKey("mac", ctx.pathParam("mac"));
    model.machine(key).ifPresentOrElse(detail -> ProtoHttp.send(ctx, 200, detail),
        () -> ProtoHttp.error(ctx, 404, "no machine " + key + " (never seen, or forgotten: telemetry keeps the "
            + options.maxMachines() + " most recently seen)"));
  }

  // ----------------------------------------------------------------------- Server-Sent Events

  /** One SSE client: its filter and its response. */
  private record SseClient(EventQuery query, HttpServerResponse response) {}

  /**
   * {@code GET /api/v1/events/stream}: the matching events as they arrive, each as {@code id: <seq>} and
   * one {@code data: <json>} line; first, with {@code Last-Event-ID} the ring's matching events after
   * it, or with {@code since} the ring's latest matching ones ({@code limit}, default 100). A comment
   * line every {@code sseHeartbeatSeconds}. A client that lets {@code clientQueueBytes} pile up is
   * disconnected.
   */
  private void stream(RoutingContext ctx) throws ProtoHttp.BadRequest {
    Params p = params(ctx, STREAM_PARAMS);
    EventQuery q = eventQuery(p);
    int limit = p.integer("limit", 1, options.logCapacity(), DEFAULT_LIMIT);
    String lastId = ctx.request().getHeader("Last-Event-ID");
    List<LoggedEntry> backlog = List.of();
    if (lastId != null && lastId.trim().matches("[0-9]{1,18}")) {
      backlog = model.after(q, Long.parseLong(lastId.trim()), options.logCapacity());
    } else if (q.sinceMs() != null) {
      backlog = model.latest(q, limit);
    }
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .setWriteQueueMaxSize(options.clientQueueBytes());
    SseClient client = new SseClient(q, response);
    response.write("retry: 2000\n: telemetry events\n\n");
    for (LoggedEntry e : backlog) {
      response.write(sse(e));
    }
    sseClients.add(client);
    response.closeHandler(v -> sseClients.remove(client));
    response.exceptionHandler(err -> sseClients.remove(client));
  }

  private static String sse(LoggedEntry e) {
    return "id: " + e.seq() + "\ndata: " + Json.print(e.event()) + "\n\n";
  }

  private void publish(LoggedEntry entry) {
    if (sseClients.isEmpty()) {
      return;
    }
    String frame = null;
    for (SseClient c : List.copyOf(sseClients)) {
      if (!c.query().matches(entry)) {
        continue;
      }
      if (c.response().writeQueueFull()) {
        drop(c);
        continue;
      }
      if (frame == null) {
        frame = sse(entry);
      }
      c.response().write(frame);
    }
  }

  private void heartbeat() {
    for (SseClient c : List.copyOf(sseClients)) {
      if (c.response().writeQueueFull()) {
        drop(c);
      } else {
        c.response().write(": heartbeat\n\n");
      }
    }
  }

  private void drop(SseClient c) {
    sseClients.remove(c);
    LOG.warn("telemetry: dropping a Server-Sent-Events client that does not keep up ({} bytes unread)",
        options.clientQueueBytes());
    c.response().reset();
  }

  /** A read: open with reads open, else behind a viewer token. */
  private Route read(BearerAuth bearer, Route route) {
    return auth == null || auth.openReads() ? route : bearer.read(route);
  }

  // ---------------------------------------------------------------------------------- bridge

  /**
   * The SockJS bridge: clients may register for {@link #BRIDGED} addresses only and may send or
   * publish to none (no inbound permission: the bridge answers {@code access_denied}).
   */
  private Router bridge() {
    SockJSBridgeOptions bridge = new SockJSBridgeOptions();
    for (String address : BRIDGED) {
      bridge.addOutboundPermitted(new PermittedOptions().setAddress(address));
    }
    return SockJSHandler.create(vertx, new SockJSHandlerOptions().setInsertJSESSIONID(false))
        .bridge(bridge, this::bridgeEvent);
  }

  private void bridgeEvent(BridgeEvent event) {
    if (event.type() == BridgeEventType.SOCKET_CREATED) {
      event.socket().setWriteQueueMaxSize(options.clientQueueBytes());
    } else if (event.type() == BridgeEventType.RECEIVE) {
      if (event.socket().writeQueueFull()) {
        LOG.warn("telemetry: closing an event-bus bridge client that does not keep up");
        event.socket().close();
        event.complete(false);
        return;
      }
      JsonObject frame = event.getRawMessage();
      Object body = frame.getValue("body");
      if (body instanceof Message message) {
        frame.put("body", bridgedJson(message));
      }
    }
    event.complete(true);
  }

  /**
   * The JSON a bridge client gets for a bus message; an image event without its .torrent bytes (as
   * the catalog's listings). Every bridge client gets the same message instance: converted once.
   */
  private JsonObject bridgedJson(Message message) {
    if (message != lastBridged) {
      Message shown = message;
      if (message instanceof ImageEvent image && !image.getImage().getTorrent().isEmpty()) {
        shown = image.toBuilder().setImage(image.getImage().toBuilder().clearTorrent()).build();
      }
      lastBridgedJson = new JsonObject(Json.print(shown));
      lastBridged = message;
    }
    return lastBridgedJson;
  }
}
