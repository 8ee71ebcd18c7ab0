package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.MessageType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The DHCP service's meters (docs/METRICS.md), in the process's registry. Tags are bounded: message
 * types are the eight of RFC 2132, architectures the names {@code ClientArch} knows (any other code is
 * {@code other}), drop reasons the three below.
 */
final class DhcpMetrics {
  /** Where {@code io.boottorrent.server.Meters} leaves the process's registry (not a dependency here). */
  private static final String SHARED_MAP = "boottorrent.metrics";
  private static final String REGISTRY_KEY = "registry";
  private static final Set<String> ARCHES = Set.of("bios", "efi32", "efi64", "arm32", "arm64", "http",
      "http-efi32", "http-arm32", "http-arm64");

  static final String MALFORMED = "malformed";
  static final String INTERNAL_ERROR = "internal_error";
  static final String JOURNAL_ERROR = "journal_error";

  private final MeterRegistry registry;
  private final Map<MessageType, Counter> requests = new EnumMap<>(MessageType.class);
  private final Counter requestsWithoutType;
  private final Map<MessageType, Counter> replies = new EnumMap<>(MessageType.class);

  DhcpMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (MessageType type : MessageType.values()) {
      requests.put(type, requestCounter(name(type)));
    }
    requestsWithoutType = requestCounter("none");
    for (MessageType type : new MessageType[] {MessageType.OFFER, MessageType.ACK, MessageType.NAK}) {
      replies.put(type, replyCounter(type));
    }
    for (String reason : new String[] {MALFORMED, INTERNAL_ERROR, JOURNAL_ERROR}) {
      dropCounter(reason);
    }
  }

  /** The meters of the process that runs on {@code vertx}. */
  static DhcpMetrics of(Vertx vertx) {
    return new DhcpMetrics(processRegistry(vertx));
  }

  /**
   * The registry {@code ServerVertx.start} made for this Vert.x instance; on any other Vert.x (tests,
   * embedded use) a registry nobody reads.
   */
  static MeterRegistry processRegistry(Vertx vertx) {
    Object shared = vertx.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    return shared instanceof MeterRegistry process ? process : new SimpleMeterRegistry();
  }

  /**
   * The offer limits' counters ({@link OfferLimiter}): DISCOVERs not answered, by the limit that
   * refused them, and offers whose address was given to a new client; read when scraped.
   */
  void offerLimits(OfferLimiter limiter) {
    io.micrometer.core.instrument.FunctionCounter.builder("boottorrent.dhcp.offers.limited", limiter,
            OfferLimiter::limitedByMac)
        .description("DISCOVERs not answered because of an offer rate limit: per MAC (dhcp.offerRatePerMacPerMinute) or"
            + " per relay (dhcp.offerRatePerRelay)")
        .tag("limit", "mac").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("boottorrent.dhcp.offers.limited", limiter,
            OfferLimiter::limitedByRelay)
        .description("DISCOVERs not answered because of an offer rate limit: per MAC (dhcp.offerRatePerMacPerMinute) or"
            + " per relay (dhcp.offerRatePerRelay)")
        .tag("limit", "relay").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("boottorrent.dhcp.offers.reclaimed", limiter,
            OfferLimiter::reclaimedOffers)
        .description("Offers never REQUESTed whose address went to a new client because the pool had no free address")
        .register(registry);
  }

  /** A request decoded (by its option 53; {@code none}: BOOTP, or no message type). */
  void received(Optional<MessageType> type) {
    type.map(requests::get).orElse(requestsWithoutType).increment();
  }

  /** A reply sent; a PXE offer (boot information in an OFFER) also counts by architecture. */
  void replied(DhcpReply reply) {
    Counter counter = replies.get(reply.type());
    (counter != null ? counter : replyCounter(reply.type())).increment();
    if (reply.isPxeOffer()) {
      String arch = reply.boot().map(BootChoice::archName).filter(ARCHES::contains).orElse("other");
      Counter.builder("boottorrent.dhcp.pxe.offers").description("PXE offers sent (OFFERs with boot information), by client architecture (option 93)")
          .tag("arch", arch).register(registry).increment();
    }
  }

  /** A request that got no reply: {@link #MALFORMED}, {@link #INTERNAL_ERROR} or {@link #JOURNAL_ERROR}. */
  void dropped(String reason) {
    dropCounter(reason).increment();
  }

  private Counter requestCounter(String type) {
    return Counter.builder("boottorrent.dhcp.requests").description("DHCP requests received, by message type")
        .tag("type", type).register(registry);
  }

  private Counter replyCounter(MessageType type) {
    return Counter.builder("boottorrent.dhcp.replies").description("DHCP replies sent, by message type")
        .tag("type", name(type)).register(registry);
  }

  private Counter dropCounter(String reason) {
    return Counter.builder("boottorrent.dhcp.dropped")
        .description("Requests dropped without a reply: malformed packet, internal error, or the lease journal not written")
        .tag("reason", reason).register(registry);
  }

  private static String name(MessageType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }
}
