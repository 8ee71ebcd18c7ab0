package io.boottorrent.server.auth;

import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.Role;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authorization.Authorization;
import io.vertx.ext.auth.authorization.RoleBasedAuthorization;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SimpleAuthenticationHandler;

/**
 * Puts routes behind bearer tokens, with vertx-web's own pieces: a {@link SimpleAuthenticationHandler}
 * turns {@code Authorization: Bearer <secret>} into a {@link User} (subject: the token's id;
 * attributes: its name and role; authorizations: a {@link RoleBasedAuthorization} for each role its
 * role includes), then a role check matches the route's {@link RoleBasedAuthorization} against it.
 * No token, a malformed header or an unknown/revoked one: 401 with {@code WWW-Authenticate: Bearer};
 * a token without the role: 403; both through {@link io.boottorrent.server.Rest#errors} as
 * {@code {"error": reason, "status": code}}, the reason naming the role the request needs.
 *
 * <p>Nothing here logs, and no reason repeats a header: secrets stay out of logs and answers.
 */
public final class BearerAuth {
  /** The provider id of our authorizations on a {@link User}. */
  public static final String PROVIDER = "boottorrent-tokens";

  private final TokenVerifier verifier;
  private final AuthOptions options;

  public BearerAuth(TokenVerifier verifier, AuthOptions options) {
    this.verifier = verifier;
    this.options = options;
  }

  public AuthOptions options() {
    return options;
  }

  /** {@code route} needs a token with {@code role} (or a role that includes it); returns it for its handler. */
  public Route require(Route route, Role role) {
    return route.handler(authentication(role)).handler(authorization(role));
  }

  /**
   * A read beyond what booting machines need: open when {@code auth.openReads}, else it needs
   * {@code viewer}.
   */
  public Route read(Route route) {
    return options.openReads() ? route : require(route, Role.VIEWER);
  }

  /**
   * As {@link #read}, for what connects by URL only (EventSource, SockJS): with reads closed, the
   * token comes from the {@code Authorization} header or from {@code ?ticket=} ({@link StreamTickets}).
   */
  public Route readByTicket(Route route, StreamTickets tickets) {
    if (options.openReads()) {
      return route;
    }
    Role role = Role.VIEWER;
    return route.handler(SimpleAuthenticationHandler.create().authenticate(ctx -> {
      String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
      String ticket = ctx.request().getParam("ticket");
      if (header == null && ticket != null) {
        return tickets.redeem(ticket)
            .map(hash -> verifier.verifyHash(hash).compose(found -> found
                .map(token -> Future.succeededFuture(user(token)))
                .orElseGet(() -> Future.failedFuture(AuthFailure.unauthorized(needs(ctx, role)
                    + ": the ticket's token is unknown or revoked")))))
            .orElseGet(() -> Future.failedFuture(AuthFailure.unauthorized(needs(ctx, role)
                + ": the ticket is unknown or expired (tickets last " + tickets.lifetimeMs() / 1000
                + " s; POST /api/v1/tickets for a new one)")));
      }
      return bearer(ctx, role, header);
    })).handler(authorization(role));
  }

  /**
   * {@code POST …/tickets}: a ticket for the caller's token, answered
   * {@code {"ticket": …, "expiresInSeconds": …}} with {@code Cache-Control: no-store}.
   */
  public Route issueTickets(Route route, StreamTickets tickets) {
    return require(route, Role.VIEWER).handler(ctx -> {
      String secret = BearerHeader.parse(ctx.request().getHeader(HttpHeaders.AUTHORIZATION)).token().orElseThrow();
      String ticket = tickets.issue(TokenStore.hash(secret));
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(new JsonObject().put("ticket", ticket).put("expiresInSeconds", tickets.lifetimeMs() / 1000).encode());
    });
  }

  /** The token behind this request ({@link #require}d routes only). */
  public static ApiToken token(RoutingContext ctx) {
    User user = ctx.user();
    JsonObject a = user.attributes();
    return ApiToken.newBuilder().setId(user.subject()).setName(a.getString("name", ""))
        .setRole(Role.valueOf(a.getString("role"))).build();
  }

  private SimpleAuthenticationHandler authentication(Role role) {
    return SimpleAuthenticationHandler.create()
        .authenticate(ctx -> bearer(ctx, role, ctx.request().getHeader(HttpHeaders.AUTHORIZATION)));
  }

  private Future<User> bearer(RoutingContext ctx, Role role, String header) {
    BearerHeader.Parsed parsed = BearerHeader.parse(header);
    if (parsed.token().isEmpty()) {
      return Future.failedFuture(AuthFailure.unauthorized(needs(ctx, role) + ": " + parsed.why()));
    }
    return verifier.verify(parsed.token().get()).compose(found -> found
        .map(token -> Future.succeededFuture(user(token)))
        .orElseGet(() -> Future.failedFuture(AuthFailure.unauthorized(
            needs(ctx, role) + ": the token is unknown or revoked"))));
  }

  private static Handler<RoutingContext> authorization(Role role) {
    Authorization needed = RoleBasedAuthorization.create(Roles.name(role));
    return ctx -> {
      if (needed.match(ctx.user())) {
        ctx.next();
      } else {
        ApiToken token = token(ctx);
        ctx.fail(AuthFailure.forbidden(needs(ctx, role) + ": token '" + token.getName() + "' (id "
            + token.getId() + ") has role " + Roles.name(token.getRole())));
      }
    };
  }

  static User user(ApiToken token) {
    User user = User.fromName(token.getId());
    user.attributes().put("name", token.getName()).put("role", token.getRole().name());
    user.authorizations().put(PROVIDER, Roles.implied(token.getRole()).stream()
        .map(r -> (Authorization) RoleBasedAuthorization.create(Roles.name(r)))
        .collect(java.util.stream.Collectors.toSet()));
    return user;
  }

  private static String needs(RoutingContext ctx, Role role) {
    return ctx.request().method() + " " + ctx.request().path() + " needs a bearer token with role "
        + Roles.name(role) + (role == Role.ADMIN ? "" : " or higher");
  }
}
