package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The offer rate limits of {@link OfferLimits}: a token bucket per client MAC, taken by every
 * DISCOVER, and one per relay ({@code giaddr}, 0.0.0.0 for our own segment), taken only by DISCOVERs
 * that would take an address the client does not hold yet. So one MAC cannot repeat DISCOVERs to make
 * the server journal and answer without end, a burst of spoofed MACs behind one relay gets the
 * relay's burst of offers and then its rate, and clients the server already knows (a lease, an offer,
 * a reservation) still get their own address during such a burst. Spoofed MACs are random, so at most
 * {@link #MAX_KEYS} buckets of each kind are kept, the least recently used dropped first: a dropped
 * key starts again with a full bucket, as it would have after being idle that long.
 *
 * <p>Pure; time is the caller's (wall-clock ms; a clock that steps back refills nothing). Touched on
 * the DHCP verticle's event loop only; the counters may be read from anywhere.
 */
public final class OfferLimiter {
  /** Buckets kept per kind: ~100 bytes each, so ~6 MiB at most for MACs. */
  static final int MAX_KEYS = 65_536;

  /** Which limit refused an offer. */
  public enum Limit { MAC, RELAY }

  private final OfferLimits limits;
  private final Buckets<String> macs;
  private final Buckets<Ipv4> relays;
  private final AtomicLong limitedByMac = new AtomicLong();
  private final AtomicLong limitedByRelay = new AtomicLong();
  private final AtomicLong reclaimed = new AtomicLong();

  public OfferLimiter(OfferLimits limits) {
    this.limits = limits;
    macs = new Buckets<>(limits.burstPerMac(), limits.ratePerMacPerMinute() / 60_000.0);
    relays = new Buckets<>(limits.burstPerRelay(), limits.ratePerRelay() / 1000.0);
  }

  public OfferLimits limits() {
    return limits;
  }

  /**
   * Whether a DISCOVER from {@code mac} via {@code relay} may be answered; {@code newAddress}: it would
   * take an address the client does not hold. Takes a token from each bucket that applies, or from
   * none when one of them is empty (a refused DISCOVER costs the other bucket nothing).
   */
  public Optional<Limit> tryOffer(String mac, Ipv4 relay, boolean newAddress, long nowMs) {
    if (!macs.has(mac, nowMs)) {
      limitedByMac.incrementAndGet();
      return Optional.of(Limit.MAC);
    }
    if (newAddress && !relays.has(relay, nowMs)) {
      limitedByRelay.incrementAndGet();
      return Optional.of(Limit.RELAY);
    }
    macs.take(mac);
    if (newAddress) {
      relays.take(relay);
    }
    return Optional.empty();
  }

  /** An offer's address was given to a new client because offers held too much of the pool. */
  void reclaimed() {
    reclaimed.incrementAndGet();
  }

  public long limitedByMac() {
    return limitedByMac.get();
  }

  public long limitedByRelay() {
    return limitedByRelay.get();
  }

  public long reclaimedOffers() {
    return reclaimed.get();
  }

  /** Buckets currently kept (MACs, relays), for tests of the bound. */
  int[] keys() {
    return new int[] {macs.size(), relays.size()};
  }

  /** Token buckets by key, least recently used dropped first beyond {@link #MAX_KEYS}. */
  private static final class Buckets<K> {
    private final double burst;
    private final double perMs;
    private final Map<K, double[]> byKey = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, double[]> eldest) {
        return size() > MAX_KEYS;
      }
    };

    Buckets(int burst, double perMs) {
      this.burst = burst;
      this.perMs = perMs;
    }

    /** Refills {@code key}'s bucket to {@code nowMs}; true if it holds a token. {0: tokens, 1: last ms} */
    boolean has(K key, long nowMs) {
      double[] b = byKey.computeIfAbsent(key, k -> new double[] {burst, nowMs});
      double elapsed = Math.max(0, nowMs - b[1]);
      b[0] = Math.min(burst, b[0] + elapsed * perMs);
      b[1] = Math.max(b[1], nowMs);
      return b[0] >= 1;
    }

    /** After {@link #has} said true. */
    void take(K key) {
      byKey.get(key)[0] -= 1;
    }

    int size() {
      return byKey.size();
    }
  }
}
