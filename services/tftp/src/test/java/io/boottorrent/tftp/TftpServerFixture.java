package io.boottorrent.tftp;

import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A deployed {@link TftpVerticle} on 127.0.0.1 (port 0: a free one) with its boot events. */
final class TftpServerFixture implements AutoCloseable {
  final Vertx vertx;
  final TftpVerticle verticle;
  final Path root;
  final BlockingQueue<BootEvent> events = new LinkedBlockingQueue<>();
  private final String deploymentId;
  private final MessageConsumer<BootEvent> consumer;

  /**
   * @param dataDir the data dir; the served root is {@code <dataDir>/tftp} (created by the verticle)
   * @param tweak changes to the {@code tftp} section before deployment
   */
  TftpServerFixture(Vertx vertx, Path dataDir, List<Path> fallbackRoots, Consumer<JsonObject> tweak) throws Exception {
    this.vertx = vertx;
    this.root = dataDir.resolve("tftp");
    Codecs.registerAll(vertx.eventBus());
    consumer = vertx.eventBus().consumer(Addresses.BOOT_EVENT, message -> events.add(message.body()));
    await(consumer.completion());
    JsonObject tftp = TestConfig.section("tftp")
        .put("bindHost", "127.0.0.1")
        .put("port", 0)
        .put("root", "")
        .put("fallbackRoots", new JsonArray(fallbackRoots.stream().map(Path::toString).toList()))
        .put("timeoutMs", 200)
        .put("retries", 5);
    tweak.accept(tftp);
    verticle = new TftpVerticle(TftpOptions.fromSection(tftp), dataDir);
    deploymentId = await(vertx.deployVerticle(verticle));
  }

  int port() {
    return verticle.actualPort();
  }

  /** The next boot event within {@code seconds}, or an AssertionError. */
  BootEvent nextEvent(int seconds) throws InterruptedException {
    BootEvent event = events.poll(seconds, TimeUnit.SECONDS);
    if (event == null) {
      throw new AssertionError("no boot event within " + seconds + " s");
    }
    return event;
  }

  static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    await(vertx.undeploy(deploymentId));
    await(consumer.unregister());
  }
}
