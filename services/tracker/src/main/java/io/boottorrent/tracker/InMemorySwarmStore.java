package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Swarm state of a standalone (not clustered) tracker, in this JVM's memory. Calls are synchronized:
 * each is a few map operations, and the verticle may run as several instances on different event
 * loops sharing one store. Expired peers are dropped when their swarm is read, and every TTL the next
 * write sweeps all swarms, so abandoned swarms do not accumulate. A swarm is only walked for expired
 * peers once its earliest expiry has passed: re-announcing peers keep pushing theirs back, so a busy
 * swarm is not walked on every announce. Entries are held with their address parsed ({@link SwarmPeer}),
 * once per announce of that peer rather than once per answer that lists it.
 */
final class InMemorySwarmStore implements SwarmStore, Shareable {
  private static final String LOCAL_MAP = "boottorrent.tracker";

  private final long ttlMillis;
  private final LongSupplier clock;
  private final Map<InfoHash, Swarm> swarms = new HashMap<>();
  private long lastSweep;

  private static final class Swarm {
    final Map<PeerKey, Listed> peers = new HashMap<>();
    long downloaded;
    /** No peer expires before this (it may be earlier than the earliest expiry: then a walk finds none). */
    long earliestExpiry = Long.MAX_VALUE;
  }

  private record Listed(SwarmPeer peer, long expiresAt) {}

  InMemorySwarmStore(Duration ttl, LongSupplier clock) {
    this.ttlMillis = ttl.toMillis();
    this.clock = clock;
    this.lastSweep = clock.getAsLong();
  }

  /** The one store of this Vert.x instance, so every verticle instance sees the same swarms. */
  static InMemorySwarmStore shared(Vertx vertx, Duration ttl) {
    return vertx.sharedData().<String, InMemorySwarmStore>getLocalMap(LOCAL_MAP)
        .computeIfAbsent("swarms", k -> new InMemorySwarmStore(ttl, System::currentTimeMillis));
  }

  @Override
  public synchronized Future<Void> put(InfoHash infoHash, PeerEntry peer) {
    Optional<SwarmPeer> listed = SwarmPeer.parse(peer);
    if (listed.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("unlistable peer entry " + peer.getIp() + ":" + peer.getPort()));
    }
    long now = clock.getAsLong();
    sweepIfDue(now);
    Swarm swarm = swarms.computeIfAbsent(infoHash, h -> new Swarm());
    long expiresAt = now + ttlMillis;
    swarm.peers.put(PeerKey.of(peer), new Listed(listed.get(), expiresAt));
    swarm.earliestExpiry = Math.min(swarm.earliestExpiry, expiresAt);
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> remove(InfoHash infoHash, PeerKey peer) {
    Swarm swarm = swarms.get(infoHash);
    if (swarm != null) {
      swarm.peers.remove(peer);
      dropIfUnused(infoHash, swarm);
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> recordCompleted(InfoHash infoHash) {
    swarms.computeIfAbsent(infoHash, h -> new Swarm()).downloaded++;
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> drop(InfoHash infoHash) {
    swarms.remove(infoHash);
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<SwarmSnapshot> snapshot(InfoHash infoHash) {
    Swarm swarm = swarms.get(infoHash);
    if (swarm == null) {
      return Future.succeededFuture(new SwarmSnapshot(List.of(), 0));
    }
    prune(swarm, clock.getAsLong());
    List<SwarmPeer> peers = new ArrayList<>(swarm.peers.size());
    for (Listed listed : swarm.peers.values()) {
      peers.add(listed.peer());
    }
    SwarmSnapshot snapshot = SwarmSnapshot.of(peers, swarm.downloaded);
    dropIfUnused(infoHash, swarm);
    return Future.succeededFuture(snapshot);
  }

  /** Swarms held, for tests of the sweep. */
  synchronized int swarmCount() {
    return swarms.size();
  }

  private void sweepIfDue(long now) {
    if (now - lastSweep < ttlMillis) {
      return;
    }
    lastSweep = now;
    swarms.values().forEach(swarm -> prune(swarm, now));
    // The completed counter outlives the peers: scrape reports it for as long as the tracker runs.
    swarms.values().removeIf(swarm -> swarm.peers.isEmpty() && swarm.downloaded == 0);
  }

  private static void prune(Swarm swarm, long now) {
    if (now < swarm.earliestExpiry) {
      return;
    }
    swarm.peers.values().removeIf(listed -> listed.expiresAt() <= now);
    long earliest = Long.MAX_VALUE;
    for (Listed listed : swarm.peers.values()) {
      earliest = Math.min(earliest, listed.expiresAt());
    }
    swarm.earliestExpiry = earliest;
  }

  private void dropIfUnused(InfoHash infoHash, Swarm swarm) {
    if (swarm.peers.isEmpty() && swarm.downloaded == 0) {
      swarms.remove(infoHash);
    }
  }
}
