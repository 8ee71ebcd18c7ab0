package io.boottorrent.server.auth;

import io.boottorrent.proto.ApiToken;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Who a bearer secret belongs to: a local {@link TokenStore} ({@link #of}), or whatever holds the
 * store for a service that has none of its own. Empty: no such token, or a revoked one.
 */
@FunctionalInterface
public interface TokenVerifier {
  Future<Optional<ApiToken>> verify(String secret);

  static TokenVerifier of(TokenStore store) {
    return secret -> Future.succeededFuture(store.authenticate(secret));
  }
}
