package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.SwarmStats;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StatsThrottleTest {
  private static final long PERIOD_MS = 300;

  private static SwarmStats stats(String hash, int complete, int incomplete) {
    return SwarmStats.newBuilder().setInfoHash(hash).setComplete(complete).setIncomplete(incomplete).build();
  }

  @Test
  void publishesTheFirstChangeAtOnceAndABurstAsItsLatestValueAfterThePeriod(Vertx vertx, VertxTestContext ctx) {
    List<SwarmStats> published = new CopyOnWriteArrayList<>();
    long started = System.currentTimeMillis();
    vertx.runOnContext(v -> {
      StatsThrottle throttle = new StatsThrottle(vertx, PERIOD_MS, published::add);

      // GIVEN a first count, then a burst of three changes within the period
      throttle.offer(stats("a", 0, 1));
      throttle.offer(stats("a", 0, 2));
      throttle.offer(stats("a", 0, 3));
      throttle.offer(stats("a", 1, 3));

      // THEN the first went out at once, the burst not yet
      ctx.verify(() -> assertThat(published).containsExactly(stats("a", 0, 1)));

      // AND when the period ends only the latest of the burst follows
      vertx.setTimer(PERIOD_MS + 200, id -> ctx.verify(() -> {
        assertThat(published).containsExactly(stats("a", 0, 1), stats("a", 1, 3));
        assertThat(System.currentTimeMillis() - started).isGreaterThanOrEqualTo(PERIOD_MS);
        ctx.completeNow();
      }));
    });
  }

  @Test
  void neverRepeatsUnchangedCountsAndThrottlesEachSwarmSeparately(Vertx vertx, VertxTestContext ctx) {
    List<SwarmStats> published = new CopyOnWriteArrayList<>();
    vertx.runOnContext(v -> {
      StatsThrottle throttle = new StatsThrottle(vertx, PERIOD_MS, published::add);

      // GIVEN the same counts offered repeatedly for one swarm, and a second swarm in between
      throttle.offer(stats("a", 1, 1));
      throttle.offer(stats("b", 0, 1));
      throttle.offer(stats("a", 1, 1));

      // THEN each swarm's first counts go out at once, the repeat never
      vertx.setTimer(PERIOD_MS + 200, id -> ctx.verify(() -> {
        assertThat(published).containsExactly(stats("a", 1, 1), stats("b", 0, 1));
        ctx.completeNow();
      }));
    });
  }
}
