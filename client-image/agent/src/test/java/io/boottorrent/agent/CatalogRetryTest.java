package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.MediaTypes;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.testsupport.Ports;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** agent.catalogRetrySeconds: a catalog that is down (restarting) is asked again with back-off, for so long. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CatalogRetryTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aCatalogThatComesUpWithinTheRetryTimeIsReached() throws Exception {
    // GIVEN no catalog on the port yet, and an agent's client that retries for 30 s
    int port = Ports.freeTcp();
    CatalogClient client = new CatalogClient(vertx, "http://127.0.0.1:" + port, Optional.empty(), 30_000);
    long asked = System.nanoTime();
    Future<BootAssignment> assignment = client.assignment("02:00:00:00:00:01", "");
    // WHEN the catalog starts 3 s later
    Thread.sleep(3000);
    assertThat(assignment.isComplete()).isFalse();
    vertx.createHttpServer().requestHandler(r -> r.response().putHeader("Content-Type", MediaTypes.PROTOBUF)
        .end(Buffer.buffer(BootAssignment.newBuilder().setDefaultImage("demo").build().toByteArray())))
        .listen(port, "127.0.0.1").await();
    // THEN the client's next try gets the answer
    assertThat(assignment.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS).getDefaultImage())
        .isEqualTo("demo");
    assertThat((System.nanoTime() - asked) / 1e9).isGreaterThanOrEqualTo(3.0);
  }

  @Test
  void withoutRetryTimeAnUnreachableCatalogFailsAtOnce() throws Exception {
    CatalogClient client = new CatalogClient(vertx, "http://127.0.0.1:" + Ports.freeTcp(), Optional.empty(), 0);
    Future<BootAssignment> assignment = client.assignment("02:00:00:00:00:01", "");
    assertThat(assignment.toCompletionStage().toCompletableFuture().handle((a, e) -> e).get(10, TimeUnit.SECONDS))
        .isNotNull();
  }
}
