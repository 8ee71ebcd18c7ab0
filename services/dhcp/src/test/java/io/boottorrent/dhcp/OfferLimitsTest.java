package io.boottorrent.dhcp;

import static io.boottorrent.dhcp.Clients.SERVER;
import static io.boottorrent.dhcp.Clients.UNCONFIGURED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.OfferLimiter.Limit;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The offer limits (dhcp.offerBurstPerMac, offerRatePerMacPerMinute, offerBurstPerRelay,
 * offerRatePerRelay) and the reuse of offers never REQUESTed, through {@link DhcpServerLogic#replyFor}
 * with a clock of our own.
 */
class OfferLimitsTest {
  private static final Ipv4 RELAY = Ipv4.parse("10.213.5.1");
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
  private ServerContext ctx;

  private ServerContext context(int burstPerMac, int perMacPerMinute, int burstPerRelay, int perRelay,
      String rangeEnd) {
    JsonObject config = Clients.config();
    config.getJsonObject("dhcp").put("offerBurstPerMac", burstPerMac).put("offerRatePerMacPerMinute", perMacPerMinute)
        .put("offerBurstPerRelay", burstPerRelay).put("offerRatePerRelay", perRelay)
        .getJsonArray("pools").getJsonObject(1).put("rangeEnd", rangeEnd);
    return new ServerContext(Clients.resolved(config), new LeaseStore(), clock::get);
  }

  private Optional<DhcpReply> send(DhcpMessage request) {
    return DhcpServerLogic.replyFor(ctx, request, UNCONFIGURED);
  }

  private static DhcpMessage relayed(DhcpMessage m) {
    return m.withGiaddr(RELAY).withHops(1);
  }

  @Test
  void oneMacGetsItsBurstOfOffersThenOneEveryRefillInterval() {
    ctx = context(3, 12, 1000, 100, "10.213.5.20");
    for (int i = 0; i < 3; i++) {
      assertThat(send(Clients.discover(1))).isPresent();
    }
    // WHEN it goes on sending DISCOVERs
    assertThat(send(Clients.discover(1))).isEmpty();
    assertThat(ctx.offerLimiter().limitedByMac()).isEqualTo(1);
    // THEN 12 per minute: one token 5 s later, not before
    clock.addAndGet(4_900);
    assertThat(send(Clients.discover(1))).isEmpty();
    clock.addAndGet(200);
    assertThat(send(Clients.discover(1))).isPresent();
    // AND another MAC is not affected
    assertThat(send(Clients.discover(2))).isPresent();
  }

  @Test
  void aBurstOfNewMacsBehindOneRelayGetsTheRelaysBurstWhileKnownClientsAreStillAnswered() {
    ctx = context(8, 12, 5, 2, "10.213.5.200");
    // GIVEN a client of the relay with a lease
    DhcpReply offer = send(relayed(Clients.discover(1))).orElseThrow();
    assertThat(send(relayed(Clients.select(1, offer.message().yiaddr(), SERVER))).orElseThrow().type())
        .isEqualTo(MessageType.ACK);

    // WHEN 100 new MACs DISCOVER through that relay at once
    int offers = 0;
    for (int n = 100; n < 200; n++) {
      offers += send(relayed(Clients.discover(n))).isPresent() ? 1 : 0;
    }

    // THEN the relay's burst (5, one of which the known client took) is all they get
    assertThat(offers).isEqualTo(4);
    assertThat(ctx.offerLimiter().limitedByRelay()).isEqualTo(96);
    // AND the known client, rebooting, still gets its own address
    assertThat(send(relayed(Clients.discover(1))).orElseThrow().message().yiaddr()).isEqualTo(offer.message().yiaddr());
    // AND clients on our own segment (relay 0.0.0.0) have a bucket of their own
    assertThat(send(Clients.discover(300))).isPresent();
    // AND the relay gets 2 per second
    clock.addAndGet(1000);
    assertThat(send(relayed(Clients.discover(201)))).isPresent();
    assertThat(send(relayed(Clients.discover(202)))).isPresent();
    assertThat(send(relayed(Clients.discover(203)))).isEmpty();
  }

  @Test
  void offersOfAFloodCannotStarveThePoolForARealClient() {
    // GIVEN a relayed pool of 11 addresses and no rate limit to speak of
    ctx = context(1000, 1000, 100_000, 100_000, "10.213.5.20");
    // WHEN 500 spoofed MACs DISCOVER and never REQUEST: the pool is all offers
    for (int n = 1000; n < 1500; n++) {
      send(relayed(Clients.discover(n)));
    }
    assertThat(ctx.leases().offersHeld(Ipv4.ZERO, Ipv4.BROADCAST, clock.get())).isEqualTo(11);
    // THEN a real client still gets an address at once, and binds it
    DhcpReply offer = send(relayed(Clients.discover(1))).orElseThrow();
    DhcpReply ack = send(relayed(Clients.select(1, offer.message().yiaddr(), SERVER))).orElseThrow();
    assertThat(ack.type()).isEqualTo(MessageType.ACK);
    // AND no address was ever held by two MACs: every reclaim is journaled as a release first
    Set<Ipv4> bound = new HashSet<>();
    for (Lease lease : ctx.leases().held(clock.get())) {
      assertThat(lease.state()).isIn(State.OFFERED, State.BOUND);
      assertThat(bound.add(lease.ip())).isTrue();
    }
    assertThat(ctx.offerLimiter().reclaimedOffers()).isEqualTo(500 - 11 + 1);
    // AND a replayed journal is the same store
    LeaseStore replayed = LeaseStore.replay(ctx.leases().drainChanges());
    assertThat(replayed.held(clock.get())).isEqualTo(ctx.leases().held(clock.get()));
  }

  @Test
  void aBoundAddressIsNeverTakenBack() {
    ctx = context(1000, 1000, 100_000, 100_000, "10.213.5.11");
    for (int n = 1; n <= 2; n++) {
      DhcpReply offer = send(relayed(Clients.discover(n))).orElseThrow();
      send(relayed(Clients.select(n, offer.message().yiaddr(), SERVER))).orElseThrow();
    }
    assertThat(send(relayed(Clients.discover(3)))).isEmpty();
    assertThat(ctx.offerLimiter().reclaimedOffers()).isZero();
  }

  @Test
  void theLimiterKeepsABoundedNumberOfBuckets() {
    OfferLimiter limiter = new OfferLimiter(new OfferLimits(2, 1, 10, 1));
    for (int i = 0; i < OfferLimiter.MAX_KEYS + 10_000; i++) {
      limiter.tryOffer("mac-" + i, new Ipv4(i), false, 0);
    }
    assertThat(limiter.keys()[0]).isEqualTo(OfferLimiter.MAX_KEYS);
    // relays are only touched by DISCOVERs for new addresses
    assertThat(limiter.keys()[1]).isZero();
    for (int i = 0; i < OfferLimiter.MAX_KEYS + 10_000; i++) {
      limiter.tryOffer("mac-x", new Ipv4(i), true, i * 60_000L);
    }
    assertThat(limiter.keys()[1]).isEqualTo(OfferLimiter.MAX_KEYS);
  }

  @Test
  void aRefusedDiscoverCostsTheOtherBucketNothing() {
    OfferLimiter limiter = new OfferLimiter(new OfferLimits(1, 1, 1, 1));
    assertThat(limiter.tryOffer("a", Ipv4.ZERO, true, 0)).isEmpty();
    // relay empty: b's own token is kept
    assertThat(limiter.tryOffer("b", Ipv4.ZERO, true, 0)).contains(Limit.RELAY);
    assertThat(limiter.tryOffer("b", RELAY, true, 0)).isEmpty();
  }

  @Test
  void limitsBelowOneAreRejectedNamingTheKey() {
    assertThatThrownBy(() -> new OfferLimits(0, 1, 1, 1)).hasMessage("dhcp.offerBurstPerMac must be at least 1, got 0");
    assertThatThrownBy(() -> DhcpServerOptions.fromSection(Clients.config().getJsonObject("dhcp")
        .put("offerRatePerRelay", 0))).hasMessageContaining("dhcp.offerRatePerRelay");
  }

  @Test
  void theEmbeddedDefaults() {
    assertThat(Clients.resolved(Clients.config()).offerLimits()).isEqualTo(new OfferLimits(8, 12, 1000, 100));
  }
}
