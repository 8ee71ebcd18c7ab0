package io.boottorrent.server.auth;

import io.boottorrent.server.Rest;
import java.util.Map;

/**
 * A request refused for want of a token (401, with the {@code WWW-Authenticate: Bearer} challenge of
 * RFC 6750 §3) or of a role (403). The reason names what the request needs, never a secret.
 */
public final class AuthFailure extends RuntimeException implements Rest.ClientError {
  public static final String CHALLENGE = "Bearer realm=\"boottorrent\"";
  private final int status;

  private AuthFailure(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  public static AuthFailure unauthorized(String reason) {
    return new AuthFailure(401, reason);
  }

  public static AuthFailure forbidden(String reason) {
    return new AuthFailure(403, reason);
  }

  /** 503: the token could not be checked (the service that holds the store did not answer). */
  public static AuthFailure unavailable(String reason) {
    return new AuthFailure(503, reason);
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public Map<String, String> headers() {
    return switch (status) {
      case 401 -> Map.of("WWW-Authenticate", CHALLENGE);
      case 503 -> Map.of("Retry-After", "5");
      default -> Map.of();
    };
  }
}
