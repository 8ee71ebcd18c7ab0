package io.boottorrent.server.auth;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.ApiToken;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Who a bearer secret belongs to: a local {@link TokenStore} ({@link #of}), or the catalog over the
 * event bus for a service that has no store of its own ({@link BusTokenVerifier}). Empty: no such
 * token, or a revoked one. A failed future: the answer could not be had (no catalog).
 */
@FunctionalInterface
public interface TokenVerifier {
  /** By the SHA-256 of the secret ({@link TokenStore#hash}), which is what crosses the bus. */
  Future<Optional<ApiToken>> verifyHash(ByteString secretSha256);

  default Future<Optional<ApiToken>> verify(String secret) {
    if (secret == null || !secret.startsWith(TokenStore.SECRET_PREFIX)) {
      return Future.succeededFuture(Optional.empty());
    }
    return verifyHash(TokenStore.hash(secret));
  }

  static TokenVerifier of(TokenStore store) {
    return hash -> Future.succeededFuture(store.authenticateHash(hash));
  }
}
