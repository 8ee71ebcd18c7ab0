package io.boottorrent.catalog;

import io.boottorrent.server.Rest;

/**
 * A request the catalog refuses, with the HTTP status that says why (the REST layer answers
 * {@code {"error": message, "status": status}}). Thrown only before anything was changed on disk,
 * or after what was changed has been rolled back.
 */
public final class CatalogException extends RuntimeException implements Rest.ClientError {
  private final int status;

  public CatalogException(int status, String reason) {
    super(reason);
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("a CatalogException is a client error, not " + status);
    }
    this.status = status;
  }

  @Override
  public int status() {
    return status;
  }

  /** 400: malformed request or a required field missing. */
  public static CatalogException badRequest(String reason) {
    return new CatalogException(400, reason);
  }

  /** 403: a source path outside every import root. */
  public static CatalogException forbidden(String reason) {
    return new CatalogException(403, reason);
  }

  /** 404: no such image. */
  public static CatalogException notFound(String reason) {
    return new CatalogException(404, reason);
  }

  /** 409: an image of that name exists already. */
  public static CatalogException conflict(String reason) {
    return new CatalogException(409, reason);
  }

  /** 422: well-formed but impossible: unknown kind, missing source file, unknown image in a policy. */
  public static CatalogException unprocessable(String reason) {
    return new CatalogException(422, reason);
  }
}
