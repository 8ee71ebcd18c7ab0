package io.boottorrent.tftp;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TftpVerticle} on 127.0.0.1 serving one pseudo-random file, for a whole test class of
 * real-client transfers: {@code @RegisterExtension static final ServedFile SERVED = new ServedFile(…)}.
 * Its folder (the data dir, and room for the clients' copies) lives until the class is done.
 */
final class ServedFile implements BeforeAllCallback, AfterAllCallback {
  private final String name;
  private final int size;
  private final long seed;
  private final Consumer<JsonObject> tweak;
  private Path dir;
  private Vertx vertx;
  private TftpServerFixture server;
  private Path source;

  /** {@code tweak} changes the {@code tftp} section of the test config (the fixture's) before the server starts. */
  ServedFile(String name, int size, long seed, Consumer<JsonObject> tweak) {
    this.name = name;
    this.size = size;
    this.seed = seed;
    this.tweak = tweak;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("tftp-" + context.getRequiredTestClass().getSimpleName());
    vertx = Vertx.vertx();
    server = new TftpServerFixture(vertx, dir.resolve("data"), List.of(), tweak);
    source = ExternalClients.randomFile(server.root, name, size, seed);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Where the clients write their copies (and run). */
  Path dir() {
    return dir;
  }

  TftpServerFixture server() {
    return server;
  }

  /** The served file, as written into the root. */
  Path source() {
    return source;
  }
}
