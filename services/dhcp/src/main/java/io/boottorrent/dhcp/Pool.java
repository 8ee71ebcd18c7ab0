package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.List;
import java.util.Optional;

/**
 * One address pool ({@code dhcp.pools[]}): the subnet it serves, the dynamic range inside it and the
 * options its clients get. Clients on that subnet (directly, or relayed with a {@code giaddr} inside
 * it) get addresses from {@code rangeStart..rangeEnd}.
 */
public record Pool(Ipv4 network, int prefixLength, Ipv4 rangeStart, Ipv4 rangeEnd, Optional<Ipv4> router,
    List<Ipv4> dns, String domain) {

  public Pool {
    if (prefixLength < 1 || prefixLength > 30) {
      throw new IllegalArgumentException("pool subnet prefix must be /1../30: " + prefixLength);
    }
    dns = List.copyOf(dns);
    domain = domain == null ? "" : domain;
    // Fields are assigned after this block: check with the parameters, not the accessors.
    int mask = Ipv4.netmask(prefixLength).bits();
    int net = network.bits();
    if ((net & ~mask) != 0) {
      throw new IllegalArgumentException("pool subnet " + network + "/" + prefixLength + " has host bits set");
    }
    if ((rangeStart.bits() & mask) != net || (rangeEnd.bits() & mask) != net) {
      throw new IllegalArgumentException("pool range " + rangeStart + "-" + rangeEnd + " is not inside "
          + network + "/" + prefixLength);
    }
    if (rangeStart.compareTo(rangeEnd) > 0) {
      throw new IllegalArgumentException("pool range start " + rangeStart + " is after its end " + rangeEnd);
    }
    if (rangeStart.equals(network) || rangeEnd.bits() == (net | ~mask)) {
      throw new IllegalArgumentException("pool range " + rangeStart + "-" + rangeEnd
          + " includes the subnet's network or broadcast address");
    }
    if (router.isPresent() && (router.get().bits() & mask) != net) {
      throw new IllegalArgumentException("router " + router.get() + " is not inside " + network + "/" + prefixLength);
    }
  }

  /** Parses "10.213.0.0/24". */
  static Pool of(String cidr, Ipv4 rangeStart, Ipv4 rangeEnd, Optional<Ipv4> router, List<Ipv4> dns, String domain) {
    int slash = cidr == null ? -1 : cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("pool subnet must be CIDR like 10.0.0.0/24: '" + cidr + "'");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("pool subnet must be CIDR like 10.0.0.0/24: '" + cidr + "'");
    }
    return new Pool(Ipv4.parse(cidr.substring(0, slash)), prefix, rangeStart, rangeEnd, router, dns, domain);
  }

  public Ipv4 netmask() {
    return Ipv4.netmask(prefixLength);
  }

  public Ipv4 broadcastAddress() {
    return new Ipv4(network.bits() | ~netmask().bits());
  }

  /** Inside the subnet (not necessarily the range). */
  public boolean contains(Ipv4 address) {
    return (address.bits() & netmask().bits()) == network.bits();
  }

  public boolean inRange(Ipv4 address) {
    return address.compareTo(rangeStart) >= 0 && address.compareTo(rangeEnd) <= 0;
  }

  public long size() {
    return rangeEnd.unsigned() - rangeStart.unsigned() + 1;
  }

  public String cidr() {
    return network + "/" + prefixLength;
  }

  @Override
  public String toString() {
    return cidr() + " " + rangeStart + "-" + rangeEnd;
  }
}
