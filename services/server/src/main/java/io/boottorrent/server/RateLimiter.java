package io.boottorrent.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per key (a client's address): each holds up to {@code burst} tokens and refills at
 * {@code perSecond}; a request takes one or is refused. At most {@code maxKeys} buckets are kept, the
 * least recently used dropped first (a dropped key starts again with a full bucket, which is what a
 * key idle long enough to be dropped would have anyway). Time comes from the caller (nanoseconds,
 * {@link System#nanoTime}), so tests need no clock.
 */
public final class RateLimiter<K> {
  private final double perNano;
  private final double burst;
  private final Map<K, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long lastNanos;

    Bucket(double tokens, long lastNanos) {
      this.tokens = tokens;
      this.lastNanos = lastNanos;
    }
  }

  /** @throws IllegalArgumentException for a rate or burst below 1 */
  public RateLimiter(double perSecond, int burst, int maxKeys) {
    if (perSecond <= 0 || burst < 1 || maxKeys < 1) {
      throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst + ", keys " + maxKeys
          + ": each must be at least 1");
    }
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, Bucket> eldest) {
        return size() > maxKeys;
      }
    };
  }

  /** Takes a token from {@code key}'s bucket; false when it is empty. */
  public boolean tryAcquire(K key, long nowNanos) {
    return tryAcquire(key, 1, nowNanos);
  }

  /**
   * Takes {@code tokens} (e.g. bytes) from {@code key}'s bucket at once, or none: false when it holds
   * fewer. A request of more than the burst never succeeds; callers refuse those first.
   */
  public synchronized boolean tryAcquire(K key, long tokens, long nowNanos) {
    Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, nowNanos));
    long elapsed = Math.max(0, nowNanos - b.lastNanos);
    b.tokens = Math.min(burst, b.tokens + elapsed * perNano);
    b.lastNanos = Math.max(b.lastNanos, nowNanos);
    if (b.tokens < tokens) {
      return false;
    }
    b.tokens -= tokens;
    return true;
  }

  /** Seconds until {@code key} has a token again (at least 1, for a Retry-After header). */
  public long retryAfterSeconds(K key) {
    return retryAfterSeconds(key, 1);
  }

  /** Seconds until {@code key}'s bucket holds {@code tokens} again (at least 1). */
  public synchronized long retryAfterSeconds(K key, long tokens) {
    Bucket b = buckets.get(key);
    double missing = b == null ? 0 : Math.max(0, Math.min(tokens, burst) - b.tokens);
    return Math.max(1, (long) Math.ceil(missing / perNano / 1e9));
  }
}
