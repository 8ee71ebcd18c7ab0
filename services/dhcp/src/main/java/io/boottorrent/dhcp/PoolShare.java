package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Which addresses of every pool this server hands out ({@code dhcp.poolShare}, {@code "<index>/<count>"}):
 * those whose 32-bit value modulo {@code count} is {@code index}. With two servers on one segment, 0/2
 * gives the even addresses and 1/2 the odd ones, so the servers never hand out the same address
 * without talking to each other: nothing is shared on the hot path, and DHCP keeps working when the
 * cluster is partitioned or down.
 *
 * <p>Modulo of the address itself, not of its offset in the range nor contiguous halves of it: an
 * address's owner then does not depend on the range, so widening or narrowing a pool's range never
 * moves an address that is bound to one server into the other's share, and one rule covers every pool.
 * The whole pool ({@link #WHOLE}, 0/1) is what one server alone has.
 */
public record PoolShare(int index, int count) {
  /** One server alone: every address. */
  public static final PoolShare WHOLE = new PoolShare(0, 1);

  public PoolShare {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("expected \"<index>/<count>\" with 0 <= index < count (e.g. \"0/2\" and"
          + " \"1/2\" for two servers; empty: the whole pool), got \"" + index + "/" + count + "\"");
    }
  }

  /** {@code "1/2"}; the message of the exception says what was expected and what was found. */
  public static PoolShare parse(String text) {
    String[] parts = text.trim().split("/", -1);
    if (parts.length == 2 && parts[0].trim().matches("\\d{1,9}") && parts[1].trim().matches("\\d{1,9}")) {
      int index = Integer.parseInt(parts[0].trim());
      int count = Integer.parseInt(parts[1].trim());
      if (count >= 1 && index < count) {
        return new PoolShare(index, count);
      }
    }
    throw new IllegalArgumentException("expected \"<index>/<count>\" with 0 <= index < count (e.g. \"0/2\" and"
        + " \"1/2\" for two servers; empty: the whole pool), got \"" + text + "\"");
  }

  public boolean isWhole() {
    return count == 1;
  }

  /** Whether this server may hand out {@code address} (any address; pools' ranges are checked apart). */
  public boolean owns(Ipv4 address) {
    return address.unsigned() % count == index;
  }

  /** How many addresses of {@code pool}'s range are in this share. */
  public long sizeOf(Pool pool) {
    return countUpTo(pool.rangeEnd().unsigned()) - countUpTo(pool.rangeStart().unsigned() - 1);
  }

  /**
   * How many addresses of {@code pool}'s range in this share a dynamic client can get: {@link #sizeOf}
   * without the {@code excluded} ones (the server's own address, routers, DNS servers, reservations).
   */
  public long dynamicSizeOf(Pool pool, Collection<Ipv4> excluded) {
    Set<Ipv4> taken = new HashSet<>();
    for (Ipv4 ip : excluded) {
      if (pool.inRange(ip) && owns(ip)) {
        taken.add(ip);
      }
    }
    return sizeOf(pool) - taken.size();
  }

  /** Addresses 0..{@code last} (as unsigned values) in this share; 0 for {@code last} < 0. */
  private long countUpTo(long last) {
    return last < index ? 0 : (last - index) / count + 1;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
