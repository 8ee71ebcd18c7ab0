package io.boottorrent.server;

import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;

/** The REST plumbing every service's router shares: handlers that may throw, and one way to answer errors. */
public final class Rest {
  private Rest() {}

  /** A request the service refuses, with its 4xx status; {@link #errors} answers it. */
  public interface ClientError {
    int status();

    String getMessage();

    /** Headers the answer carries (a 401's {@code WWW-Authenticate}). */
    default java.util.Map<String, String> headers() {
      return java.util.Map.of();
    }
  }

  /** A handler body that may throw; whatever it throws goes to the router's failure handler. */
  @FunctionalInterface
  public interface Body {
    void handle(RoutingContext ctx) throws Exception;
  }

  public static Handler<RoutingContext> guard(Body body) {
    return ctx -> {
      try {
        body.handle(ctx);
      } catch (Exception e) {
        ctx.fail(e);
      }
    };
  }

  /**
   * Errors as {@code {"error": reason, "status": code}}: a {@link ClientError} with its status, a
   * body over {@code bodyLimit} as 413, another 4xx the router raised as "bad request", 404 and 405
   * naming the path and method; anything else a 500 whose reason is only logged to {@code log}. A failure
   * after the response started resets the connection (the client sees a broken answer, not a wrong one).
   */
  public static void errors(Router router, Logger log, long bodyLimit) {
    router.route().failureHandler(ctx -> {
      Throwable failure = ctx.failure();
      if (failure instanceof HttpException wrapped && wrapped.getCause() instanceof ClientError) {
        failure = wrapped.getCause(); // vertx-web's authentication handlers wrap what the provider failed with
      }
      if (failure instanceof io.vertx.core.http.HttpClosedException) {
        // the client went (or the idle timeout closed it) while its body was being read: nobody to answer
        log.debug("{} {}: the connection closed before the request was read", ctx.request().method(),
            ctx.request().path());
      } else if (ctx.response().headWritten()) {
        log.warn("{} {} failed after the response started: {}", ctx.request().method(), ctx.request().path(),
            String.valueOf(failure));
        ctx.response().reset();
      } else if (failure instanceof ClientError e) {
        e.headers().forEach(ctx.response()::putHeader);
        ProtoHttp.error(ctx, e.status(), e.getMessage());
      } else if (failure == null && ctx.statusCode() == 413) {
        ProtoHttp.error(ctx, 413, "request body larger than " + bodyLimit + " bytes");
      } else if (failure == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
        ProtoHttp.error(ctx, ctx.statusCode(), "bad request");
      } else {
        // The reason is logged, not sent: an exception's message may name files of the server.
        log.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
        ProtoHttp.error(ctx, 500, "internal error (logged by the server)");
      }
    });
    router.errorHandler(404, ctx -> ProtoHttp.error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(405, ctx -> ProtoHttp.error(ctx, 405,
        ctx.request().method() + " is not allowed on " + ctx.request().path()));
  }
}
