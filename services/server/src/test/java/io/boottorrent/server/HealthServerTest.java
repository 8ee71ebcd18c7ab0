package io.boottorrent.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Proc;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /health and /readiness go DOWN when the process cannot serve, and UP again once it can. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HealthServerTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;
  private Vertx vertx;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  record Answer(int status, JsonObject body, long millis) {
    /** The check named {@code id}. */
    JsonObject check(String id) {
      JsonArray checks = body.getJsonArray("checks");
      for (int i = 0; i < checks.size(); i++) {
        if (checks.getJsonObject(i).getString("id").equals(id)) {
          return checks.getJsonObject(i);
        }
      }
      throw new AssertionError("no check " + id + " in " + body.encode());
    }

    boolean down(String id) {
      return status == 503 && "DOWN".equals(check(id).getString("status"));
    }
  }

  static Answer get(int port, String path) throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), new JsonObject(r.body()), (System.nanoTime() - start) / 1_000_000);
  }

  /** Polls {@code path} until {@code wanted}; every answer must come within 5 s (the request timeout). */
  static Answer until(int port, String path, Predicate<Answer> wanted, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Answer last = null;
    while (System.nanoTime() < deadline) {
      last = get(port, path);
      if (wanted.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not within " + timeout + "; last answer " + (last == null ? "none" : last.status() + " "
        + last.body().encode()));
  }

  HealthServer start(HealthOptions options) throws Exception {
    vertx = Vertx.vertx();
    HealthServer health = new HealthServer(vertx);
    health.listen(options).await(30, TimeUnit.SECONDS);
    return health;
  }

  @Test
  void blockedEventLoopsMakeHealthDownWhileTheyAreBlockedAndUpAfter() throws Exception {
    // GIVEN a health server (probe every 100 ms, DOWN beyond 1 s) over an idle Vert.x: UP
    HealthServer health = start(new HealthOptions(0, "127.0.0.1", 90, 100, 1000));
    int port = health.actualPort();
    Answer up = until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(10));
    assertThat(up.check("eventloops").getJsonObject("data").getInteger("loops")).isPositive();

    // WHEN a handler sleeps 5 s on one event loop (the executeBlocking misuse)
    vertx.getOrCreateContext().runOnContext(v -> sleep(5000));
    // THEN /health says DOWN, naming that loop's thread, and /readiness too
    Answer down = until(port, "/health", a -> a.down("eventloops"), Duration.ofSeconds(5));
    JsonObject blocked = down.check("eventloops").getJsonObject("data").getJsonArray("blocked").getJsonObject(0);
    assertThat(blocked.getString("thread")).startsWith("vert.x-eventloop-thread-");
    assertThat(blocked.getLong("blockedMs")).isGreaterThan(1000);
    assertThat(get(port, "/readiness").down("eventloops")).isTrue();
    // AND UP again once the loop is free
    until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(10));

    // WHEN every event loop of the services' Vert.x is blocked at once for 4 s
    ((VertxInternal) vertx).nettyEventLoopGroup().forEach(loop -> loop.execute(() -> sleep(4000)));
    // THEN /health still answers (its own thread), quickly, DOWN with all of them
    Answer all = until(port, "/health", a -> a.down("eventloops")
        && a.check("eventloops").getJsonObject("data").getJsonArray("blocked").size()
            == a.check("eventloops").getJsonObject("data").getInteger("loops"), Duration.ofSeconds(4));
    System.out.printf("MEASUREMENT health with every event loop blocked: answered 503 in %d ms: %s%n", all.millis(),
        all.check("eventloops").encode());
    assertThat(all.millis()).isLessThan(2000);
    until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(10));
  }

  /** A service with one HTTP server and one directory, as the real ones report themselves. */
  static final class Service extends VerticleBase implements Serving {
    final Path dataDir;
    volatile HttpServer server;

    Service(Path dataDir) {
      this.dataDir = dataDir;
    }

    @Override
    public Future<?> start() {
      return vertx.createHttpServer().requestHandler(r -> r.response().end("ok")).listen(0, "0.0.0.0")
          .onSuccess(s -> server = s);
    }

    @Override
    public List<InetSocketAddress> listening() {
      return List.of(InetSocketAddress.createUnresolved("0.0.0.0", server.actualPort()));
    }

    @Override
    public List<Path> writableDirs() {
      return List.of(dataDir);
    }
  }

  @Test
  void aServiceThatCannotServeMakesHealthDown() throws Exception {
    // GIVEN a service that listens and writes to its directory, watched: UP
    HealthServer health = start(new HealthOptions(0, "127.0.0.1", 90, 100, 1000));
    int port = health.actualPort();
    Path data = Files.createDirectories(dir.resolve("data"));
    Service service = new Service(data);
    health.expect("svc");
    String id = vertx.deployVerticle(service).await(30, TimeUnit.SECONDS);
    assertThat(get(port, "/readiness").down("services")).isTrue(); // not ready yet
    health.ready("svc");
    health.watch("svc", id, service);
    Answer up = until(port, "/readiness", a -> a.status() == 200, Duration.ofSeconds(10));
    assertThat(up.check("serving").getJsonObject("data").getJsonArray("watched")).containsExactly("svc");

    // WHEN its directory is replaced by a file (a volume gone) THEN DOWN, saying which and why
    Files.move(data, dir.resolve("data.away"));
    Files.writeString(data, "not a directory");
    Answer notWritable = until(port, "/health", a -> a.down("serving"), Duration.ofSeconds(10));
    assertThat(notWritable.check("serving").getJsonObject("data").getJsonArray("problems").getString(0))
        .startsWith("svc: cannot write to " + data);
    // AND back UP once it is a directory again
    Files.delete(data);
    Files.move(dir.resolve("data.away"), data);
    until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(10));

    // WHEN its server socket is closed THEN DOWN: nothing accepts connections there
    int servicePort = service.server.actualPort();
    service.server.close().await(10, TimeUnit.SECONDS);
    Answer closed = until(port, "/health", a -> a.down("serving"), Duration.ofSeconds(10));
    assertThat(closed.check("serving").getJsonObject("data").getJsonArray("problems").getString(0))
        .startsWith("svc: nothing accepts connections on 127.0.0.1:" + servicePort);

    // WHEN it is undeployed THEN DOWN: not deployed any more (and /readiness alike)
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);
    Answer gone = until(port, "/readiness", a -> a.down("serving"), Duration.ofSeconds(10));
    assertThat(gone.check("serving").getJsonObject("data").getJsonArray("problems").getString(0))
        .isEqualTo("svc: not deployed any more (undeployed or failed)");
  }

  @Test
  void aFullHeapAndAnOutOfMemoryErrorMakeHealthDownInAJvmWithASmallHeap() throws Exception {
    // GIVEN a JVM with a 64 MiB heap running a health server (DOWN above 90% live after GC); the serial
    // collector, as every child JVM of the tests (Proc.JVM_OPTIONS): G1 keeps a reserve that a heap this
    // small cannot fill with live data before it throws
    try (Proc.Running child = Proc.java(List.of("-Xmx64m", "-XX:+UseSerialGC"), HealthChild.class.getName())
        .input(Proc.Input.PIPE).start()) {
      int port = Integer.parseInt(child.await("health port ", Duration.ofSeconds(60)).text().replaceAll(".*health port ", ""));
      Answer up = until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(10));
      OutputStream in = child.input();
      // WHEN it fills its heap with live arrays THEN DOWN, saying how full
      command(in, "fill");
      String filled = child.await("filled", Duration.ofSeconds(60)).text();
      Answer full = until(port, "/health", a -> a.down("memory"), Duration.ofSeconds(20));
      JsonObject data = full.check("memory").getJsonObject("data");
      System.out.printf("MEASUREMENT health, heap filled (%s): %s; before: %s%n", filled, data.encode(),
          up.check("memory").getJsonObject("data").encode());
      assertThat(data.getString("reason")).contains("of the heap still in use after the last garbage collection");
      // WHEN it lets them go THEN UP again
      command(in, "free");
      child.await("freed", Duration.ofSeconds(30));
      until(port, "/health", a -> a.status() == 200, Duration.ofSeconds(20));
      // WHEN an event loop's handler throws an OutOfMemoryError THEN DOWN for good, naming the thread
      command(in, "oom");
      Answer oom = until(port, "/health", a -> a.down("memory"), Duration.ofSeconds(20));
      assertThat(oom.check("memory").getJsonObject("data").getString("reason"))
          .startsWith("OutOfMemoryError on vert.x-eventloop-thread-").contains("Java heap space");
      Thread.sleep(500);
      assertThat(get(port, "/health").down("memory")).isTrue();
    }
  }

  @Test
  void withExitOnOutOfMemoryErrorAsBinBoottorrentRunsItTheJvmEnds() throws Exception {
    // GIVEN the same JVM started with the flag bin/boottorrent, the systemd units and the manifests pass
    assertThat(Files.readString(Path.of(System.getProperty("user.dir")).resolve("../../bin/boottorrent")))
        .contains("-XX:+ExitOnOutOfMemoryError");
    try (Proc.Running child = Proc.java(List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"), HealthChild.class.getName())
        .input(Proc.Input.PIPE).start()) {
      child.await("health port ", Duration.ofSeconds(60));
      // WHEN an event loop's handler runs out of memory THEN the JVM exits at once with status 3 (restarted by its supervisor)
      command(child.input(), "oom");
      assertThat(child.waitFor(Duration.ofSeconds(30))).isTrue();
      assertThat(child.process().exitValue()).isEqualTo(3);
      assertThat(child.output()).contains("Terminating due to java.lang.OutOfMemoryError");
    }
  }

  private static void command(OutputStream in, String command) throws java.io.IOException {
    in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
