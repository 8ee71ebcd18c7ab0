package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.CreateTokenRequest;
import io.boottorrent.proto.CreatedToken;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TokenList;
import io.boottorrent.server.Json;
import io.boottorrent.server.auth.TokenStore;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Who may do what on the catalog's HTTP port (docs/SECURITY.md "Authentication"). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class CatalogAuthTest {
  static final String MAC = "aa:bb:cc:dd:ee:01";

  @TempDir Path dir;
  Vertx vertx;
  JsonObject config;
  CatalogVerticle catalog;
  String deployment;
  WebClient client;
  String admin;

  /** Every line logged while the test runs, at DEBUG and above, formatted with its stack trace. */
  final List<String> logged = new CopyOnWriteArrayList<>();
  final AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent e) {
      logged.add(e.getLoggerName() + " " + e.getFormattedMessage()
          + (e.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy())));
    }
  };
  Level rootLevel;

  void start(Vertx vertx, boolean openReads) {
    this.vertx = vertx;
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    capture.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
    capture.start();
    root.addAppender(capture);
    Codecs.registerAll(vertx.eventBus());
    config = TestConfig.loopback(dir);
    config.getJsonObject("auth").put("openReads", openReads);
    deploy();
    admin = TestTokens.admin(dir);
  }

  void deploy() {
    catalog = Fixtures.catalog(config);
    deployment = await(vertx.deployVerticle(catalog));
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(catalog.actualPort()));
  }

  @AfterEach
  void stopCapture() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(capture);
    if (rootLevel != null) {
      root.setLevel(rootLevel);
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, String secret, com.google.protobuf.Message body) {
    HttpRequest<Buffer> r = client.request(method, path);
    if (secret != null) {
      r.putHeader("Authorization", "Bearer " + secret);
    }
    return body == null ? await(r.send())
        : await(r.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(Json.print(body))));
  }

  CreatedToken create(String name, Role role) throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/api/v1/tokens", admin,
        CreateTokenRequest.newBuilder().setName(name).setRole(role).build());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
    return Json.parse(r.bodyAsString(), CreatedToken.newBuilder()).build();
  }

  AddImageRequest image(String name) {
    Path imports = dir.resolve("import");
    writeRandom(imports.resolve("vmlinuz"), 40_000, 1);
    return AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString()).build();
  }

  @Test
  void theFirstStartWritesAnOwnerOnlyAdminTokenAndLogsWhereNotWhat(Vertx vertx) throws Exception {
    start(vertx, true);
    Path file = dir.resolve("catalog/admin.token");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(admin).startsWith(TokenStore.SECRET_PREFIX);
    assertThat(logged).anyMatch(l -> l.contains("created admin token") && l.contains(file.toString()));
    assertThat(String.join("\n", logged)).doesNotContain(admin);
    // WHEN the catalog restarts, the file deleted as its message says THEN no new admin token appears
    Files.delete(file);
    await(vertx.undeploy(deployment));
    deploy();
    assertThat(file).doesNotExist();
    assertThat(call(HttpMethod.GET, "/api/v1/tokens", admin, null).statusCode()).isEqualTo(200);
  }

  @Test
  void everyWriteNeedsATokenWithItsRoleAndTheAnswerSaysWhich(Vertx vertx) throws Exception {
    start(vertx, true);
    String viewer = create("dash", Role.VIEWER).getSecret();
    String operator = create("ci", Role.OPERATOR).getSecret();
    record Write(HttpMethod method, String path, com.google.protobuf.Message body, String role) {}
    List<Write> writes = List.of(
        new Write(HttpMethod.POST, "/api/v1/images", image("a"), "operator"),
        new Write(HttpMethod.DELETE, "/api/v1/images/a", null, "operator"),
        new Write(HttpMethod.PUT, "/api/v1/policy", io.boottorrent.proto.BootPolicy.getDefaultInstance(), "operator"),
        new Write(HttpMethod.POST, "/api/v1/tokens", CreateTokenRequest.newBuilder().setName("x").setRole(Role.VIEWER).build(), "admin"),
        new Write(HttpMethod.GET, "/api/v1/tokens", null, "admin"),
        new Write(HttpMethod.DELETE, "/api/v1/tokens/0000", null, "admin"));
    for (Write w : writes) {
      // no token: 401 with the Bearer challenge, naming the role
      HttpResponse<Buffer> none = call(w.method(), w.path(), null, w.body());
      assertThat(none.statusCode()).as(w.toString()).isEqualTo(401);
      assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"boottorrent\"");
      assertThat(none.bodyAsJsonObject().getString("error")).as(w.toString())
          .startsWith(w.method() + " " + w.path() + " needs a bearer token with role " + w.role());
      // too weak a token: 403, naming the token's role
      String weak = w.role().equals("admin") ? operator : viewer;
      HttpResponse<Buffer> forbidden = call(w.method(), w.path(), weak, w.body());
      assertThat(forbidden.statusCode()).as(w.toString()).isEqualTo(403);
      assertThat(forbidden.bodyAsJsonObject().getString("error")).contains("needs a bearer token with role " + w.role())
          .contains("has role " + (weak.equals(operator) ? "operator" : "viewer"));
    }
    // AND with the role, they work: an operator adds, sets the policy and deletes
    assertThat(call(HttpMethod.POST, "/api/v1/images", operator, image("a")).statusCode()).isEqualTo(201);
    assertThat(call(HttpMethod.PUT, "/api/v1/policy", operator,
        io.boottorrent.proto.BootPolicy.newBuilder().setDefaultImage("a").build()).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.PUT, "/api/v1/policy", operator,
        io.boottorrent.proto.BootPolicy.getDefaultInstance()).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.DELETE, "/api/v1/images/a", operator, null).statusCode()).isEqualTo(204);
  }

  @Test
  void whatBootingMachinesReadStaysOpenAndOtherReadsFollowOpenReads(Vertx vertx) throws Exception {
    start(vertx, false);
    assertThat(call(HttpMethod.POST, "/api/v1/images", admin, image("img")).statusCode()).isEqualTo(201);
    // booting machines: no token, whatever auth.openReads says
    for (String path : List.of("/api/v1/boot/" + MAC, "/api/v1/images/img", "/api/v1/images/img/torrent",
        "/seed/img/vmlinuz", "/boot/ipxe?mac=" + MAC)) {
      assertThat(call(HttpMethod.GET, path, null, null).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(call(HttpMethod.POST, "/api/v1/events", null,
        BootEvent.newBuilder().setMac(MAC).setStage(BootStage.AGENT_STARTED).build()).statusCode()).isEqualTo(202);
    // openReads false: the other reads need a viewer
    String viewer = create("dash", Role.VIEWER).getSecret();
    for (String path : List.of("/api/v1/images", "/api/v1/policy", "/api/v1/stats")) {
      HttpResponse<Buffer> none = call(HttpMethod.GET, path, null, null);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.bodyAsJsonObject().getString("error")).contains("role viewer or higher");
      assertThat(call(HttpMethod.GET, path, viewer, null).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void byDefaultTheOtherReadsAreOpen(Vertx vertx) {
    start(vertx, true);
    for (String path : List.of("/api/v1/images", "/api/v1/policy", "/api/v1/stats")) {
      assertThat(call(HttpMethod.GET, path, null, null).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void tokensAreCreatedListedWithoutSecretsAndRevokedAcrossARestart(Vertx vertx) throws Exception {
    start(vertx, true);
    CreatedToken ci = create("ci", Role.OPERATOR);
    assertThat(ci.getSecret()).startsWith(TokenStore.SECRET_PREFIX);
    assertThat(ci.getToken().getRole()).isEqualTo(Role.OPERATOR);
    // the list names every token, never a secret or a hash
    HttpResponse<Buffer> list = call(HttpMethod.GET, "/api/v1/tokens", admin, null);
    assertThat(list.bodyAsString()).doesNotContain(ci.getSecret()).doesNotContain(admin)
        .doesNotContain("secret").doesNotContain("sha256");
    assertThat(Json.parse(list.bodyAsString(), TokenList.newBuilder()).getTokensList())
        .extracting(ApiToken::getName).containsExactly(TokenStore.BOOTSTRAP_NAME, "ci");
    // a restart keeps the token
    await(vertx.undeploy(deployment));
    deploy();
    assertThat(call(HttpMethod.POST, "/api/v1/images", ci.getSecret(), image("k")).statusCode()).isEqualTo(201);
    // revoked, it stops working, now and after a restart
    assertThat(call(HttpMethod.DELETE, "/api/v1/tokens/" + ci.getToken().getId(), admin, null).statusCode())
        .isEqualTo(204);
    assertThat(call(HttpMethod.DELETE, "/api/v1/images/k", ci.getSecret(), null).statusCode()).isEqualTo(401);
    assertThat(call(HttpMethod.DELETE, "/api/v1/tokens/" + ci.getToken().getId(), admin, null).statusCode())
        .isEqualTo(404);
    await(vertx.undeploy(deployment));
    deploy();
    assertThat(call(HttpMethod.DELETE, "/api/v1/images/k", ci.getSecret(), null).statusCode()).isEqualTo(401);
    // a bad request names the problem
    HttpResponse<Buffer> bad = call(HttpMethod.POST, "/api/v1/tokens", admin,
        CreateTokenRequest.newBuilder().setName("x").build());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("error")).contains("role is required");
  }

  @Test
  void anotherAddressCannotPostEventsForAMachineThatPostsItsOwn(Vertx vertx) {
    start(vertx, true);
    // GIVEN machine MAC posting from 127.0.0.1
    BootEvent started = BootEvent.newBuilder().setMac(MAC).setStage(BootStage.AGENT_STARTED).build();
    assertThat(call(HttpMethod.POST, "/api/v1/events", null, started).statusCode()).isEqualTo(202);
    // WHEN a host at 127.0.0.2 posts a FAILED for it, or a fake DHCP lease
    WebClient other = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(catalog.actualPort()).setLocalAddress("127.0.0.2"));
    HttpResponse<Buffer> r = await(other.post("/api/v1/events").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(Json.print(started.toBuilder().setStage(BootStage.FAILED).build()))));
    HttpResponse<Buffer> lease = await(other.post("/api/v1/events").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(Json.print(BootEvent.newBuilder().setMac("aa:bb:cc:dd:ee:77")
            .setStage(BootStage.DHCP_LEASE).setIp("10.0.0.5").build()))));
    // THEN both are refused with the reason
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("error")).contains("come from 127.0.0.1, not 127.0.0.2");
    assertThat(lease.statusCode()).isEqualTo(403);
  }

  @Test
  void secretsNeverReachTheLog(Vertx vertx) throws Exception {
    start(vertx, true);
    // WHEN every token flow runs: create, use, misuse (wrong scheme, wrong role, revoked), revoke
    CreatedToken ci = create("ci", Role.OPERATOR);
    CreatedToken viewer = create("dash", Role.VIEWER);
    call(HttpMethod.POST, "/api/v1/images", ci.getSecret(), image("a"));
    call(HttpMethod.POST, "/api/v1/images", viewer.getSecret(), image("b"));
    call(HttpMethod.POST, "/api/v1/images", ci.getSecret() + "x", image("c"));
    await(client.post("/api/v1/images").putHeader("Authorization", "Basic " + ci.getSecret()).send());
    await(client.post("/api/v1/images").putHeader("Authorization", "Bearer " + ci.getSecret() + " extra").send());
    call(HttpMethod.GET, "/api/v1/images/nope", ci.getSecret(), null); // a 404, logged by vertx-web at DEBUG
    call(HttpMethod.DELETE, "/api/v1/tokens/" + ci.getToken().getId(), admin, null);
    call(HttpMethod.POST, "/api/v1/images", ci.getSecret(), image("d"));
    await(vertx.undeploy(deployment));
    // THEN the flows were logged (the test hears the catalog) and no line holds a secret
    String log = String.join("\n", logged);
    assertThat(log).contains("token " + ci.getToken().getId() + " 'ci' (operator) created")
        .contains("token " + ci.getToken().getId() + " 'ci' revoked");
    for (String secret : List.of(admin, ci.getSecret(), viewer.getSecret())) {
      assertThat(log).doesNotContain(secret).doesNotContain(secret.substring(TokenStore.SECRET_PREFIX.length()));
    }
  }
}
