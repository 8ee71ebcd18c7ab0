package io.boottorrent.dhcp;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Every address the server has offered, bound, released or seen declined, in memory, with the list
 * of changes not yet written to the journal ({@link #drainChanges}).
 *
 * <p>The invariant it guards: at any instant an address is held (OFFERED, BOUND or DECLINED and not
 * expired) by at most one MAC, and a MAC holds at most one address. {@link #offer} and {@link #bind}
 * refuse — with an {@link IllegalStateException}, a bug in the caller — to break it. Replaying the
 * journal ({@link #replay}) rebuilds the same state, so the invariant survives restarts as long as
 * changes are journaled before the reply that announces them is sent (what {@code DhcpVerticle} does).
 *
 * <p>Pure and synchronous; methods are synchronized so tests may read it from another thread.
 */
public final class LeaseStore {
  private final Map<Ipv4, Lease> byIp = new HashMap<>();
  private final Map<String, Lease> byMac = new HashMap<>();
  private final List<Lease> changes = new ArrayList<>();
  /**
   * The OFFERED records that are an address's current record, oldest offer first (every offer holds
   * for the same {@code offerHoldSeconds}); expired ones are dropped as they are met. Bounded by the
   * pools' size.
   */
  private final LinkedHashMap<Ipv4, Lease> offers = new LinkedHashMap<>();
  /** Per range start: where the search for a never-used address goes on. */
  private final Map<Ipv4, Ipv4> cursors = new HashMap<>();

  public LeaseStore() {}

  /** A store holding {@code records} applied in order (the journal's lines, oldest first). */
  public static LeaseStore replay(Collection<Lease> records) {
    LeaseStore store = new LeaseStore();
    for (Lease lease : records) {
      store.apply(lease);
    }
    return store;
  }

  private void apply(Lease lease) {
    Lease previous = byIp.put(lease.ip(), lease);
    offers.remove(lease.ip());
    if (lease.state() == State.OFFERED) {
      offers.put(lease.ip(), lease); // at the end: the newest offer
    }
    if (previous != null && lease.state() == State.DECLINED && byMac.get(previous.mac()) == previous) {
      byMac.remove(previous.mac());
    }
    Lease ofMac = byMac.get(lease.mac());
    boolean macHoldsAnother = ofMac != null && byIp.get(ofMac.ip()) == ofMac && !ofMac.ip().equals(lease.ip())
        && (ofMac.state() == State.OFFERED || ofMac.state() == State.BOUND);
    if (lease.state() == State.RELEASED && macHoldsAnother) {
      return; // an older address of this MAC: its current one stays its lease
    }
    if (lease.state() != State.DECLINED) {
      byMac.put(lease.mac(), lease);
    } else if (byMac.get(lease.mac()) != null && byMac.get(lease.mac()).ip().equals(lease.ip())) {
      byMac.remove(lease.mac());
    }
  }

  private void change(Lease lease) {
    apply(lease);
    changes.add(lease);
  }

  public synchronized Optional<Lease> byIp(Ipv4 ip) {
    return Optional.ofNullable(byIp.get(ip));
  }

  /** The last address record of {@code mac}, whatever its state, if that address was not given to someone else since. */
  public synchronized Optional<Lease> leaseOf(String mac) {
    Lease lease = byMac.get(mac);
    return lease != null && byIp.get(lease.ip()) == lease ? Optional.of(lease) : Optional.empty();
  }

  /** Free (never used, released, expired) or already {@code mac}'s own (and not declined). */
  public synchronized boolean isAvailable(Ipv4 ip, String mac, long nowMs) {
    Lease lease = byIp.get(ip);
    return lease == null || !lease.holds(nowMs) || (lease.mac().equals(mac) && lease.state() != State.DECLINED);
  }

  /**
   * A free address in {@code start..end} that {@code allowed} accepts: first one never used (going on
   * from where the last search stopped), else the one released or expired longest ago.
   */
  public synchronized Optional<Ipv4> findFree(Ipv4 start, Ipv4 end, Predicate<Ipv4> allowed, long nowMs) {
    long size = end.unsigned() - start.unsigned() + 1;
    Ipv4 cursor = cursors.getOrDefault(start, start);
    if (cursor.compareTo(start) < 0 || cursor.compareTo(end) > 0) {
      cursor = start;
    }
    Ipv4 candidate = cursor;
    for (long i = 0; i < size; i++) {
      if (!byIp.containsKey(candidate) && allowed.test(candidate)) {
        cursors.put(start, candidate.equals(end) ? start : candidate.plus(1));
        return Optional.of(candidate);
      }
      candidate = candidate.equals(end) ? start : candidate.plus(1);
    }
    return byIp.values().stream()
        .filter(l -> l.ip().compareTo(start) >= 0 && l.ip().compareTo(end) <= 0)
        .filter(l -> !l.holds(nowMs))
        .filter(l -> allowed.test(l.ip()))
        .min(Comparator.comparingLong(Lease::expiresAtMs).thenComparing(Lease::ip))
        .map(Lease::ip);
  }

  /** Holds {@code ip} for {@code mac} until {@code untilMs}; a binding it already has is kept as is. */
  public synchronized void offer(String mac, Ipv4 ip, long untilMs, long nowMs) {
    requireAvailable(ip, mac, nowMs);
    Lease current = byIp.get(ip);
    if (current != null && current.mac().equals(mac) && current.state() == State.BOUND && current.holds(nowMs)) {
      return;
    }
    giveUpOther(mac, ip, nowMs);
    change(new Lease(ip, State.OFFERED, mac, untilMs));
  }

  public synchronized void bind(String mac, Ipv4 ip, long untilMs, long nowMs) {
    requireAvailable(ip, mac, nowMs);
    giveUpOther(mac, ip, nowMs);
    change(new Lease(ip, State.BOUND, mac, untilMs));
  }

  /** Offers held now (made, not REQUESTed, not expired) for addresses in {@code start..end}. */
  public synchronized long offersHeld(Ipv4 start, Ipv4 end, long nowMs) {
    long held = 0;
    for (Iterator<Lease> it = offers.values().iterator(); it.hasNext(); ) {
      Lease offer = it.next();
      if (!offer.holds(nowMs)) {
        it.remove(); // expired: the address is free again, and findFree finds it
      } else if (offer.ip().compareTo(start) >= 0 && offer.ip().compareTo(end) <= 0) {
        held++;
      }
    }
    return held;
  }

  /**
   * The address of the oldest offer held now in {@code start..end}, to another MAC than {@code mac},
   * that {@code allowed} accepts: what {@link #reclaim} gives to a new client when offers that were
   * never REQUESTed hold too much of the pool.
   */
  public synchronized Optional<Ipv4> oldestOffer(Ipv4 start, Ipv4 end, String mac, Predicate<Ipv4> allowed,
      long nowMs) {
    for (Lease offer : offers.values()) {
      if (offer.holds(nowMs) && !offer.mac().equals(mac) && offer.ip().compareTo(start) >= 0
          && offer.ip().compareTo(end) <= 0 && allowed.test(offer.ip())) {
        return Optional.of(offer.ip());
      }
    }
    return Optional.empty();
  }

  /**
   * Takes back the offer of {@code ip} (it must be an offer held now): the address is free, and the
   * client it was offered to gets a NAK if it REQUESTs it after someone else was given it.
   */
  public synchronized void reclaim(Ipv4 ip, long nowMs) {
    Lease offer = byIp.get(ip);
    if (offer == null || offer.state() != State.OFFERED || !offer.holds(nowMs)) {
      throw new IllegalStateException(ip + " is not an offer held now: " + offer);
    }
    change(new Lease(ip, State.RELEASED, offer.mac(), nowMs));
  }

  /** Frees {@code ip} if it is {@code mac}'s; returns whether it was. */
  public synchronized boolean release(String mac, Ipv4 ip, long nowMs) {
    Lease current = byIp.get(ip);
    if (current == null || !current.mac().equals(mac) || current.state() == State.DECLINED
        || current.state() == State.RELEASED) {
      return false;
    }
    change(new Lease(ip, State.RELEASED, mac, nowMs));
    return true;
  }

  /** Nobody gets {@code ip} until {@code untilMs}; {@code mac} loses it. */
  public synchronized void decline(String mac, Ipv4 ip, long untilMs) {
    change(new Lease(ip, State.DECLINED, mac, untilMs));
  }

  /** Changes since the last call, oldest first, for the journal. */
  public synchronized List<Lease> drainChanges() {
    List<Lease> out = List.copyOf(changes);
    changes.clear();
    return out;
  }

  /** How many addresses have a record. */
  public synchronized int size() {
    return byIp.size();
  }

  /** One record per address, oldest expiry first (so replay ends on each MAC's newest): a compacted journal. */
  public synchronized List<Lease> snapshot() {
    return byIp.values().stream()
        .sorted(Comparator.comparingLong(Lease::expiresAtMs).thenComparing(Lease::ip))
        .toList();
  }

  /** Addresses held right now (OFFERED/BOUND/DECLINED, not expired). */
  public synchronized List<Lease> held(long nowMs) {
    return byIp.values().stream().filter(l -> l.holds(nowMs)).sorted(Comparator.comparing(Lease::ip)).toList();
  }

  private void requireAvailable(Ipv4 ip, String mac, long nowMs) {
    if (!isAvailable(ip, mac, nowMs)) {
      throw new IllegalStateException(ip + " is held by " + byIp.get(ip) + ", cannot give it to " + mac);
    }
  }

  /** A MAC holds one address: its previous one (offered or bound) becomes free. */
  private void giveUpOther(String mac, Ipv4 ip, long nowMs) {
    Lease previous = leaseOf(mac).orElse(null);
    if (previous != null && !previous.ip().equals(ip)
        && (previous.state() == State.OFFERED || previous.state() == State.BOUND)) {
      change(new Lease(previous.ip(), State.RELEASED, mac, nowMs));
    }
  }
}
