package io.boottorrent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long T0 = 5_000_000_000_000_000_000L; // large, as System.nanoTime may be

  @Test
  void aKeyGetsItsBurstThenTheRatePerSecond() {
    RateLimiter<String> limiter = new RateLimiter<>(2, 3, 100);
    // GIVEN a burst of 3: three requests at once pass, the fourth does not
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("a", T0)).isTrue();
    }
    assertThat(limiter.tryAcquire("a", T0)).isFalse();
    assertThat(limiter.retryAfterSeconds("a")).isEqualTo(1);
    // WHEN half a second passes at 2/s THEN one more passes, and not two
    assertThat(limiter.tryAcquire("a", T0 + SECOND / 2)).isTrue();
    assertThat(limiter.tryAcquire("a", T0 + SECOND / 2)).isFalse();
    // AND a long pause refills up to the burst only
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("a", T0 + 100 * SECOND)).isTrue();
    }
    assertThat(limiter.tryAcquire("a", T0 + 100 * SECOND)).isFalse();
  }

  @Test
  void keysHaveBucketsOfTheirOwn() {
    RateLimiter<String> limiter = new RateLimiter<>(1, 1, 100);
    assertThat(limiter.tryAcquire("a", T0)).isTrue();
    assertThat(limiter.tryAcquire("a", T0)).isFalse();
    assertThat(limiter.tryAcquire("b", T0)).isTrue();
  }

  @Test
  void theLeastRecentlyUsedKeyIsDroppedBeyondMaxKeys() {
    RateLimiter<String> limiter = new RateLimiter<>(1, 1, 2);
    limiter.tryAcquire("a", T0);
    limiter.tryAcquire("b", T0);
    limiter.tryAcquire("c", T0); // drops a
    assertThat(limiter.tryAcquire("b", T0)).isFalse();
    assertThat(limiter.tryAcquire("a", T0)).isTrue(); // a new, full bucket
  }

  @Test
  void aClockGoingBackwardsRefillsNothing() {
    RateLimiter<String> limiter = new RateLimiter<>(1, 1, 10);
    assertThat(limiter.tryAcquire("a", T0)).isTrue();
    assertThat(limiter.tryAcquire("a", T0 - 10 * SECOND)).isFalse();
    assertThat(limiter.tryAcquire("a", T0 + SECOND / 2)).isFalse();
  }

  @Test
  void nonsenseLimitsAreRefused() {
    assertThatThrownBy(() -> new RateLimiter<String>(0, 1, 1)).hasMessageContaining("at least 1");
    assertThatThrownBy(() -> new RateLimiter<String>(1, 0, 1)).hasMessageContaining("burst 0");
  }
}
