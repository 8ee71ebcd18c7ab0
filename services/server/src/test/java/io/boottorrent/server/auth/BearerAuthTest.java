package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Role;
import io.boottorrent.server.HttpServers;
import io.boottorrent.server.Rest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Routes behind {@link BearerAuth}, over real HTTP. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BearerAuthTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path dir;
  private Vertx vertx;
  private TokenStore store;
  private int port;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().await();
    }
    if (store != null) {
      store.close();
    }
  }

  private void serve(boolean openReads) throws Exception {
    vertx = Vertx.vertx();
    store = TokenStore.open(dir);
    BearerAuth auth = new BearerAuth(TokenVerifier.of(store), AuthOptions.fromSection(io.boottorrent.testsupport.TestConfig.section("auth").put("openReads", openReads)));
    Router router = Router.router(vertx);
    auth.read(router.get("/list")).handler(ctx -> ctx.end("list"));
    auth.require(router.post("/images"), Role.OPERATOR)
        .handler(ctx -> ctx.end("added by " + BearerAuth.token(ctx).getName()));
    auth.require(router.post("/tokens"), Role.ADMIN).handler(ctx -> ctx.end("token"));
    Rest.errors(router, LoggerFactory.getLogger(BearerAuthTest.class), 1024);
    HttpServer server = vertx.createHttpServer(HttpServers.options()).requestHandler(router)
        .listen(0, "127.0.0.1").await();
    port = server.actualPort();
  }

  private HttpResponse<String> call(String method, String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void noTokenIs401WithABearerChallengeAndAReasonNamingTheRole() throws Exception {
    serve(true);
    HttpResponse<String> r = call("POST", "/images", null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"boottorrent\"");
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getInteger("status")).isEqualTo(401);
    assertThat(body.getString("error"))
        .isEqualTo("POST /images needs a bearer token with role operator or higher: no Authorization header");
  }

  @Test
  void anUnknownRevokedOrMalformedTokenIs401AndTheAnswerNeverRepeatsIt() throws Exception {
    serve(true);
    TokenStore.Created t = store.create("ci", Role.OPERATOR);
    store.revoke(t.token().getId());
    for (String header : new String[] {"Bearer " + t.secret(), "Bearer btk_nope", "Basic " + t.secret(), t.secret()}) {
      HttpResponse<String> r = call("POST", "/images", header);
      assertThat(r.statusCode()).as(header).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
      assertThat(r.body()).contains("needs a bearer token with role operator").doesNotContain(t.secret())
          .doesNotContain("btk_nope");
    }
  }

  @Test
  void aTokenWithoutTheRoleIs403NamingBothRoles() throws Exception {
    serve(true);
    TokenStore.Created viewer = store.create("dash", Role.VIEWER);
    HttpResponse<String> r = call("POST", "/images", "Bearer " + viewer.secret());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo(
        "POST /images needs a bearer token with role operator or higher: token 'dash' (id "
            + viewer.token().getId() + ") has role viewer");
    TokenStore.Created operator = store.create("ci", Role.OPERATOR);
    assertThat(call("POST", "/tokens", "Bearer " + operator.secret()).statusCode()).isEqualTo(403);
  }

  @Test
  void aTokenWithTheRoleOrAHigherOnePasses() throws Exception {
    serve(true);
    TokenStore.Created operator = store.create("ci", Role.OPERATOR);
    TokenStore.Created admin = store.create("root", Role.ADMIN);
    HttpResponse<String> r = call("POST", "/images", "Bearer " + operator.secret());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("added by ci");
    assertThat(call("POST", "/images", "bearer " + admin.secret()).body()).isEqualTo("added by root");
    assertThat(call("POST", "/tokens", "Bearer " + admin.secret()).statusCode()).isEqualTo(200);
  }

  @Test
  void openReadsNeedNoTokenClosedOnesNeedAViewer() throws Exception {
    serve(true);
    assertThat(call("GET", "/list", null).statusCode()).isEqualTo(200);
    close();
    vertx = null;
    store = null;
    serve(false);
    assertThat(call("GET", "/list", null).statusCode()).isEqualTo(401);
    TokenStore.Created viewer = store.create("dash", Role.VIEWER);
    assertThat(call("GET", "/list", "Bearer " + viewer.secret()).body()).isEqualTo("list");
  }
}
