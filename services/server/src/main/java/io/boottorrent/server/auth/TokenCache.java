package io.boottorrent.server.auth;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.ApiToken;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Answers of a remote token check, kept for {@code ttlMs} by the secret's SHA-256: a dashboard's
 * requests then cost one bus round trip per token per {@code ttlMs}, and a revoked token stops working
 * there at most {@code ttlMs} after the catalog forgot it. Unknown secrets are remembered too (a client
 * retrying a wrong token does not cost a round trip each time). At most {@code maxEntries}, the least
 * recently used dropped first. Pure (the clock is given); thread-safe.
 */
public final class TokenCache {
  private record Entry(Optional<ApiToken> token, long untilMs) {}

  private final long ttlMs;
  private final LongSupplier clock;
  private final Map<ByteString, Entry> entries;

  public TokenCache(long ttlMs, int maxEntries, LongSupplier clock) {
    this.ttlMs = ttlMs;
    this.clock = clock;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<ByteString, Entry> eldest) {
        return size() > maxEntries;
      }
    };
  }

  /** The cached answer (present: the token; empty: no such token), or none when not cached or expired. */
  public synchronized Optional<Optional<ApiToken>> get(ByteString secretSha256) {
    Entry e = entries.get(secretSha256);
    if (e == null) {
      return Optional.empty();
    }
    if (clock.getAsLong() >= e.untilMs()) {
      entries.remove(secretSha256);
      return Optional.empty();
    }
    return Optional.of(e.token());
  }

  public synchronized void put(ByteString secretSha256, Optional<ApiToken> token) {
    if (ttlMs > 0) {
      entries.put(secretSha256, new Entry(token, clock.getAsLong() + ttlMs));
    }
  }

  public synchronized int size() {
    return entries.size();
  }
}
