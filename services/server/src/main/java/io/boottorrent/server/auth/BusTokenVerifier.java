package io.boottorrent.server.auth;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.TokenCheck;
import io.boottorrent.proto.TokenCheckResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Optional;

/**
 * A {@link TokenVerifier} for a service without a token store: asks the catalog on
 * {@link Addresses#TOKEN_CHECK} with the secret's SHA-256 (never the secret), standalone or across the
 * cluster, and keeps each answer in a {@link TokenCache}. No answer within {@link #TIMEOUT_MS}: a
 * failed future with a 503 {@link AuthFailure} that says so (the request is refused, never let through).
 */
public final class BusTokenVerifier implements TokenVerifier {
  static final long TIMEOUT_MS = 3000;
  static final int MAX_CACHED = 10_000;

  private final Vertx vertx;
  private final TokenCache cache;

  /** @param cacheMs how long an answer is kept (0: ask every time) */
  public BusTokenVerifier(Vertx vertx, long cacheMs) {
    this.vertx = vertx;
    this.cache = new TokenCache(cacheMs, MAX_CACHED, System::currentTimeMillis);
  }

  @Override
  public Future<Optional<ApiToken>> verifyHash(ByteString secretSha256) {
    Optional<Optional<ApiToken>> cached = cache.get(secretSha256);
    if (cached.isPresent()) {
      return Future.succeededFuture(cached.get());
    }
    return vertx.eventBus().<TokenCheckResult>request(Addresses.TOKEN_CHECK,
            TokenCheck.newBuilder().setSecretSha256(secretSha256).build(), new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
        .transform(ar -> {
          if (ar.failed()) {
            return Future.failedFuture(AuthFailure.unavailable("cannot check the bearer token: the catalog did not answer on "
                + Addresses.TOKEN_CHECK + " (" + ar.cause().getMessage() + ")"));
          }
          TokenCheckResult result = ar.result().body();
          Optional<ApiToken> token = result.getFound() ? Optional.of(result.getToken()) : Optional.empty();
          cache.put(secretSha256, token);
          return Future.succeededFuture(token);
        });
  }
}
