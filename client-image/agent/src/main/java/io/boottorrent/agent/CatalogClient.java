package io.boottorrent.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.boottorrent.core.MediaTypes;
import io.boottorrent.core.trust.CertificatePin;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The agent's side of the catalog REST API, in binary protobuf. An {@code https} catalog URL with a
 * {@link CertificatePin} is trusted only when the server's certificate is the pinned one (no host-name
 * check: the pin names the certificate, and boot networks reach the catalog by IP address); without a
 * pin, the JDK's CA certificates and a host-name check decide. A refused certificate fails every call at
 * once with {@link CertificateRefused}, naming both fingerprints; nothing is retried.
 */
public final class CatalogClient {
  /** How long a request is retried when agent.catalogRetrySeconds is not given. */
  static final long DEFAULT_RETRY_MS = 120_000;

  private final Vertx vertx;
  private final WebClient client;
  private final String base;
  private final long retryMs;

  public CatalogClient(Vertx vertx, String catalogUrl) {
    this(vertx, catalogUrl, Optional.empty(), DEFAULT_RETRY_MS);
  }

  /**
   * @param retryMs how long a request for the assignment, a manifest or a .torrent is retried while the
   *     catalog cannot be reached or answers 5xx (agent.catalogRetrySeconds): it may be restarting
   */
  public CatalogClient(Vertx vertx, String catalogUrl, Optional<CertificatePin> pin, long retryMs) {
    this.vertx = vertx;
    this.retryMs = retryMs;
    URI uri = URI.create(catalogUrl);
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("catalog URL has no host: " + catalogUrl);
    }
    WebClientOptions options = new WebClientOptions().setConnectTimeout(5000).setIdleTimeout(30);
    if ("https".equals(uri.getScheme())) {
      options.setSsl(true);
      pin.ifPresent(p -> options.setTrustOptions(TrustOptions.wrap(p.trustManager())).setVerifyHost(false));
    }
    this.client = WebClient.create(vertx, options);
    this.base = catalogUrl.endsWith("/") ? catalogUrl.substring(0, catalogUrl.length() - 1) : catalogUrl;
  }

  /** The assignment, naming {@code image} (an image configured on this machine; empty: none). */
  public Future<BootAssignment> assignment(String mac, String image) {
    String query = image.isEmpty() ? "" : "?image=" + enc(image);
    return retrying(() -> get("/api/v1/boot/" + enc(mac) + query).map(b -> parse(b, BootAssignment.parser())));
  }

  /**
   * The assignment with a boot ticket signed over {@code nonce}, naming also {@code image} (an image
   * configured on this machine, possibly outside its menu; empty: none).
   */
  public Future<BootAssignment> assignment(String mac, String nonce, String image) {
    String query = "?nonce=" + enc(nonce) + (image.isEmpty() ? "" : "&image=" + enc(image));
    return retrying(() -> get("/api/v1/boot/" + enc(mac) + query).map(b -> parse(b, BootAssignment.parser())));
  }

  public Future<ImageManifest> image(String name) {
    return retrying(() -> get("/api/v1/images/" + enc(name)).map(b -> parse(b, ImageManifest.parser())));
  }

  public Future<byte[]> torrent(String name) {
    return retrying(() -> get("/api/v1/images/" + enc(name) + "/torrent").map(Buffer::getBytes));
  }

  /**
   * The image's boot profile; empty when the catalog has none (404) or cannot say now. Not retried,
   * and given 2 s: it is a hint, and a boot that goes on without it only reads as a first boot does.
   */
  public Future<Optional<BootProfile>> bootProfile(String name) {
    return client.getAbs(base + "/api/v1/images/" + enc(name) + "/boot-profile")
        .putHeader("Accept", MediaTypes.PROTOBUF)
        .timeout(2000)
        .send()
        .recover(this::refusedCertificate)
        .map(r -> r.statusCode() == 200 ? Optional.of(parse(r.body() == null ? Buffer.buffer() : r.body(),
            BootProfile.parser())) : Optional.<BootProfile>empty());
  }

  /** Posts the boot profile this boot recorded; fails naming the catalog's answer unless it took it (201). */
  public Future<Void> postBootProfile(BootProfile profile) {
    return client.postAbs(base + "/api/v1/images/" + enc(profile.getImage()) + "/boot-profile")
        .putHeader("Content-Type", MediaTypes.PROTOBUF)
        .putHeader("Accept", MediaTypes.PROTOBUF)
        .timeout(5000)
        .sendBuffer(Buffer.buffer(profile.toByteArray()))
        .recover(this::refusedCertificate)
        .compose(r -> r.statusCode() / 100 == 2
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new CatalogError(r.statusCode(), "catalog refused the boot profile: HTTP "
                + r.statusCode() + " " + r.bodyAsString())));
  }

  public Future<Void> report(BootEvent event) {
    return client.postAbs(base + "/api/v1/events")
        .putHeader("Content-Type", MediaTypes.PROTOBUF)
        .timeout(5000)
        .sendBuffer(Buffer.buffer(event.toByteArray()))
        .recover(this::refusedCertificate)
        .compose(r -> r.statusCode() / 100 == 2
            ? Future.<Void>succeededFuture()
            : Future.failedFuture("catalog refused boot event: HTTP " + r.statusCode() + " " + r.bodyAsString()));
  }

  public void close() {
    client.close();
  }

  private Future<Buffer> get(String path) {
    return client.getAbs(base + path)
        .putHeader("Accept", MediaTypes.PROTOBUF)
        .timeout(10_000)
        .send()
        .recover(this::refusedCertificate)
        .compose(this::ok);
  }

  /** A handshake our pin (or the JDK's trust) refused, as a {@link CertificateRefused} naming why; else as it was. */
  private <T> Future<T> refusedCertificate(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException) {
        return Future.failedFuture(new CertificateRefused("refusing the catalog at " + base + ": " + t.getMessage(), failure));
      }
    }
    return Future.failedFuture(failure);
  }

  private Future<Buffer> ok(HttpResponse<Buffer> response) {
    if (response.statusCode() == 200) {
      return Future.succeededFuture(response.body() == null ? Buffer.buffer() : response.body());
    }
    return Future.failedFuture(new CatalogError(response.statusCode(),
        "catalog answered HTTP " + response.statusCode() + ": " + response.bodyAsString()));
  }

  /**
   * Retries transport failures and 5xx (the catalog may be starting or restarting) for {@code retryMs},
   * waiting 0.5 s, then twice as long each time up to 8 s; a 4xx is final.
   */
  private <T> Future<T> retrying(Supplier<Future<T>> call) {
    Promise<T> promise = Promise.promise();
    attempt(call, System.nanoTime() + retryMs * 1_000_000, 500, promise);
    return promise.future();
  }

  private <T> void attempt(Supplier<Future<T>> call, long deadlineNanos, long delay, Promise<T> promise) {
    call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        promise.complete(ar.result());
      } else if (System.nanoTime() + delay * 1_000_000 > deadlineNanos
          || (ar.cause() instanceof CatalogError e && e.status < 500) || ar.cause() instanceof CertificateRefused) {
        promise.fail(ar.cause());
      } else {
        vertx.setTimer(delay, id -> attempt(call, deadlineNanos, Math.min(delay * 2, 8000), promise));
      }
    });
  }

  private static <M extends Message> M parse(Buffer body, com.google.protobuf.Parser<M> parser) {
    try {
      return parser.parseFrom(body.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("catalog sent a malformed message: " + e.getMessage(), e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The catalog's TLS certificate is not the one trusted: final, never retried. */
  public static final class CertificateRefused extends RuntimeException {
    CertificateRefused(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A non-2xx answer from the catalog. */
  public static final class CatalogError extends RuntimeException {
    final int status;

    CatalogError(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
