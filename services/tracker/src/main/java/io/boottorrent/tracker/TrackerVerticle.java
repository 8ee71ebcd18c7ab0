package io.boottorrent.tracker;

import io.boottorrent.core.InfoHash;
import io.boottorrent.server.HttpServers;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.Codecs;
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
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
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
 */
public final class TrackerVerticle extends VerticleBase {
  /** At most one {@link SwarmStats} per swarm per this many milliseconds. */
  static final long STATS_PERIOD_MS = 1000;
  private static final String INTERNAL_ERROR = "internal tracker error";
  private static final Logger LOG = LoggerFactory.getLogger(TrackerVerticle.class);

  private final Random random = new Random();
  private final SwarmStore givenStore;
  private final TrackerOptions options;
  private SwarmStore store;
  private StatsThrottle stats;
  private TrackerMetrics metrics;
  private HttpServer server;

  /** The answer body of one tracker request; throwing a MalformedRequestException refuses it. */
  @FunctionalInterface
  private interface TrackerHandler {
    Future<byte[]> handle(RoutingContext ctx) throws MalformedRequestException;
  }

  /** Keeps swarms cluster-wide when Vert.x is clustered over Hazelcast, else in this JVM. */
  public TrackerVerticle(TrackerOptions options) {
    this(options, null);
  }

  /** With {@code store} instead of the one chosen from how Vert.x runs (tests of failure handling). */
  TrackerVerticle(TrackerOptions options, SwarmStore store) {
    this.options = options;
    this.givenStore = store;
  }

  @Override
  public Future<?> start() {
    if (options.peerTtlSeconds() <= options.interval()) {
      LOG.warn("tracker.peerTtlSeconds ({}) <= tracker.interval ({}): peers expire between their announces",
          options.peerTtlSeconds(), options.interval());
    }
    // Idempotent; needed when the Vert.x instance was not made by ServerVertx.start (e.g. embedded, tests).
    Codecs.registerAll(vertx.eventBus());
    metrics = new TrackerMetrics(Meters.registry(vertx), Duration.ofSeconds(options.peerTtlSeconds()),
        System::currentTimeMillis);
    stats = new StatsThrottle(vertx, STATS_PERIOD_MS, s -> vertx.eventBus().publish(Addresses.SWARM_STATS, s));
    Router router = Router.router(vertx);
    router.get("/announce").handler(guarded("announce", this::announce));
    router.get("/scrape").handler(guarded("scrape", this::scrape));
    // A scrape of many hashes has a long request line; Netty's default limit is 4096 bytes.
    HttpServerOptions serverOptions = HttpServers.options().setMaxInitialLineLength(20 * 1024);
    return openStore()
        .compose(opened -> {
          store = opened;
          return vertx.createHttpServer(serverOptions)
              .requestHandler(router)
              .listen(options.httpPort(), options.host());
        })
        .onSuccess(listening -> {
          server = listening;
          LOG.info("tracker on {}:{}, swarms in {}, {}", options.host(), listening.actualPort(),
              store.getClass().getName(), options);
        });
  }

  @Override
  public Future<?> stop() {
    if (stats != null) {
      stats.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    return Future.succeededFuture();
  }

  /** The port the HTTP server is bound to (useful with {@code httpPort: 0}); -1 before start. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
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
   * Runs {@code handler} so that whatever happens the client gets a bencoded answer with status 200;
   * a failure answer is counted as a refusal of {@code request}.
   */
  private Handler<RoutingContext> guarded(String request, TrackerHandler handler) {
    return ctx -> {
      Future<byte[]> body;
      try {
        body = handler.handle(ctx);
      } catch (Exception e) {
        body = Future.failedFuture(e);
      }
      body.recover(failure -> {
            metrics.refused(request, failure instanceof MalformedRequestException
                ? TrackerMetrics.MALFORMED : TrackerMetrics.INTERNAL_ERROR);
            return Future.succeededFuture(failureBody(ctx, failure));
          })
          .onSuccess(bytes -> ctx.response()
              .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
              .end(Buffer.buffer(bytes))
              .onFailure(e -> LOG.debug("could not answer {}: {}", ctx.request().remoteAddress(), e.getMessage())));
    };
  }

  private static byte[] failureBody(RoutingContext ctx, Throwable failure) {
    if (failure instanceof MalformedRequestException refused) {
      LOG.debug("refused {} from {}: {}", ctx.request().path(), ctx.request().remoteAddress(), refused.getMessage());
      return new FailureResponse(refused.getMessage()).encode();
    }
    LOG.warn("{} from {} failed", ctx.request().path(), ctx.request().remoteAddress(), failure);
    return new FailureResponse(INTERNAL_ERROR).encode();
  }

  private Future<byte[]> announce(RoutingContext ctx) throws MalformedRequestException {
    AnnounceRequest request =
        AnnounceRequest.parse(ctx.request().query(), options.defaultNumwant(), options.maxNumwant());
    // The ip parameter wins over the socket address: a seeder or agent behind NAT announces the
    // address its peers can reach. Only literals are accepted, so this never triggers a DNS lookup.
    InetAddress address = request.ip().orElseGet(() -> remoteAddress(ctx));
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
    InfoHash infoHash = request.infoHash();
    Future<Void> update = switch (request.event()) {
      case STOPPED -> store.remove(infoHash, request.peerId());
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
      List<PeerEntry> chosen = request.event() == Event.STOPPED
          ? List.of()
          : PeerSelector.select(swarm.peers(), self, request.numwant(), random);
      LOG.debug("announce {} {} from {}:{} event={}: {} seeds, {} leechers, sent {}", infoHash, request.peerId(),
          self.getIp(), self.getPort(), request.event(), swarm.complete(), swarm.incomplete(), chosen.size());
      List<Peer> peers = chosen.stream().flatMap(entry -> toPeer(entry).stream()).toList();
      return new AnnounceResponse(options.interval(), options.minInterval(), swarm.complete(), swarm.incomplete(),
          peers, Optional.empty()).encode(request.peerFormat());
    });
  }

  private Future<byte[]> scrape(RoutingContext ctx) throws MalformedRequestException {
    ScrapeRequest request = ScrapeRequest.parse(ctx.request().query());
    List<Future<SwarmSnapshot>> snapshots = request.infoHashes().stream().map(store::snapshot).toList();
    return Future.all(snapshots).map(all -> {
      Map<InfoHash, ScrapeResponse.Stats> files = new LinkedHashMap<>();
      for (int i = 0; i < snapshots.size(); i++) {
        SwarmSnapshot swarm = snapshots.get(i).result();
        files.put(request.infoHashes().get(i),
            new ScrapeResponse.Stats(swarm.complete(), swarm.downloaded(), swarm.incomplete()));
      }
      metrics.scraped();
      return new ScrapeResponse(files).encode();
    });
  }

  private static InetAddress remoteAddress(RoutingContext ctx) {
    String host = ctx.request().remoteAddress().hostAddress();
    int zone = host.indexOf('%'); // link-local IPv6 carries the interface: not part of the address
    String literal = zone < 0 ? host : host.substring(0, zone);
    return IpAddresses.parseLiteral(literal)
        .orElseThrow(() -> new IllegalStateException("unparsable remote address " + host));
  }

  /** A stored entry as a response peer; entries that cannot be (written by another version) are skipped. */
  private static Optional<Peer> toPeer(PeerEntry entry) {
    Optional<InetAddress> address = IpAddresses.parseLiteral(entry.getIp());
    if (address.isEmpty() || entry.getPeerId().size() != PeerId.LENGTH || entry.getPort() < 1
        || entry.getPort() > 65535) {
      LOG.warn("skipping malformed stored peer {}:{}", entry.getIp(), entry.getPort());
      return Optional.empty();
    }
    return Optional.of(new Peer(new PeerId(entry.getPeerId()), address.get(), entry.getPort()));
  }
}
