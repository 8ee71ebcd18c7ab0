package io.boottorrent.catalog;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.server.RateLimiter;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the catalog lets in at {@code POST /api/v1/events}, where anyone on the boot network may post.
 * Telemetry files each event under its MAC, learns the machine's IP from its {@code ip} (and joins
 * TFTP events, which have no MAC, to a machine by that IP), and a new {@code AGENT_STARTED} starts a new
 * boot of that machine; so, unchecked, any host could rewrite another machine's history: end its boot
 * ("rebooted"), mark it failed, claim its IP (its TFTP events then go to another MAC), fake DHCP leases,
 * or flood the bounded rings until real machines are forgotten. Hence, per event:
 *
 * <ol>
 *   <li>at most {@code catalog.maxEventBytes} of request body per event (413, before it is parsed): a
 *       count limit alone would let each event be a megabyte;
 *   <li>two token buckets per source address, one in events ({@code catalog.eventRatePerSource}/{@code
 *       eventBurstPerSource}), one in body bytes ({@code catalog.eventBytesPerSecondPerSource}/{@code
 *       eventBytesBurstPerSource}): 429 from either;
 *   <li>only the agent's stages: DHCP, PXE, TFTP and HTTP-boot events come from our own services over
 *       the event bus, never over HTTP (403);
 *   <li>one source per MAC: the address its last DHCP lease from our DHCP server gave it
 *       ({@link #leased}), else the first address to post for it; another one is refused (403) until
 *       that one has been silent for {@code catalog.eventMacBindingSeconds} (a machine that got a new
 *       address, a replaced machine);
 *   <li>the {@code ip} an event claims is replaced by the address it came from: the catalog vouches
 *       only for what it saw.
 * </ol>
 *
 * Without our DHCP server (proxy mode, another DHCP server), the first poster of a MAC holds it: a
 * host could claim a MAC before its machine boots and keep that machine's events out (not rewrite
 * them) while it keeps posting. Pure; used on the catalog's event loop only.
 *
 * <p>Boot profiles ({@code POST /api/v1/images/{name}/boot-profile}, as open) take their token from the
 * same per-source event bucket ({@link #admitPost}): one budget per host for everything it may post.
 */
final class EventIngest {
  /** MACs whose source is remembered, the least recently seen forgotten first. */
  static final int MAX_MACS = 100_000;
  static final int MAX_SOURCES = 65_536;
  static final Set<BootStage> SERVICE_STAGES =
      EnumSet.of(BootStage.DHCP_LEASE, BootStage.PXE_OFFER, BootStage.TFTP_TRANSFER, BootStage.HTTP_BOOT_FILE);

  private record Owner(String source, long lastMs, boolean leased) {}

  private final RateLimiter<String> limiter;
  private final RateLimiter<String> bytes;
  private final int maxEventBytes;
  private final long bindingMs;
  private final Map<String, Owner> owners = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Owner> eldest) {
      return size() > MAX_MACS;
    }
  };

  /** The event limits of {@code catalog}; a bytes burst below {@code maxEventBytes} is refused by CatalogOptions. */
  record Limits(int ratePerSource, int burstPerSource, int macBindingSeconds, int maxEventBytes,
      int bytesPerSecondPerSource, int bytesBurstPerSource) {}

  EventIngest(Limits limits) {
    this.limiter = new RateLimiter<>(limits.ratePerSource(), limits.burstPerSource(), MAX_SOURCES);
    this.bytes = new RateLimiter<>(limits.bytesPerSecondPerSource(), limits.bytesBurstPerSource(), MAX_SOURCES);
    this.maxEventBytes = limits.maxEventBytes();
    this.bindingMs = limits.macBindingSeconds() * 1000L;
  }

  static EventIngest of(CatalogOptions options) {
    return new EventIngest(new Limits(options.eventRatePerSource(), options.eventBurstPerSource(),
        options.eventMacBindingSeconds(), options.maxEventBytes(), options.eventBytesPerSecondPerSource(),
        options.eventBytesBurstPerSource()));
  }

  /**
   * The size check, before the body is parsed: a body of more than {@code catalog.maxEventBytes}.
   *
   * @throws CatalogException 413
   */
  void checkSize(long bodyBytes) {
    if (bodyBytes > maxEventBytes) {
      throw new CatalogException(413, "a boot event of " + bodyBytes + " bytes; at most " + maxEventBytes
          + " (catalog.maxEventBytes)");
    }
  }

  /**
   * Checks {@code event} (its MAC already canonical), {@code bodyBytes} long as posted, from {@code
   * source} and stamps its {@code ip}.
   *
   * @throws CatalogException 413 (size), 429 (events or bytes per second; {@link #retryAfterSeconds})
   *     or 403 (stage, foreign MAC)
   */
  void admit(BootEvent.Builder event, long bodyBytes, String source, long nowMs, long nowNanos) {
    checkSize(bodyBytes);
    if (!limiter.tryAcquire(source, nowNanos)) {
      throw new CatalogException(429, "too many boot events from " + source + " (catalog.eventRatePerSource "
          + "and eventBurstPerSource); retry in " + limiter.retryAfterSeconds(source) + " s");
    }
    if (!bytes.tryAcquire(source, bodyBytes, nowNanos)) {
      throw new CatalogException(429, "too many bytes of boot events from " + source
          + " (catalog.eventBytesPerSecondPerSource and eventBytesBurstPerSource); retry in "
          + bytes.retryAfterSeconds(source, bodyBytes) + " s");
    }
    if (SERVICE_STAGES.contains(event.getStage())) {
      throw CatalogException.forbidden(event.getStage() + " events come from the DHCP, TFTP and catalog "
          + "services over the event bus, not over HTTP");
    }
    String mac = event.getMac();
    Owner owner = owners.get(mac);
    if (owner != null && !owner.source().equals(source) && nowMs - owner.lastMs() < bindingMs) {
      throw CatalogException.forbidden("events for " + mac + " come from " + owner.source()
          + (owner.leased() ? " (its DHCP lease)" : "") + ", not " + source + ", until that address has "
          + "sent nothing for catalog.eventMacBindingSeconds (" + bindingMs / 1000 + " s)");
    }
    owners.put(mac, new Owner(source, nowMs, owner != null && owner.leased() && owner.source().equals(source)));
    if (!event.getIp().isEmpty() && !event.getIp().equals(source)) {
      event.setIp(source);
    }
  }

  /**
   * A post other than an event from {@code source} ({@code what}, for the answer): one token of its
   * events' bucket (catalog.eventRatePerSource / eventBurstPerSource).
   *
   * @throws CatalogException 429 ({@link #retryAfterSeconds(String)})
   */
  void admitPost(String what, String source, long nowNanos) {
    if (!limiter.tryAcquire(source, nowNanos)) {
      throw new CatalogException(429, "too many " + what + " and boot events from " + source
          + " (catalog.eventRatePerSource and eventBurstPerSource); retry in " + limiter.retryAfterSeconds(source)
          + " s");
    }
  }

  /** Seconds until {@code source} may post again after a refused {@link #admitPost}. */
  long retryAfterSeconds(String source) {
    return limiter.retryAfterSeconds(source);
  }

  /** Our DHCP server leased {@code ip} to {@code mac}: from now on its events come from there. */
  void leased(String mac, String ip, long nowMs) {
    owners.put(mac, new Owner(ip, nowMs, true));
  }

  long retryAfterSeconds(String source, long bodyBytes) {
    return Math.max(limiter.retryAfterSeconds(source), bytes.retryAfterSeconds(source, bodyBytes));
  }
}
