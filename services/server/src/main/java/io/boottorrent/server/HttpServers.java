package io.boottorrent.server;

import io.boottorrent.core.config.ConfigException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrafficShapingOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every HTTP server of a service process is made here ({@link #create}): the options it starts from
 * and the {@link HttpLimits} it applies (docs/SECURITY.md "Bounded HTTP servers").
 */
public final class HttpServers {
  private static final Logger LOG = LoggerFactory.getLogger(HttpServers.class);
  /** How often a server looks for connections that overstayed {@link HttpLimits#headerTimeoutSeconds}. */
  static final long SWEEP_MS = 500;
  /**
   * Connections closed at a limit of {@link HttpLimits}, by reason and server port (Prometheus:
   * {@code boottorrent_http_connections_refused_total}).
   */
  public static final String REFUSED = "boottorrent.http.connections.refused";

  private HttpServers() {}

  /**
   * A server answering with {@code handler}, plain HTTP or TLS, bounded by {@code limits}: Vert.x's
   * own idle timeout, request-line (414) and header-block (431) limits; and here, because Vert.x has
   * none, the connection caps (a connection beyond them is closed as soon as it is accepted, before
   * it costs a request's worth of memory: a refusal by answer would have to wait for the request), the
   * request-head timeout, and a 413 for a declared body ({@code Content-Length}) over the limit,
   * before the handler runs. A chunked body is bounded where it is read (vertx-web's BodyHandler with
   * {@link HttpLimits#maxBodyBytes}); routes that read no body discard it as it arrives.
   */
  public static HttpServer create(Vertx vertx, Optional<Tls> tls, HttpLimits limits,
      Handler<HttpServerRequest> handler) {
    return create(vertx, tls, limits, 0, null, handler, true);
  }

  /**
   * {@link #create} sending at most {@code uploadLimit} bytes per second over all its connections
   * together (0: no limit). Netty's global traffic shaping, which counts sendFile's file regions too:
   * a large region waits until the budget allows it, then goes out whole, so the rate holds on average
   * over a few seconds rather than per packet.
   */
  public static HttpServer create(Vertx vertx, Optional<Tls> tls, HttpLimits limits, long uploadLimit,
      Handler<HttpServerRequest> handler) {
    return create(vertx, tls, limits, uploadLimit, null, handler, true);
  }

  /**
   * {@link #create} for a server that decodes its query strings itself (the tracker: raw bytes in
   * {@code info_hash}, and a broken escape answered with a bencoded failure, as BEP 3 has it): only the
   * path's escapes are checked here.
   */
  public static HttpServer createWithRawQueries(Vertx vertx, HttpLimits limits, Handler<HttpServerRequest> handler) {
    return create(vertx, Optional.empty(), limits, 0, null, handler, false);
  }

  /**
   * {@link #createWithRawQueries} counting its connections in {@code bounds}, which several servers
   * sharing one port (one per event loop) share, so that their caps hold for the port, not per loop.
   */
  public static HttpServer createWithRawQueries(Vertx vertx, HttpLimits limits, Bounds bounds,
      Handler<HttpServerRequest> handler) {
    return create(vertx, Optional.empty(), limits, 0, bounds, handler, false);
  }

  /** Connection counts to share between servers on one port ({@link #createWithRawQueries(Vertx, HttpLimits, Bounds, Handler)}). */
  public static Bounds bounds(Vertx vertx, HttpLimits limits) {
    return new Bounds(vertx, limits, Meters.registry(vertx));
  }

  private static HttpServer create(Vertx vertx, Optional<Tls> tls, HttpLimits limits, long uploadLimit,
      Bounds shared, Handler<HttpServerRequest> handler, boolean checkQuery) {
    HttpServerOptions options = tls.map(HttpServers::tls).orElseGet(HttpServers::options)
        .setIdleTimeout(limits.idleTimeoutSeconds())
        .setMaxInitialLineLength(limits.maxInitialLineBytes())
        .setMaxHeaderSize(limits.maxHeaderBytes());
    if (uploadLimit > 0) {
      // a web seed answers ranges of up to libtorrent's urlseed_max_request_bytes (16 MiB): let one
      // wait as long as it needs at a low limit, not netty's default of at most 15 s
      options.setTrafficShapingOptions(new TrafficShapingOptions().setOutboundGlobalBandwidth(uploadLimit)
          .setMaxDelayToWait(Math.max(15, 2 * (16L << 20) / uploadLimit)).setMaxDelayToWaitUnit(TimeUnit.SECONDS));
    }
    Bounds bounds = shared != null ? shared : new Bounds(vertx, limits, Meters.registry(vertx));
    return vertx.createHttpServer(options).connectionHandler(bounds::accepted).requestHandler(req -> {
      bounds.requestStarted(req);
      String declared = req.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (declared != null && bodyTooLarge(declared, limits.maxBodyBytes())) {
        refuse(vertx, req, 413, "request body larger than " + limits.maxBodyBytes() + " bytes");
        return;
      }
      // vertx-web decodes the path and query as it routes and throws on a broken escape (a 500)
      String uri = req.uri();
      int query = uri.indexOf('?');
      Optional<String> malformed = malformedEscape(checkQuery || query < 0 ? uri : uri.substring(0, query));
      if (malformed.isPresent()) {
        refuse(vertx, req, 400, malformed.get());
        return;
      }
      handler.handle(req);
    });
  }

  /** A plain-HTTP server with {@link #create}'s limits. */
  public static HttpServer create(Vertx vertx, HttpLimits limits, Handler<HttpServerRequest> handler) {
    return create(vertx, Optional.empty(), limits, handler);
  }

  /** Whether a Content-Length value exceeds {@code max}; a malformed one is left to Vert.x (it answers 400). */
  static boolean bodyTooLarge(String declared, long max) {
    String digits = declared.trim();
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    return digits.length() > 18 || Long.parseLong(digits) > max;
  }

  /**
   * Why {@code uri} is not valid percent-encoding (RFC 3986 section 2.1: {@code %} and two hex
   * digits), naming the first bad escape; empty when it is.
   */
  static Optional<String> malformedEscape(String uri) {
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
        String escape = uri.substring(i, Math.min(uri.length(), i + 3));
        return Optional.of("malformed percent-encoding \"" + printable(escape) + "\" at character " + i
            + " of the request target (expected % and two hex digits)");
      }
    }
    return Optional.empty();
  }

  /** {@code text} with control characters as {@code \xNN}, so a reason cannot carry them back. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    text.chars().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : String.valueOf((char) c)));
    return out.toString();
  }

  /**
   * How long a refused request's unread body is read and dropped before its connection closes. Closing
   * with bytes unread makes the kernel send a reset, and a client still sending (curl, the JDK's client)
   * then loses the answer already on its way: it sees "connection reset" instead of the 413. nginx
   * lingers the same way (lingering_close); the timer bounds what a client that never stops can cost.
   */
  static final long LINGER_MS = 5_000;

  /** Answers before any handler ran; the body may be unread, so the connection closes after the answer. */
  private static void refuse(Vertx vertx, HttpServerRequest req, int status, String reason) {
    HttpConnection connection = req.connection();
    if (!req.isEnded()) {
      long linger = vertx.setTimer(LINGER_MS, t -> connection.close());
      req.handler(dropped -> { });
      req.endHandler(v -> {
        vertx.cancelTimer(linger);
        connection.close();
      });
      req.resume();
    }
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, ProtoHttp.JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(new JsonObject().put("error", reason).put("status", status).encode())
        .onComplete(done -> {
          if (req.isEnded()) {
            connection.close();
          }
        });
  }

  /** A server's connection counts (total and per remote address) and the connections waiting for a request head. */
  public static final class Bounds {
    private final HttpLimits limits;
    private final AtomicInteger total = new AtomicInteger();
    /** Open connections by remote address; an address with none has no entry (compute: atomic per key). */
    private final Map<String, Integer> perClient = new ConcurrentHashMap<>();
    private final Map<HttpConnection, Waiting> open = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final Vertx vertx;
    private long sweepTimer = -1;

    private final io.micrometer.core.instrument.MeterRegistry meters;

    Bounds(Vertx vertx, HttpLimits limits, io.micrometer.core.instrument.MeterRegistry meters) {
      this.vertx = vertx;
      this.limits = limits;
      this.meters = meters;
    }

    /** {@link #REFUSED}{@code {reason, port}}: connections this server closed at a limit. */
    private void count(String reason, HttpConnection connection) {
      int port = connection.localAddress() == null ? -1 : connection.localAddress().port();
      meters.counter(REFUSED, "reason", reason, "port", Integer.toString(port)).increment();
    }

    void accepted(HttpConnection connection) {
      String client = connection.remoteAddress() == null || connection.remoteAddress().hostAddress() == null
          ? "?" : connection.remoteAddress().hostAddress();
      int now = total.incrementAndGet();
      int fromClient = perClient.merge(client, 1, Integer::sum);
      boolean overTotal = limits.maxConnections() > 0 && now > limits.maxConnections();
      boolean overClient = limits.maxConnectionsPerClient() > 0 && fromClient > limits.maxConnectionsPerClient();
      if (overTotal || overClient) {
        // out of the counts at once, not when its close completes: a flood's refused connections,
        // closing, would otherwise hold slots and get the next address refused at a limit it is under
        release(client);
        long n = refused.incrementAndGet();
        if (Long.bitCount(n) == 1) { // the 1st, 2nd, 4th, 8th… refusal: a flood does not flood the log
          LOG.warn("refused {} connection(s) so far beyond http.{} ({}), the latest from {}", n,
              overTotal ? "maxConnections" : "maxConnectionsPerClient",
              overTotal ? limits.maxConnections() : limits.maxConnectionsPerClient(), client);
        }
        count(overTotal ? "max_connections" : "max_connections_per_client", connection);
        connection.close();
        return;
      }
      connection.closeHandler(v -> {
        open.remove(connection);
        release(client);
      });
      if (limits.headerTimeoutSeconds() > 0) {
        open.put(connection, new Waiting(System.nanoTime()));
        ensureSweeping();
      }
    }

    private void release(String client) {
      total.decrementAndGet();
      perClient.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
    }

    /** One timer per server, not one per connection; it stops when no connection is open. */
    private synchronized void ensureSweeping() {
      if (sweepTimer < 0) {
        sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep());
      }
    }

    void requestStarted(HttpServerRequest req) {
      Waiting waiting = open.get(req.connection());
      if (waiting != null) {
        synchronized (waiting) {
          waiting.response = req.response();
          waiting.since = -1;
        }
      }
    }

    /**
     * Closes the connections that have waited longer than the header timeout for a request head:
     * since they opened, or since their last response ended (noticed here, within {@link #SWEEP_MS}).
     */
    private void sweep() {
      long now = System.nanoTime();
      long limit = limits.headerTimeoutSeconds() * 1_000_000_000L;
      open.forEach((connection, waiting) -> {
        boolean overdue;
        synchronized (waiting) {
          if (waiting.since < 0 && waiting.response != null && waiting.response.ended()) {
            waiting.since = now;
          }
          overdue = waiting.since >= 0 && now - waiting.since > limit;
        }
        if (overdue) {
          open.remove(connection);
          count("header_timeout", connection);
          connection.close();
        }
      });
      synchronized (this) {
        if (open.isEmpty()) {
          vertx.cancelTimer(sweepTimer);
          sweepTimer = -1;
        }
      }
    }
  }

  /** A connection's wait for its next request head: since when (nanoTime; -1 while a request runs). */
  private static final class Waiting {
    long since;
    HttpServerResponse response;

    Waiting(long since) {
      this.since = since;
    }
  }

  /**
   * HTTP/1.1 only: no HTTP/2 cleartext upgrade ({@code Upgrade: h2c}). The JDK's HttpClient asks for
   * that upgrade on every plain-http request, and a large response after the upgrade now and then
   * reached it unframed ("Frame type(54) length(3420517) exceeds MAX_FRAME_SIZE", a CI flake in
   * SwarmBootStormTest reading 3 MB of events); boot clients and browsers speak HTTP/1.1 here anyway.
   */
  public static HttpServerOptions options() {
    // WebSocket compression is not offered: the one WebSocket user (telemetry's SockJS bridge,
    // TelemetryVerticleTest) sends small JSON frames, and without compression to negotiate Vert.x leaves
    // its WebSocket extension handler out of every connection's pipeline (a measurable cost per
    // connection for the tracker's one-announce connections, docs/BENCHMARKS.md "Tracker").
    return new HttpServerOptions().setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
  }

  /**
   * {@link #options()} serving TLS with Vert.x's own {@link PemKeyCertOptions}: the certificate chain
   * (PEM, the server's certificate first) and its private key (PEM, PKCS#8 or PKCS#1). HTTP/1.1 only
   * (no ALPN for h2). Vert.x reads the files when the server listens: a missing or unreadable file
   * fails the listen, naming it.
   */
  public static HttpServerOptions tls(Tls tls) {
    return options().setSsl(true).setUseAlpn(false)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert().toString()).setKeyPath(tls.key().toString()));
  }

  /** A server's certificate chain and key files. */
  public record Tls(Path cert, Path key) {
    /**
     * Both of {@code <section>.tlsCert} and {@code tlsKey}, or neither (plain HTTP).
     *
     * @throws ConfigException naming the key that is missing
     */
    public static Optional<Tls> of(String section, Optional<Path> cert, Optional<Path> key) {
      if (cert.isPresent() != key.isPresent()) {
        String missing = cert.isPresent() ? "tlsKey" : "tlsCert";
        String given = cert.isPresent() ? "tlsCert" : "tlsKey";
        throw new ConfigException(section + "." + missing, "empty, but " + section + "." + given + " is \""
            + cert.or(() -> key).orElseThrow() + "\": TLS needs both the certificate chain and its key (PEM files)");
      }
      return cert.map(c -> new Tls(c, key.orElseThrow()));
    }
  }
}
