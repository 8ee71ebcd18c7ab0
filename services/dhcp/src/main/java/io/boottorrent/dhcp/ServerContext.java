package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What {@link DhcpServerLogic#replyFor} works with: the configuration, the lease store it changes,
 * and the clock (wall-clock ms; tests pass their own).
 */
public final class ServerContext {
  private final DhcpConfig config;
  private final LeaseStore leases;
  private final LongSupplier clock;
  private final Map<Ipv4, String> reservedFor = new HashMap<>();
  private final OfferLimiter offerLimiter;

  public ServerContext(DhcpConfig config, LeaseStore leases, LongSupplier clock) {
    this.config = config;
    this.leases = leases;
    this.clock = clock;
    config.reservations().forEach((mac, ip) -> reservedFor.put(ip, mac));
    this.offerLimiter = new OfferLimiter(config.offerLimits());
  }

  public OfferLimiter offerLimiter() {
    return offerLimiter;
  }


  public DhcpConfig config() {
    return config;
  }

  public LeaseStore leases() {
    return leases;
  }

  public long nowMs() {
    return clock.getAsLong();
  }

  /** Whether {@code ip} is reserved for a MAC other than {@code mac}. */
  boolean reservedForOther(Ipv4 ip, String mac) {
    String owner = reservedFor.get(ip);
    return owner != null && !owner.equals(mac);
  }
}
