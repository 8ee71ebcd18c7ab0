package io.boottorrent.catalog;

import com.google.protobuf.Message;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.StateFiles;
import io.boottorrent.core.PathRule;
import io.boottorrent.core.config.ConfigUrls;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.core.trust.CertificatePin;
import io.boottorrent.core.trust.Ed25519;
import io.boottorrent.core.trust.ImageTrust;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.BootScript;
import io.boottorrent.proto.BootScriptRequest;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.CreateTokenRequest;
import io.boottorrent.proto.CreatedToken;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TokenCheck;
import io.boottorrent.proto.TokenCheckResult;
import io.boottorrent.proto.TokenList;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.HttpServers;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ProtoHttp;
import io.boottorrent.server.Rest;
import io.boottorrent.server.Serving;
import io.boottorrent.server.Workers;
import io.boottorrent.server.auth.AuthOptions;
import io.boottorrent.server.auth.BearerAuth;
import io.boottorrent.server.auth.Roles;
import io.boottorrent.server.auth.TokenStore;
import io.boottorrent.server.auth.TokenVerifier;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image catalog service: the REST API of docs/ARCHITECTURE.md over an {@link ImageStore}, the
 * BEP 19 web seed ({@code /seed/<image>/<file>} with HTTP Range), boot assignment by
 * {@link BootPolicies}, and the boot-event ingest of agents (agents know only the catalog's URL; the
 * telemetry service keeps the events). Configured by {@link CatalogOptions} (its {@code catalog}
 * section), the process's data dir and public host, and the announce URLs of the deployment.
 *
 * <p>Event bus: publishes {@link ImageEvent} ADDED (with torrent bytes) on
 * {@link Addresses#IMAGE_ADDED} and REMOVED on {@link Addresses#IMAGE_REMOVED}, republishes every
 * ingested {@link BootEvent} on {@link Addresses#BOOT_EVENT}, and answers {@link Addresses#IMAGE_LIST}
 * requests with an {@link ImageList} with torrent bytes, {@link Addresses#POLICY} requests with the
 * {@link BootPolicy} and {@link Addresses#TOKEN_CHECK} requests with the token a secret's hash belongs to:
 * image metadata, policy and who a token is are reachable from every member of the cluster.
 *
 * <p>Writes need a bearer token ({@link BearerAuth}, tokens in {@code <dataDir>/catalog/tokens.pb}):
 * images and the policy {@code operator}, tokens ({@code /api/v1/tokens}) {@code admin}; what booting
 * machines read and the event ingest stay open, the other reads follow {@code auth.openReads}
 * (docs/SECURITY.md "Authentication"). The first start on a data dir without a token store writes an
 * admin token to {@code <dataDir>/catalog/admin.token} (mode 0600) and logs where, never the token.
 * Boot events pass {@link EventIngest} (rate per source, one source per MAC); boot profiles, also open
 * ({@code /api/v1/images/{name}/boot-profile}: agents post and read them, an operator deletes them), take
 * from the same per-source rate and are checked by {@link BootProfiles}.
 *
 * <p>Deploy one instance per data dir: the store locks it, so a second instance fails to start.
 * Disk work (adds, deletes, policy writes, start-up recovery) runs on worker threads; the event
 * loop only reads the store's in-memory state.
 */
public class CatalogVerticle extends VerticleBase implements Serving {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogVerticle.class);

  public static final String BITTORRENT = "application/x-bittorrent";
  public static final String API = "/api/v1";
  /**
   * Worker pool for the store's disk work. Its own pool, so that importing a multi-GB image (minutes
   * of copying and hashing) neither starves other verticles' executeBlocking calls nor trips the
   * blocked-thread warning of the default pool (60 s).
   */
  public static final String WORKER_POOL = "boottorrent-catalog-io";
  public static final int WORKER_POOL_SIZE = 4;
  /**
   * Worker pool of the imports ({@code catalog.importWorkers} threads): apart from {@link #WORKER_POOL},
   * so that policy writes, deletes and token changes never queue behind imports that take minutes.
   */
  public static final String IMPORT_POOL = "boottorrent-catalog-import";
  /** How often the progress of running imports is logged. */
  static final long IMPORT_LOG_MS = 10_000;
  public static final long MAX_IO_MINUTES = 120;
  static final long KEY_EXPIRY_CHECK_MS = 3_600_000;
  /** How long a boot event waits for telemetry's "recorded" (a journal group commit takes milliseconds). */
  static final long RECORD_TIMEOUT_MS = 5_000;
  /** What {@code ?nonce=} on a boot request may be: what the agent sends is 32 hex digits. */
  static final java.util.regex.Pattern NONCE = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{16,128}");

  private final Map<String, LongAdder> webSeedBytes = new ConcurrentHashMap<>();
  /** Places of the machines in each image's storm (catalog.autoStripes); the event loop only. */
  private final StormArrivals arrivals;
  /** The same per image in the process's meter registry ({@code boottorrent_catalog_webseed_bytes_total}). */
  private final Map<String, Counter> webSeedCounters = new ConcurrentHashMap<>();
  private final CatalogOptions options;
  private final ProcessOptions process;
  private final List<String> announceUrls;
  private final AuthOptions auth;
  private final HttpLimits http;
  private final EventIngest ingest;
  /** A telemetry has recorded an event for us: from now on, none is acknowledged unless recorded. */
  private boolean telemetrySeen;
  private WorkerExecutor io;
  private WorkerExecutor imports;
  /** Imports asked for and not finished, by image name ({@code GET /api/v1/imports}). */
  private final Map<String, ImportProgress> importing = new ConcurrentHashMap<>();
  private long importLogTimer = -1;
  private volatile ImageStore store;
  /** The key ring when catalog.signing is on, else null. */
  private volatile SigningKeys keys;
  /** Signed manifests as served, by image name; an entry holds for one version and one set of signing keys. */
  private final Map<String, ImageManifest> signedManifests = new ConcurrentHashMap<>();
  private long keyExpiryTimer = -1;
  private volatile TokenStore tokens;
  /** The plain-HTTP server (everything, or with TLS only /boot/ and /seed/). */
  private volatile HttpServer server;
  /** The TLS server with catalog.tlsCert, else null. */
  private volatile HttpServer tlsServer;
  /** SHA-256 of the TLS certificate (the chain's first), with catalog.tlsCert; else null. */
  private volatile String certSha256;

  /**
   * @param announceUrls the tracker URLs new torrents name ({@code ServiceLinks.announceUrls}: the
   *     configured ones, else this deployment's tracker)
   */
  public CatalogVerticle(CatalogOptions options, ProcessOptions process, List<String> announceUrls,
      AuthOptions auth) {
    this(options, process, announceUrls, auth, HttpLimits.defaults());
  }

  /** @param http the limits both of its servers apply (the {@code http} section) */
  public CatalogVerticle(CatalogOptions options, ProcessOptions process, List<String> announceUrls,
      AuthOptions auth, HttpLimits http) {
    this.http = http;
    this.options = options;
    this.process = process;
    this.announceUrls = List.copyOf(announceUrls);
    this.auth = auth;
    this.ingest = EventIngest.of(options);
    this.arrivals = new StormArrivals(options.stormWindowSeconds() * 1000L);
  }

  /** Where the catalog's token store (and the first admin token) live: {@code <dataDir>/catalog}. */
  public static Path tokenDir(Path dataDir) {
    return dataDir.resolve("catalog");
  }

  @Override
  public Future<?> start() {
    Codecs.registerAll(vertx.eventBus());
    io = vertx.createSharedWorkerExecutor(WORKER_POOL, WORKER_POOL_SIZE, MAX_IO_MINUTES, TimeUnit.MINUTES);
    io.executeBlocking(() -> {
      PathRule.warnIfHardlinksUnprotected(); // reads /proc: not on the event loop
      return null;
    }, false);
    imports = vertx.createSharedWorkerExecutor(IMPORT_POOL, options.importWorkers(), MAX_IO_MINUTES, TimeUnit.MINUTES);
    importLogTimer = vertx.setPeriodic(IMPORT_LOG_MS, id -> {
      long now = System.currentTimeMillis();
      importing.values().forEach(p -> LOG.info("importing image {}: {}", p.name(), p.describe(now)));
    });
    return io.executeBlocking(() -> ImageStore.open(storeSettings()))
        .compose(opened -> {
          store = opened;
          StateFiles.report(vertx, opened.setAside());
          return !options.signing() ? Future.succeededFuture(opened)
              : io.executeBlocking(() -> SigningKeys.open(SigningKeys.fileIn(process.dataDir()), Clock.systemUTC()))
                  .map(ring -> {
                    keys = ring;
                    LOG.info("signing manifests and boot tickets with key(s) {}", ring.signingFingerprints());
                    // Erases the private half of rotated-out keys once their overlap is over.
                    keyExpiryTimer = vertx.setPeriodic(KEY_EXPIRY_CHECK_MS, id -> io.executeBlocking(() -> {
                      ring.expire();
                      return null;
                    }, false));
                    return opened;
                  });
        })
        .compose(opened -> options.tls().isEmpty() ? Future.succeededFuture(opened)
            : vertx.fileSystem().readFile(options.tls().get().cert().toString())
                .recover(e -> Future.failedFuture(new IllegalStateException("catalog.tlsCert: cannot read "
                    + options.tls().get().cert() + ": " + e.getMessage(), e)))
                .map(pem -> {
                  certSha256 = CertificatePin.fingerprintOfPem(pem.toString(
                      java.nio.charset.StandardCharsets.US_ASCII), "catalog.tlsCert " + options.tls().get().cert());
                  return opened;
                }))
        .compose(opened -> io.executeBlocking(this::openTokens))
        .compose(openedTokens -> {
          tokens = openedTokens;
          StateFiles.report(vertx, openedTokens.setAside().stream().toList());
          ImageStore opened = store;
          MessageConsumer<BootEvent> leases = vertx.eventBus().consumer(Addresses.BOOT_EVENT, m -> learnLease(m.body()));
          MessageConsumer<Object> imageList = vertx.eventBus().consumer(Addresses.IMAGE_LIST, this::replyImageList);
          MessageConsumer<Object> policy = vertx.eventBus().consumer(Addresses.POLICY, m -> m.reply(store.policy()));
          MessageConsumer<TokenCheck> tokenCheck = vertx.eventBus().consumer(Addresses.TOKEN_CHECK, this::checkToken);
          MessageConsumer<BootScriptRequest> script = vertx.eventBus().consumer(Addresses.BOOT_SCRIPT, this::bootScript);
          Router api = router();
          Future<?> listen = options.tls().isEmpty()
              ? HttpServers.create(vertx, Optional.empty(), http, options.uploadLimit(), api)
                  .listen(options.httpPort(), options.host())
                  .onSuccess(s -> {
                    server = s;
                    LOG.info("catalog listening on {}:{} (data dir {}, import roots {}, trackers {})", options.host(),
                        s.actualPort(), process.dataDir(), opened.settings().effectiveImportRoots(), announceUrls);
                  })
              : HttpServers.create(vertx, options.tls(), http, options.uploadLimit(), api)
                  .listen(options.httpsPort(), options.host())
                  .recover(e -> Future.failedFuture(new IllegalStateException("catalog: cannot serve TLS on port "
                      + options.httpsPort() + " with catalog.tlsCert " + options.tls().get().cert() + " and catalog.tlsKey "
                      + options.tls().get().key() + ": " + e.getMessage(), e)))
                  .compose(s -> {
                    tlsServer = s;
                    return HttpServers.create(vertx, Optional.empty(), http, options.uploadLimit(), plainRouter())
                        .listen(options.httpPort(), options.host());
                  })
                  .onSuccess(s -> {
                    server = s;
                    LOG.info("catalog listening on https://{}:{} (certificate SHA-256 {}), plain HTTP for /boot/ and "
                        + "/seed/ on {}:{} (data dir {}, import roots {}, trackers {})", options.host(),
                        tlsServer.actualPort(), certSha256, options.host(), s.actualPort(), process.dataDir(),
                        opened.settings().effectiveImportRoots(), announceUrls);
                  });
          return Future.all(List.of(imageList.completion(), policy.completion(), leases.completion(),
              tokenCheck.completion(), script.completion(), listen));
        })
        .recover(failure -> closeStore().transform(closed -> Future.failedFuture(failure)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(keyExpiryTimer);
    vertx.cancelTimer(importLogTimer);
    return closeStore();
  }

  private Future<Void> closeStore() {
    ImageStore images = store;
    TokenStore t = tokens;
    return Workers.closeOn(io, () -> {
      try (ImageStore i = images; TokenStore k = t) {
        // both closed, tokens first
      }
    }).eventually(imports::close);
  }

  /** On a worker: the token store, and on its first start the admin token's file. */
  private TokenStore openTokens() throws java.io.IOException {
    TokenStore opened = TokenStore.open(tokenDir(process.dataDir()));
    try {
      opened.bootstrap().ifPresent(file -> LOG.info("no token store yet: created admin token '{}' in {} "
          + "(readable by this user only; use it with `boottorrent tokens create`, then delete the file)",
          TokenStore.BOOTSTRAP_NAME, file));
      return opened;
    } catch (java.io.IOException | RuntimeException e) {
      opened.close();
      throw e;
    }
  }

  /** The port the plain-HTTP server listens on; -1 before it does. */
  public int actualPort() {
    HttpServer s = server;
    return s == null ? -1 : s.actualPort();
  }

  /** For /health: the plain and the TLS port. */
  @Override
  public List<java.net.InetSocketAddress> listening() {
    List<java.net.InetSocketAddress> out = new ArrayList<>();
    for (HttpServer s : new HttpServer[] {server, tlsServer}) {
      if (s != null) {
        out.add(java.net.InetSocketAddress.createUnresolved(options.host(), s.actualPort()));
      }
    }
    return out;
  }

  /** For /health: where images, manifests, the policy and the tokens are written. */
  @Override
  public List<Path> writableDirs() {
    return List.of(process.dataDir().resolve("catalog"));
  }

  /** The port the TLS server listens on; -1 before it does or without catalog.tlsCert. */
  public int actualHttpsPort() {
    HttpServer s = tlsServer;
    return s == null ? -1 : s.actualPort();
  }

  /** SHA-256 of the catalog's TLS certificate (what agents pin), empty without TLS. */
  public Optional<String> certificateSha256() {
    return Optional.ofNullable(certSha256);
  }

  /** The API's URL as machines reach it: https with TLS, else the plain port. */
  String apiUrl() {
    if (options.tls().isEmpty()) {
      return ConfigUrls.httpBase(process.publicHost(), webSeedPort());
    }
    int port = actualHttpsPort();
    return ConfigUrls.httpsBase(process.publicHost(), port > 0 ? port : options.httpsPort());
  }

  private int webSeedPort() {
    int port = actualPort();
    return port > 0 ? port : options.httpPort();
  }

  /** The web seed's URL is asked at each add: with httpPort 0 the port is known only after listen. */
  private ImageStore.Settings storeSettings() {
    return new ImageStore.Settings(process.dataDir(), options.importRoots(), announceUrls,
        () -> options.webSeed()
            ? List.of(ConfigUrls.httpBase(process.publicHost(), webSeedPort()) + CatalogOptions.SEED_PATH)
            : List.of(),
        options.pieceLength(), options.defaultMenuTimeoutSeconds(), options.limits());
  }

  // ------------------------------------------------------------------------------------- routing

  Router router() {
    Router router = Router.router(vertx);
    BearerAuth bearer = new BearerAuth(TokenVerifier.of(tokens), auth);
    // The read-only API may be read from any page (the telemetry dashboard, on its own port): CORS for
    // GET (and its preflight) only; a browser is never allowed to add, delete or change anything.
    router.route(API + "/*").method(HttpMethod.GET).method(HttpMethod.OPTIONS)
        .handler(CorsHandler.create().addOrigin("*").allowedMethod(HttpMethod.GET).allowedHeader("Accept")
            .allowedHeader("Authorization"));
    // An event body announced larger than catalog.maxEventBytes is refused before it is read; a chunked
    // one is read up to http.maxBodyBytes and then measured (postEvent).
    router.post(API + "/events").handler(Rest.guard(ctx -> {
      String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
      if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19) {
        ingest.checkSize(Long.parseLong(length));
      }
      ctx.next();
    }));
    // Bodies are JSON or protobuf: a form would be decoded by BodyHandler (and a multipart one on a GET throws)
    router.route(API + "/*").handler(ctx -> {
      String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("multipart/") || lower.startsWith("application/x-www-form-urlencoded")) {
        ctx.fail(new ProtoHttp.BadRequest(415, "request bodies are JSON (" + ProtoHttp.JSON + ") or protobuf ("
            + ProtoHttp.PROTOBUF + "), not " + lower.split(";", 2)[0]));
      } else {
        ctx.next();
      }
    });
    router.route(API + "/*").handler(BodyHandler.create(false).setBodyLimit(http.maxBodyBytes()));
    // writes: a token with a role
    bearer.require(router.post(API + "/images"), Role.OPERATOR).handler(Rest.guard(this::addImage));
    bearer.require(router.delete(API + "/images/:name"), Role.OPERATOR).handler(Rest.guard(this::deleteImage));
    bearer.require(router.put(API + "/policy"), Role.OPERATOR).handler(Rest.guard(this::putPolicy));
    bearer.require(router.post(API + "/tokens"), Role.ADMIN).handler(Rest.guard(this::createToken));
    bearer.require(router.get(API + "/tokens"), Role.ADMIN).handler(Rest.guard(this::listTokens));
    bearer.require(router.delete(API + "/tokens/:id"), Role.ADMIN).handler(Rest.guard(this::revokeToken));
    // what booting machines need: open to the boot network (agents and firmware have no token)
    router.get(API + "/images/:name").handler(Rest.guard(this::showImage));
    router.get(API + "/images/:name/torrent").handler(Rest.guard(this::torrent));
    router.get(API + "/boot/:mac").handler(Rest.guard(this::boot));
    router.post(API + "/events").handler(Rest.guard(this::postEvent));
    router.get(API + "/images/:name/boot-profile").handler(Rest.guard(this::showBootProfile));
    router.post(API + "/images/:name/boot-profile").handler(Rest.guard(this::postBootProfile));
    bearer.require(router.delete(API + "/images/:name/boot-profile"), Role.OPERATOR)
        .handler(Rest.guard(this::deleteBootProfile));
    // other reads: open or viewer, as auth.openReads says
    bearer.read(router.get(API + "/images")).handler(Rest.guard(this::listImages));
    bearer.read(router.get(API + "/policy")).handler(Rest.guard(ctx -> ProtoHttp.send(ctx, 200, store.policy())));
    bearer.read(router.get(API + "/stats")).handler(Rest.guard(this::stats));
    bearer.read(router.get(API + "/imports")).handler(Rest.guard(this::listImports));
    router.get(API + "/keys").handler(Rest.guard(this::showKeys));
    bearer.require(router.post(API + "/keys/rotate"), Role.ADMIN).handler(Rest.guard(this::rotateKeys));
    mountBootAndSeed(router);
    Rest.errors(router, LOG, http.maxBodyBytes());
    return router;
  }

  /**
   * The plain-HTTP port's routes with TLS on: what cannot do https here, firmware and iPXE ({@code /boot/})
   * and libtorrent's web seed ({@code /seed/}); anything else is a 404 naming the API's https URL.
   */
  Router plainRouter() {
    Router router = Router.router(vertx);
    mountBootAndSeed(router);
    router.route().handler(ctx -> ctx.fail(CatalogException.notFound("this port serves only /boot/ and "
        + CatalogOptions.SEED_PATH + " over plain HTTP; the API is at " + apiUrl() + " (catalog.tlsCert is set)")));
    Rest.errors(router, LOG, http.maxBodyBytes());
    return router;
  }

  private void mountBootAndSeed(Router router) {
    router.route(HttpMethod.GET, CatalogOptions.SEED_PATH + "*").handler(Rest.guard(this::seed));
    router.route(HttpMethod.HEAD, CatalogOptions.SEED_PATH + "*").handler(Rest.guard(this::seed));
    new BootHttp(vertx, options.bootRoots(process.dataDir()), this::clientCmdline, process.publicHost())
        .mount(router, this::webSeedPort, this::apiUrl);
  }

  private static <B extends Message.Builder> B parse(RoutingContext ctx, B builder) throws ProtoHttp.BadRequest {
    try {
      return ProtoHttp.parse(ctx, builder);
    } catch (RuntimeException e) {
      throw new ProtoHttp.BadRequest("malformed " + builder.getDescriptorForType().getName() + ": " + e.getMessage());
    }
  }

  // -------------------------------------------------------------------------------------- images

  private void addImage(RoutingContext ctx) throws ProtoHttp.BadRequest {
    AddImageRequest request = parse(ctx, AddImageRequest.newBuilder()).build();
    ImportProgress progress = new ImportProgress(request.getName(), System.currentTimeMillis());
    // a second add of a name being imported gets its 409 from the store; the first one's progress stays
    boolean listed = !request.getName().isEmpty() && importing.putIfAbsent(request.getName(), progress) == null;
    imports.executeBlocking(() -> store.add(request, progress), false)
        .onComplete(done -> {
          if (listed) {
            importing.remove(request.getName(), progress);
          }
        })
        .onSuccess(manifest -> {
          vertx.eventBus().publish(Addresses.IMAGE_ADDED,
              ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(manifest).build());
          ctx.response().putHeader(HttpHeaders.LOCATION, API + "/images/" + manifest.getName());
          ProtoHttp.send(ctx, 201, served(manifest));
        })
        .onFailure(ctx::fail);
  }

  /** {@code GET /api/v1/imports}: the adds not finished yet, oldest first, with how far each has got. */
  private void listImports(RoutingContext ctx) {
    long now = System.currentTimeMillis();
    io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
    importing.values().stream().map(p -> p.toJson(now))
        .sorted(java.util.Comparator.comparingLong(j -> j.getLong("startedAtMs")))
        .forEach(list::add);
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ProtoHttp.JSON)
        .end(new JsonObject().put("imports", list).encode());
  }

  private void listImages(RoutingContext ctx) {
    ImageList.Builder list = ImageList.newBuilder();
    for (ImageManifest m : store.list()) {
      list.addImages(served(m));
    }
    ProtoHttp.send(ctx, 200, list.build());
  }

  private void showImage(RoutingContext ctx) {
    ProtoHttp.send(ctx, 200, served(image(ctx)));
  }

  private void torrent(RoutingContext ctx) {
    ImageManifest m = image(ctx);
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, BITTORRENT)
        .putHeader("Content-Disposition", "attachment; filename=\"" + m.getName() + ".torrent\"")
        .end(Buffer.buffer(m.getTorrent().toByteArray()));
  }

  private void deleteImage(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    io.executeBlocking(() -> store.delete(name), false)
        .onSuccess(removed -> {
          vertx.eventBus().publish(Addresses.IMAGE_REMOVED,
              ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED).setImage(withoutTorrent(removed)).build());
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private ImageManifest image(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    return store.get(name).orElseThrow(() -> CatalogException.notFound("no image named '" + name + "'"));
  }

  /** Whose secret has this SHA-256, for services without a token store (memory only: on the event loop). */
  private void checkToken(io.vertx.core.eventbus.Message<TokenCheck> request) {
    TokenCheckResult.Builder result = TokenCheckResult.newBuilder();
    tokens.authenticateHash(request.body().getSecretSha256()).ifPresent(t -> result.setFound(true).setToken(t));
    request.reply(result.build());
  }

  private void replyImageList(io.vertx.core.eventbus.Message<Object> request) {
    request.reply(ImageList.newBuilder().addAllImages(store.list()).build());
  }

  static ImageManifest withoutTorrent(ImageManifest m) {
    return m.getTorrent().isEmpty() ? m : m.toBuilder().clearTorrent().build();
  }

  /**
   * {@code catalog.boot.script}: the GRUB config the TFTP service serves on the Secure Boot path, with
   * this catalog's URL, the client command line and the pinned keys (whether the client image is in the
   * TFTP root is the TFTP service's to know; GRUB says so on the console when a file is missing).
   */
  private void bootScript(io.vertx.core.eventbus.Message<BootScriptRequest> request) {
    if (!"grub".equals(request.body().getKind())) {
      request.fail(400, "unknown boot script kind '" + request.body().getKind() + "' (expected grub)");
      return;
    }
    String base = ConfigUrls.httpBase(process.publicHost(), webSeedPort());
    request.reply(BootScript.newBuilder()
        .setText(GrubScript.render(base, apiUrl(), request.body().getMac(), clientCmdline(), true)).build());
  }

  // ------------------------------------------------------------------------------------ signing

  /**
   * catalog.clientCmdline, with catalog.pinKeysOnCmdline the fingerprints of the keys that sign now,
   * and with TLS and catalog.pinCertOnCmdline the SHA-256 of the TLS certificate.
   */
  String clientCmdline() {
    SigningKeys ring = keys;
    String cmdline = options.clientCmdline().trim();
    if (ring != null && options.pinKeysOnCmdline()) {
      cmdline += " boottorrent.keys=" + String.join(",", ring.signingFingerprints());
    }
    String cert = certSha256;
    if (cert != null && options.pinCertOnCmdline()) {
      cmdline += " boottorrent.catalog_cert=" + cert;
    }
    return cmdline.trim();
  }

  /**
   * The manifest as the API serves it: without torrent bytes, and signed by the keys that sign now
   * when catalog.signing is on. Signatures are made once per image version and key set (an Ed25519
   * signature costs well under a millisecond; the cache keeps storms from paying it per request).
   */
  ImageManifest served(ImageManifest m) {
    SigningKeys ring = keys;
    ImageManifest plain = withoutTorrent(m);
    if (ring == null) {
      return plain;
    }
    List<String> signers = ring.signingFingerprints();
    ImageManifest cached = signedManifests.get(m.getName());
    if (cached != null && cached.getVersion() == m.getVersion() && signedBy(cached).equals(signers)) {
      return cached;
    }
    ImageManifest signed = ImageTrust.sign(plain, ring.signing());
    signedManifests.put(m.getName(), signed);
    return signed;
  }

  private static List<String> signedBy(ImageManifest m) {
    return m.getSigned().getSignaturesList().stream()
        .map(s -> Ed25519.fingerprint(s.getPublicKey().toByteArray()))
        .toList();
  }

  /** {@code GET /api/v1/keys}: the public keys, which sign now, and when the retired ones stop. */
  private void showKeys(RoutingContext ctx) {
    SigningKeys ring = keys;
    if (ring == null) {
      throw CatalogException.notFound("catalog.signing is off: this catalog signs nothing");
    }
    ProtoHttp.send(ctx, 200, ring.publicView());
  }

  /** {@code POST /api/v1/keys/rotate}: a new active key; the previous one signs beside it for catalog.keyOverlapDays. */
  private void rotateKeys(RoutingContext ctx) {
    SigningKeys ring = keys;
    if (ring == null) {
      throw CatalogException.notFound("catalog.signing is off: there are no keys to rotate");
    }
    io.executeBlocking(() -> ring.rotate(Duration.ofDays(options.keyOverlapDays())), false)
        .onSuccess(fresh -> {
          signedManifests.clear();
          ProtoHttp.send(ctx, 200, ring.publicView());
        })
        .onFailure(ctx::fail);
  }

  // ------------------------------------------------------------------------------ boot and policy

  /**
   * {@code GET /api/v1/boot/{mac}[?nonce=N[&image=NAME]]}: the machine's assignment, its menu's
   * manifests signed. With a nonce (and signing on) also a boot ticket signed over that nonce, naming
   * the current manifest of every menu image and of {@code image} (an image configured on the machine
   * and outside its menu), so that the agent can tell a replayed older manifest.
   */
  private void boot(RoutingContext ctx) {
    List<ImageManifest> images = store.list().stream().map(this::served).toList();
    BootAssignment assigned = BootPolicies.assign(store.policy(), ctx.pathParam("mac"), images);
    String extra = ctx.request().getParam("image");
    BootAssignment assignment = numbered(assigned, extra);
    String nonce = ctx.request().getParam("nonce");
    SigningKeys ring = keys;
    if (nonce == null || ring == null) {
      ProtoHttp.send(ctx, 200, assignment);
      return;
    }
    if (!NONCE.matcher(nonce).matches()) {
      throw CatalogException.badRequest("nonce must be 16-128 characters of A-Z a-z 0-9 _ -");
    }
    List<ImageManifest> named = new ArrayList<>(assignment.getMenuList());
    if (extra != null && assignment.getMenuList().stream().noneMatch(m -> m.getName().equals(extra))) {
      store.get(extra).map(this::served).ifPresent(named::add);
    }
    vertx.executeBlocking(() -> ImageTrust.ticket(assignment.getMac(), nonce, System.currentTimeMillis(), named,
            ring.signing()), false)
        .onSuccess(ticket -> ProtoHttp.send(ctx, 200, assignment.toBuilder().setTicket(ticket).build()))
        .onFailure(ctx::fail);
  }

  /**
   * {@code assigned} with the machine's place in the storm of the image it will boot (the one it
   * names, else its default), unless a group rule already gave it a stripe or autoStripes is off.
   */
  private BootAssignment numbered(BootAssignment assigned, String named) {
    String image = named != null && !named.isBlank() ? named : assigned.getDefaultImage();
    if (!options.autoStripes() || assigned.getStripeCount() > 0 || image.isEmpty() || store.get(image).isEmpty()) {
      return assigned;
    }
    return assigned.toBuilder().setArrival(arrivals.place(image, assigned.getMac(), System.currentTimeMillis())).build();
  }

  private void putPolicy(RoutingContext ctx) throws ProtoHttp.BadRequest {
    BootPolicy requested = parse(ctx, BootPolicy.newBuilder()).build();
    io.executeBlocking(() -> store.putPolicy(requested), false)
        .onSuccess(stored -> ProtoHttp.send(ctx, 200, stored))
        .onFailure(ctx::fail);
  }

  // -------------------------------------------------------------------------------------- tokens

  private void createToken(RoutingContext ctx) throws ProtoHttp.BadRequest {
    CreateTokenRequest request = parse(ctx, CreateTokenRequest.newBuilder()).build();
    String by = BearerAuth.token(ctx).getId();
    io.executeBlocking(() -> {
      try {
        return tokens.create(request.getName(), request.getRole());
      } catch (IllegalArgumentException e) {
        throw CatalogException.badRequest(e.getMessage());
      }
    }, false)
        .onSuccess(created -> {
          LOG.info("token {} '{}' ({}) created by token {}", created.token().getId(), created.token().getName(),
              Roles.name(created.token().getRole()), by);
          ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
          ProtoHttp.send(ctx, 201, CreatedToken.newBuilder().setToken(created.token()).setSecret(created.secret()).build());
        })
        .onFailure(ctx::fail);
  }

  private void listTokens(RoutingContext ctx) {
    ProtoHttp.send(ctx, 200, TokenList.newBuilder().addAllTokens(tokens.list()).build());
  }

  private void revokeToken(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String by = BearerAuth.token(ctx).getId();
    io.executeBlocking(() -> tokens.revoke(id), false)
        .onSuccess(revoked -> {
          if (revoked.isEmpty()) {
            ctx.fail(CatalogException.notFound("no token with id '" + id + "'"));
            return;
          }
          LOG.info("token {} '{}' revoked by token {}", id, revoked.get().getName(), by);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  // ------------------------------------------------------------------------------- boot profiles

  /**
   * {@code GET /api/v1/images/{name}/boot-profile}: the pieces the first streaming boot of the image
   * read first, for agents to prefetch; 404 without one (the store never serves one recorded on an
   * earlier torrent of that name: {@link ImageStore#bootProfile}).
   */
  private void showBootProfile(RoutingContext ctx) {
    ImageManifest m = image(ctx);
    Optional<BootProfile> profile = store.bootProfile(m.getName());
    if (profile.isEmpty()) {
      throw CatalogException.notFound("image " + m.getName() + " has no boot profile yet");
    }
    ProtoHttp.send(ctx, 200, profile.get());
  }

  /**
   * {@code POST /api/v1/images/{name}/boot-profile}: an agent's profile, open like the events and
   * rate-limited with them; the first valid one for the image's torrent is kept ({@link ImageStore#putBootProfile}).
   */
  private void postBootProfile(RoutingContext ctx) throws ProtoHttp.BadRequest {
    String source = ctx.request().remoteAddress().hostAddress();
    try {
      ingest.admitPost("boot profiles", source, System.nanoTime());
    } catch (CatalogException e) {
      ctx.response().putHeader("Retry-After", Long.toString(ingest.retryAfterSeconds(source)));
      throw e;
    }
    String name = ctx.pathParam("name");
    BootProfile posted = parse(ctx, BootProfile.newBuilder()).build();
    io.executeBlocking(() -> store.putBootProfile(name, posted, options.bootProfileMaxPieces()), false)
        .onSuccess(stored -> {
          ctx.response().putHeader(HttpHeaders.LOCATION, API + "/images/" + name + "/boot-profile");
          ProtoHttp.send(ctx, 201, stored);
        })
        .onFailure(ctx::fail);
  }

  /** {@code DELETE /api/v1/images/{name}/boot-profile} (operator): the next profile posted is taken. */
  private void deleteBootProfile(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    io.executeBlocking(() -> store.deleteBootProfile(name), false)
        .onSuccess(deleted -> {
          if (deleted.isEmpty()) {
            ctx.fail(CatalogException.notFound("image " + name + " has no boot profile"));
            return;
          }
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  // -------------------------------------------------------------------------------------- events

  /**
   * {@code POST /api/v1/events}: an agent's event, checked (MAC, stage) and published on
   * {@code boot.event}; telemetry records it, the catalog keeps nothing of it.
   */
  private void postEvent(RoutingContext ctx) throws ProtoHttp.BadRequest {
    long bodyBytes = ctx.body().length();
    ingest.checkSize(bodyBytes);
    BootEvent.Builder event = parse(ctx, BootEvent.newBuilder());
    event.setMac(BootPolicies.machine(event.getMac()).canonical());
    if (event.getStage() == BootStage.BOOT_STAGE_UNSPECIFIED) {
      throw CatalogException.badRequest("stage is required");
    }
    String source = ctx.request().remoteAddress().hostAddress();
    try {
      ingest.admit(event, bodyBytes, source, System.currentTimeMillis(), System.nanoTime());
    } catch (CatalogException e) {
      if (e.status() == 429) {
        ctx.response().putHeader("Retry-After", Long.toString(ingest.retryAfterSeconds(source, bodyBytes)));
      }
      throw e;
    }
    if (event.getTimestampMs() == 0) {
      event.setTimestampMs(System.currentTimeMillis());
    }
    BootEvent built = event.build();
    // 202 means recorded: telemetry has written the event to its journal (catalog.event.record) before we
    // say so, and while telemetry is down (restarting) the agent gets 503 and sends it again later.
    vertx.eventBus().request(Addresses.BOOT_EVENT_RECORD, built, new DeliveryOptions().setSendTimeout(RECORD_TIMEOUT_MS))
        .onSuccess(reply -> {
          telemetrySeen = true;
          publishEvent(built, reply.headers().get(Addresses.RECORDED_BY));
          ctx.response().setStatusCode(202).end();
        })
        .onFailure(e -> {
          if (!telemetrySeen && e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
            // No telemetry has answered since this catalog started (an installation without one, or its
            // first seconds): published for whoever subscribes, as without telemetry there is no record.
            publishEvent(built, null);
            ctx.response().setStatusCode(202).end();
            return;
          }
          ctx.response().putHeader("Retry-After", "2");
          ProtoHttp.error(ctx, 503, "boot event not recorded: telemetry did not confirm it ("
              + (e instanceof ReplyException r ? r.failureType().name().toLowerCase(java.util.Locale.ROOT) : "failed")
              + "); send it again");
        });
  }

  /** On boot.event for every subscriber; {@code recordedBy}: the telemetry instance that has it already. */
  private void publishEvent(BootEvent event, String recordedBy) {
    DeliveryOptions options = new DeliveryOptions();
    if (recordedBy != null) {
      options.addHeader(Addresses.RECORDED_BY, recordedBy);
    }
    vertx.eventBus().publish(Addresses.BOOT_EVENT, event, options);
  }

  /** A DHCP lease from our DHCP server (over the bus): that MAC's events come from that address now. */
  private void learnLease(BootEvent event) {
    if (event.getStage() == BootStage.DHCP_LEASE && !event.getIp().isEmpty()) {
      MacAddress.tryParse(event.getMac()).ifPresent(mac -> ingest.leased(mac.canonical(), event.getIp(),
          System.currentTimeMillis()));
    }
  }

  private void stats(RoutingContext ctx) {
    JsonObject bytes = new JsonObject();
    new TreeMap<>(webSeedBytes).forEach((image, counter) -> bytes.put(image, counter.sum()));
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, ProtoHttp.JSON)
        .end(new JsonObject().put("webSeedBytes", bytes).put("images", store.list().size()).encode());
  }

  // ------------------------------------------------------------------------------------ web seed

  /**
   * {@code GET|HEAD /seed/<image>/<file>}, and {@code /seed/<image>} for an image of one file: a file
   * of a stored image, whole or one byte range. Only
   * files the image's manifest lists are served, and only through the one {@link PathRule} (decoded
   * once; a symlink or someone else's hard link planted in the payload folder is a 403).
   */
  private void seed(RoutingContext ctx) throws PathRule.Refused {
    List<String> segments;
    try {
      segments = PathRule.segments(PathRule.decodeOnce(BootHttp.after(ctx.normalizedPath(), CatalogOptions.SEED_PATH)));
    } catch (PathRule.Refused e) {
      throw BootHttp.refused(e);
    }
    String name = segments.get(0);
    Optional<ImageManifest> manifest = store.get(name);
    // BEP 19: a single-file torrent's web seed URL names the file itself. Our one-file images are a
    // folder holding one file, which libtorrent 2.0.6 (arvidn/libtorrent#3519) and so qBittorrent and
    // Deluge treat as a single file: they ask for /seed/<image>, which therefore is that file.
    String fileName = segments.size() == 2 ? segments.get(1)
        : segments.size() == 1 && manifest.map(m -> m.getFilesCount() == 1).orElse(false)
            ? manifest.get().getFiles(0).getPath() : "";
    Optional<ImageFile> file = manifest.flatMap(m -> m.getFilesList().stream()
        .filter(f -> f.getPath().equals(fileName))
        .findFirst());
    if (file.isEmpty()) {
      throw CatalogException.notFound("no file '" + fileName + "' in image '" + name + "'");
    }
    vertx.executeBlocking(() -> store.payloadRule().find(List.of(name, fileName)), false)
        .onSuccess(found -> seed(ctx, name, file.get(), found.file()))
        .onFailure(err -> ctx.fail(err instanceof PathRule.Refused r ? BootHttp.refused(r) : err));
  }

  private void seed(RoutingContext ctx, String name, ImageFile file, Path path) {
    long size = file.getSize();
    String etag = "\"" + file.getSha256() + "\"";
    String ifRange = ctx.request().getHeader("If-Range");
    ByteRange range = ifRange != null && !ifRange.trim().equals(etag)
        ? ByteRange.whole(size)
        : ByteRange.parse(ctx.request().getHeader("Range"), size);

    HttpServerResponse response = ctx.response()
        .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes")
        .putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
    if (!range.satisfiable()) {
      response.setStatusCode(416).putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size).end();
      return;
    }
    if (range.partial()) {
      response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE, range.contentRange(size));
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(range.length())).end();
      return;
    }
    response.sendFile(path.toString(), range.offset(), range.length())
        .onSuccess(v -> {
          webSeedBytes.computeIfAbsent(name, k -> new LongAdder()).add(range.length());
          webSeedCounter(name).increment(range.length());
        })
        .onFailure(err -> LOG.warn("web seed {}/{} [{}+{}] failed: {}", name, file.getPath(), range.offset(),
            range.length(), err.toString()));
  }

  private Counter webSeedCounter(String image) {
    return webSeedCounters.computeIfAbsent(image, name -> Counter.builder("boottorrent.catalog.webseed")
        .baseUnit("bytes").description("Bytes the BEP 19 web seed served, by image").tag("image", name)
        .register(Meters.registry(vertx)));
  }
}
