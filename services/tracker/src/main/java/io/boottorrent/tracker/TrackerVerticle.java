package io.boottorrent.tracker;

import io.boottorrent.core.InfoHash;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.HttpServers;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.server.Meters;
import io.boottorrent.tracker.protocol.AnnounceRequest;
import io.boottorrent.tracker.protocol.AnnounceRequest.Event;
import io.boottorrent.tracker.protocol.AnnounceResponse;
import io.boottorrent.tracker.protocol.FailureResponse;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.boottorrent.tracker.protocol.MalformedRequestException;
import io.boottorrent.tracker.protocol.Peer;
import io.boottorrent.tracker.protocol.PeerId;
import io.boottorrent.tracker.protocol.ScrapeRequest;
import io.boottorrent.tracker.protocol.ScrapeResponse;
import io.boottorrent.tracker.protocol.TrustedProxies;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP tracker: {@code GET /announce} (BEP 3, compact peers per BEP 23) and {@code GET /scrape}
 * (BEP 48), bencoded {@code text/plain} answers. Configured by {@link TrackerOptions} (the {@code
 * tracker} section).
 *
 * <p>Swarm state is cluster-wide ({@link HazelcastSwarmStore}) when Vert.x runs clustered over
 * Hazelcast, else in this JVM ({@link InMemorySwarmStore}). Every refusal or internal error becomes a
 * bencoded {@code failure reason} with status 200, which is what BitTorrent clients read and show.
 * Swarm count changes are published as {@link SwarmStats} on {@link Addresses#SWARM_STATS}; requests,
 * refusals and swarm sizes are in the process's meter registry ({@link TrackerMetrics}).
 *
 * <p>Only the catalog's images are tracked ({@link CatalogImages}). The tracker learns them the way a
 * seeder does: it follows {@code catalog.image.added}/{@code removed} and asks {@code
 * catalog.image.list}, again with backoff until a catalog answers (it may start later, or in another
 * process of the cluster). Announces and scrapes of any other info-hash are refused naming the hash;
 * before the first list has arrived every announce is refused with "tracker has not yet heard from
 * the catalog" and a retry interval of {@code tracker.minInterval}, never tracked on trust. A
 * removed image's swarm is dropped.
 *
 * <p>A peer is listed under the address it announced from ({@link TrustedProxies}: {@code ip=} and
 * {@code X-Forwarded-For} count only from {@code tracker.trustedProxies}) and keyed by that address
 * and its peer id ({@link PeerKey}), so a client re-using another's peer id from elsewhere only ever
 * adds or stops an entry of its own.
 */
public final class TrackerVerticle extends VerticleBase implements io.boottorrent.server.Serving {
  /** At most one {@link SwarmStats} per swarm per this many milliseconds. */
  static final long STATS_PERIOD_MS = 1000;
  static final long CATALOG_RETRY_FIRST_MS = 250;
  static final long CATALOG_RETRY_MAX_MS = 10_000;
  static final long CATALOG_REQUEST_TIMEOUT_MS = 10_000;
  /**
   * An announce for a hash the tracker does not know asks the catalog again, at most this often: the
   * announce of a seeder that heard {@code catalog.image.added} first races this tracker's copy of the
   * same event, and a refusal would cost it libtorrent's tracker backoff (25 s and more).
   */
  static final long CATALOG_REFRESH_MIN_MS = 1_000;
  /** Answer to a refresh in progress (event-loop confined), and when the last one started. */
  private Future<Void> refreshing;
  private long lastRefreshMs = Long.MIN_VALUE / 2;
  private static final String INTERNAL_ERROR = "internal tracker error";
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain");
  private static final Logger LOG = LoggerFactory.getLogger(TrackerVerticle.class);

  private final Random random = new Random();
  private final SwarmStore givenStore;
  private final TrackerOptions options;
  private final HttpLimits http;
  private final TrustedProxies proxies;
  /** Event-loop confined, like everything the handlers touch. */
  private final CatalogImages catalog = new CatalogImages();
  private final Promise<Void> catalogHeard = Promise.promise();
  private long retryTimer = -1;
  private boolean stopping;
  private SwarmStore store;
  private StatsThrottle stats;
  private TrackerMetrics metrics;
  private HttpServer server;
  /** The first instance's meters, which its siblings count into too; null in the first instance. */
  private final TrackerMetrics sharedMetrics;
  /** The port's connection counts, shared with the sibling event loops (http caps hold per port). */
  private HttpServers.Bounds bounds;
  /** The further instances this one deployed on {@code tracker.eventLoops} (first instance only). */
  private final List<TrackerVerticle> siblings = new CopyOnWriteArrayList<>();

  /** The answer body of one tracker request; throwing a Malformed- or RefusedRequestException refuses it. */
  @FunctionalInterface
  private interface TrackerHandler {
    Future<byte[]> handle(HttpServerRequest request) throws MalformedRequestException, RefusedRequestException;
  }

  private Handler<HttpServerRequest> announceHandler;
  private Handler<HttpServerRequest> scrapeHandler;

  /** Keeps swarms cluster-wide when Vert.x is clustered over Hazelcast, else in this JVM. */
  public TrackerVerticle(TrackerOptions options) {
    this(options, HttpLimits.defaults());
  }

  /** @param http the limits its server applies (the {@code http} section) */
  public TrackerVerticle(TrackerOptions options, HttpLimits http) {
    this(options, http, null);
  }

  /** With {@code store} instead of the one chosen from how Vert.x runs (tests of failure handling). */
  TrackerVerticle(TrackerOptions options, SwarmStore store) {
    this(options, HttpLimits.defaults(), store);
  }

  private TrackerVerticle(TrackerOptions options, HttpLimits http, SwarmStore store) {
    this(options, http, store, null, null);
  }

  private TrackerVerticle(TrackerOptions options, HttpLimits http, SwarmStore store, TrackerMetrics sharedMetrics,
      HttpServers.Bounds sharedBounds) {
    this.http = http;
    this.options = options;
    this.proxies = options.proxies();
    this.givenStore = store;
    this.sharedMetrics = sharedMetrics;
    this.bounds = sharedBounds;
  }

  @Override
  public Future<?> start() {
    if (options.peerTtlSeconds() <= options.interval()) {
      LOG.warn("tracker.peerTtlSeconds ({}) <= tracker.interval ({}): peers expire between their announces",
          options.peerTtlSeconds(), options.interval());
    }
    // Idempotent; needed when the Vert.x instance was not made by ServerVertx.start (e.g. embedded, tests).
    Codecs.registerAll(vertx.eventBus());
    metrics = sharedMetrics != null ? sharedMetrics : new TrackerMetrics(Meters.registry(vertx),
        Duration.ofSeconds(options.peerTtlSeconds()), System::currentTimeMillis);
    stats = new StatsThrottle(vertx, STATS_PERIOD_MS, s -> vertx.eventBus().publish(Addresses.SWARM_STATS, s));
    announceHandler = guarded("announce", this::announce);
    scrapeHandler = guarded("scrape", this::scrape);
    return openStore()
        .compose(opened -> {
          store = opened;
          // Follow the catalog's events before asking for its list, so that nothing falls in between.
          MessageConsumer<ImageEvent> added = vertx.eventBus().consumer(Addresses.IMAGE_ADDED, this::onImageAdded);
          MessageConsumer<ImageEvent> removed =
              vertx.eventBus().consumer(Addresses.IMAGE_REMOVED, this::onImageRemoved);
          return Future.all(added.completion(), removed.completion());
        })
        // A scrape of many hashes has a long request line: http.maxInitialLineBytes (Netty's default is 4096).
        .compose(consuming -> HttpServers.createWithRawQueries(vertx, http,
                bounds != null ? bounds : (bounds = HttpServers.bounds(vertx, http)), this::route)
            .listen(options.httpPort(), options.host()))
        .onSuccess(listening -> {
          server = listening;
          if (sharedMetrics == null) {
            LOG.info("tracker on {}:{}, swarms in {}, {} event loop(s), {}", options.host(), listening.actualPort(),
                store.getClass().getName(), options.instances(), options);
          }
          requestCatalog(CATALOG_RETRY_FIRST_MS);
        })
        .compose(listening -> deploySiblings(listening.actualPort()));
  }

  /**
   * The further instances of {@code tracker.eventLoops}, on the port this one listens on (Vert.x
   * shares it and spreads the connections), deployed as children: undeployed with this one.
   */
  private Future<?> deploySiblings(int actualPort) {
    int more = sharedMetrics == null ? options.instances() - 1 : 0;
    // A server on a port asked for as 0 is shared only under that request: a sibling binding its
    // actual port would be a second bind of it (EADDRINUSE). Then only this instance answers.
    if (options.httpPort() == 0) {
      more = 0;
    }
    int port = actualPort;
    if (more <= 0) {
      return Future.succeededFuture();
    }
    return vertx.deployVerticle(() -> {
      TrackerVerticle sibling = new TrackerVerticle(options.sibling(port), http, givenStore, metrics, bounds);
      siblings.add(sibling);
      return sibling;
    }, new DeploymentOptions().setInstances(more));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(retryTimer);
    catalogHeard.tryFail("tracker stopped");
    if (stats != null) {
      stats.close();
    }
    if (metrics != null && sharedMetrics == null) {
      metrics.close();
    }
    return Future.succeededFuture();
  }

  /** The port the HTTP server is bound to (useful with {@code httpPort: 0}); -1 before start. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** For /health: the announce port; the tracker keeps nothing on disk. */
  @Override
  public java.util.List<java.net.InetSocketAddress> listening() {
    int port = actualPort();
    return port < 0 ? java.util.List.of() : java.util.List.of(java.net.InetSocketAddress.createUnresolved(options.host(), port));
  }

  @Override
  public java.util.List<java.nio.file.Path> writableDirs() {
    return java.util.List.of();
  }

  /**
   * Completes once the catalog's image list has arrived at this instance and its siblings; until then
   * an announce may be refused with "tracker has not yet heard from the catalog".
   */
  public Future<Void> catalogHeard() {
    List<Future<Void>> all = new ArrayList<>();
    all.add(catalogHeard.future());
    siblings.forEach(sibling -> all.add(sibling.catalogHeard()));
    return Future.all(all).mapEmpty();
  }

  private Future<SwarmStore> openStore() {
    if (givenStore != null) {
      return Future.succeededFuture(givenStore);
    }
    Duration ttl = Duration.ofSeconds(options.peerTtlSeconds());
    // The cluster manager is only reachable through VertxInternal; its Hazelcast instance is the one
    // Runtime.start configured (TCP join on the configured members only).
    if (vertx.isClustered() && vertx instanceof VertxInternal internal
        && internal.clusterManager() instanceof HazelcastClusterManager hazelcast) {
      return HazelcastSwarmStore.create(vertx, hazelcast.getHazelcastInstance(), ttl);
    }
    return Future.succeededFuture(InMemorySwarmStore.shared(vertx, ttl));
  }

  /**
   * Two routes, so a plain request handler rather than a vertx-web Router: announces come by the
   * thousand a second in a boot storm, a new connection each, and the router's per-request context
   * was a measurable part of their cost (docs/BENCHMARKS.md "Tracker"). Anything else is a 404, as
   * the router answered.
   */
  private void route(HttpServerRequest request) {
    boolean get = request.method() == HttpMethod.GET;
    String path = request.path();
    if (get && "/announce".equals(path)) {
      announceHandler.handle(request);
    } else if (get && "/scrape".equals(path)) {
      scrapeHandler.handle(request);
    } else {
      request.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end("not found");
    }
  }

  /**
   * Runs {@code handler} so that whatever happens the client gets a bencoded answer with status 200;
   * a failure answer is counted as a refusal of {@code request}.
   */
  private Handler<HttpServerRequest> guarded(String request, TrackerHandler handler) {
    return ctx -> {
      Future<byte[]> body;
      try {
        body = handler.handle(ctx);
      } catch (Exception e) {
        body = Future.failedFuture(e);
      }
      body.recover(failure -> {
            metrics.refused(request, failure instanceof RefusedRequestException refused ? refused.metricReason()
                : failure instanceof MalformedRequestException ? TrackerMetrics.MALFORMED : TrackerMetrics.INTERNAL_ERROR);
            return Future.succeededFuture(failureBody(ctx, failure));
          })
          .onSuccess(bytes -> ctx.response()
              .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN)
              .end(Buffer.buffer(bytes))
              .onFailure(e -> LOG.debug("could not answer {}: {}", ctx.remoteAddress(), e.getMessage())));
    };
  }

  private static byte[] failureBody(HttpServerRequest ctx, Throwable failure) {
    if (failure instanceof MalformedRequestException refused) {
      LOG.debug("refused {} from {}: {}", ctx.path(), ctx.remoteAddress(), refused.getMessage());
      return new FailureResponse(refused.getMessage()).encode();
    }
    if (failure instanceof RefusedRequestException refused) {
      LOG.debug("refused {} from {}: {}", ctx.path(), ctx.remoteAddress(), refused.getMessage());
      return new FailureResponse(refused.getMessage(), refused.retryInterval()).encode();
    }
    LOG.warn("{} from {} failed", ctx.path(), ctx.remoteAddress(), failure);
    return new FailureResponse(INTERNAL_ERROR).encode();
  }

  private Future<byte[]> announce(HttpServerRequest ctx) throws MalformedRequestException, RefusedRequestException {
    AnnounceRequest request =
        AnnounceRequest.parse(ctx.query(), options.defaultNumwant(), options.maxNumwant());
    InfoHash infoHash = request.infoHash();
    if (catalog.verdict(infoHash) == CatalogImages.Verdict.TRACKED) {
      return register(ctx, request, infoHash); // the common case, without a refresh's future to compose
    }
    return refreshedFor(List.of(infoHash)).compose(v -> {
      try {
        requireTracked(infoHash);
        return register(ctx, request, infoHash);
      } catch (RefusedRequestException | MalformedRequestException e) {
        return Future.failedFuture(e);
      }
    });
  }

  private Future<byte[]> register(HttpServerRequest ctx, AnnounceRequest request, InfoHash infoHash)
      throws MalformedRequestException {
    // The address the request came from, unless a trusted proxy vouches for another: a client's own
    // ip= or X-Forwarded-For would let it list a victim's address, or itself under the victim's.
    InetAddress source = remoteAddress(ctx);
    InetAddress address = proxies.clientAddress(source, request.ip(), ctx.headers().getAll(X_FORWARDED_FOR));
    if (request.ip().isPresent() && !request.ip().get().equals(address)) {
      LOG.debug("announce {} from {}: ip={} ignored, listed as {}", infoHash, source,
          request.ip().get().getHostAddress(), address.getHostAddress());
    }
    PeerEntry self = PeerEntry.newBuilder()
        .setPeerId(request.peerId().value())
        .setIp(address.getHostAddress())
        .setPort(request.port())
        .setSeed(request.seed())
        .setLastSeenMs(System.currentTimeMillis())
        .setUploaded(request.uploaded())
        .setDownloaded(request.downloaded())
        .setLeft(request.left())
        .build();
    Future<Void> update = switch (request.event()) {
      // Only the entry of this peer id at this address: a stop sent from elsewhere unlists nobody.
      case STOPPED -> store.remove(infoHash, PeerKey.of(request.peerId(), address));
      case COMPLETED -> store.put(infoHash, self).compose(v -> store.recordCompleted(infoHash));
      default -> store.put(infoHash, self);
    };
    return update.compose(v -> store.snapshot(infoHash)).map(swarm -> {
      metrics.announced(request.event(), infoHash, swarm);
      stats.offer(SwarmStats.newBuilder()
          .setInfoHash(infoHash.hex())
          .setComplete(swarm.complete())
          .setIncomplete(swarm.incomplete())
          .setDownloaded((int) Math.min(Integer.MAX_VALUE, swarm.downloaded()))
          .build());
      List<Peer> peers = request.event() == Event.STOPPED
          ? List.of()
          : PeerSelector.select(swarm.listed(), requester(request, source, address), request.numwant(), random);
      if (LOG.isDebugEnabled()) {
        LOG.debug("announce {} {} from {}:{} event={}: {} seeds, {} leechers, sent {}", infoHash, request.peerId(),
            self.getIp(), self.getPort(), request.event(), swarm.complete(), swarm.incomplete(), peers.size());
      }
      return new AnnounceResponse(options.interval(), options.minInterval(), swarm.complete(), swarm.incomplete(),
          peers, Optional.empty()).encode(request.peerFormat());
    });
  }

  /**
   * BEP 48 has no per-file failure: hashes that are not catalog images are left out of {@code files};
   * when none of the requested hashes is one, the whole scrape is refused naming the first.
   */
  private Future<byte[]> scrape(HttpServerRequest ctx) throws MalformedRequestException, RefusedRequestException {
    ScrapeRequest request = ScrapeRequest.parse(ctx.query());
    return refreshedFor(request.infoHashes()).compose(v -> {
      try {
        return scrapeTracked(request);
      } catch (RefusedRequestException e) {
        return Future.failedFuture(e);
      }
    });
  }

  private Future<byte[]> scrapeTracked(ScrapeRequest request) throws RefusedRequestException {
    List<InfoHash> tracked = new ArrayList<>();
    for (InfoHash infoHash : request.infoHashes()) {
      if (catalog.verdict(infoHash) == CatalogImages.Verdict.TRACKED) {
        tracked.add(infoHash);
      }
    }
    if (tracked.isEmpty()) {
      requireTracked(request.infoHashes().get(0));
    }
    List<Future<SwarmSnapshot>> snapshots = tracked.stream().map(store::snapshot).toList();
    return Future.all(snapshots).map(all -> {
      Map<InfoHash, ScrapeResponse.Stats> files = new LinkedHashMap<>();
      for (int i = 0; i < snapshots.size(); i++) {
        SwarmSnapshot swarm = snapshots.get(i).result();
        files.put(tracked.get(i), new ScrapeResponse.Stats(swarm.complete(), swarm.downloaded(), swarm.incomplete()));
      }
      metrics.scraped();
      return new ScrapeResponse(files).encode();
    });
  }

  /** @throws RefusedRequestException unless {@code infoHash} is a catalog image's */
  private void requireTracked(InfoHash infoHash) throws RefusedRequestException {
    switch (catalog.verdict(infoHash)) {
      case TRACKED -> { }
      case NOT_IN_CATALOG -> throw new RefusedRequestException(
          "info_hash " + infoHash.hex() + " is not a catalog image", TrackerMetrics.NOT_IN_CATALOG, OptionalInt.empty());
      case CATALOG_NOT_HEARD -> throw new RefusedRequestException(
          "tracker has not yet heard from the catalog; retry in " + options.minInterval() + " s",
          TrackerMetrics.CATALOG_NOT_HEARD, OptionalInt.of(options.minInterval()));
      default -> throw new IllegalStateException();
    }
  }

  // ------------------------------------------------------------------ catalog

  /**
   * Completes when the catalog has been asked again, if one of {@code hashes} is not a catalog image
   * as far as this tracker knows and the last refresh is {@value #CATALOG_REFRESH_MIN_MS} ms old;
   * at once otherwise. Never fails: the verdict afterwards decides.
   */
  private Future<Void> refreshedFor(List<InfoHash> hashes) {
    boolean unknown = hashes.stream().anyMatch(h -> catalog.verdict(h) == CatalogImages.Verdict.NOT_IN_CATALOG);
    if (!unknown) {
      return Future.succeededFuture();
    }
    if (refreshing != null) {
      return refreshing;
    }
    long now = System.currentTimeMillis();
    if (now - lastRefreshMs < CATALOG_REFRESH_MIN_MS) {
      return Future.succeededFuture();
    }
    lastRefreshMs = now;
    catalog.refreshStarted();
    Future<Void> refresh = vertx.eventBus().<ImageList>request(Addresses.IMAGE_LIST, null,
            new DeliveryOptions().setSendTimeout(CATALOG_REQUEST_TIMEOUT_MS))
        .map(reply -> {
          catalog.refreshed(names(reply.body()));
          return (Void) null;
        })
        .recover(err -> {
          LOG.debug("tracker: catalog refresh failed: {}", err.getMessage());
          catalog.refreshed(null);
          return Future.succeededFuture();
        })
        .onComplete(done -> refreshing = null);
    refreshing = refresh;
    return refresh;
  }

  private static Map<String, InfoHash> names(ImageList list) {
    Map<String, InfoHash> images = new LinkedHashMap<>();
    for (ImageManifest image : list.getImagesList()) {
      infoHash(image).ifPresent(hash -> images.put(image.getName(), hash));
    }
    return images;
  }

  private void requestCatalog(long backoffMs) {
    if (stopping) {
      return;
    }
    vertx.eventBus().<ImageList>request(Addresses.IMAGE_LIST, null,
            new DeliveryOptions().setSendTimeout(CATALOG_REQUEST_TIMEOUT_MS))
        .onSuccess(reply -> {
          Map<String, InfoHash> images = names(reply.body());
          catalog.list(images);
          LOG.info("tracker: catalog lists {} image(s); tracking {} swarm(s), refusing every other info-hash",
              images.size(), catalog.size());
          catalogHeard.tryComplete();
        })
        .onFailure(err -> {
          if (stopping) {
            return;
          }
          LOG.info("tracker: no catalog answer yet ({}), refusing announces; asking again in {} ms",
              err.getMessage(), backoffMs);
          retryTimer = vertx.setTimer(backoffMs, id -> requestCatalog(Math.min(CATALOG_RETRY_MAX_MS, backoffMs * 2)));
        });
  }

  private void onImageAdded(Message<ImageEvent> message) {
    ImageManifest image = message.body().getImage();
    infoHash(image).ifPresent(hash -> {
      LOG.info("tracker: tracking catalog image {} ({})", image.getName(), hash);
      catalog.added(image.getName(), hash).ifPresent(this::dropSwarm);
    });
  }

  private void onImageRemoved(Message<ImageEvent> message) {
    ImageManifest image = message.body().getImage();
    Optional<InfoHash> hash = image.getInfoHash().isEmpty() ? Optional.empty() : infoHash(image);
    catalog.removed(image.getName(), hash).ifPresent(this::dropSwarm);
  }

  private void dropSwarm(InfoHash infoHash) {
    metrics.dropped(infoHash);
    store.drop(infoHash)
        .onSuccess(v -> LOG.info("tracker: {} left the catalog, its swarm is dropped", infoHash))
        .onFailure(err -> LOG.warn("tracker: could not drop the swarm of {}: {}", infoHash, err.getMessage()));
  }

  /** The image's info-hash; a malformed one (another version's catalog?) is logged and skipped. */
  private static Optional<InfoHash> infoHash(ImageManifest image) {
    try {
      return Optional.of(InfoHash.fromHex(image.getInfoHash()));
    } catch (IllegalArgumentException e) {
      LOG.warn("tracker: catalog image {} has no usable info-hash: {}", image.getName(), e.getMessage());
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The announcing peer as {@link PeerSelector} excludes it: every address it is known by (listed
   * under, connected from, and the {@code ip=} it named, believed or not) at its port.
   */
  private static PeerSelector.Requester requester(AnnounceRequest request, InetAddress source, InetAddress listed) {
    Set<InetAddress> addresses = new HashSet<>(4);
    addresses.add(listed);
    addresses.add(source);
    request.ip().ifPresent(addresses::add);
    return new PeerSelector.Requester(request.peerId().value(), addresses, request.port(), request.seed());
  }

  private static InetAddress remoteAddress(HttpServerRequest ctx) {
    String host = ctx.remoteAddress().hostAddress();
    int zone = host.indexOf('%'); // link-local IPv6 carries the interface: not part of the address
    String literal = zone < 0 ? host : host.substring(0, zone);
    return IpAddresses.parseLiteral(literal)
        .orElseThrow(() -> new IllegalStateException("unparsable remote address " + host));
  }
}
