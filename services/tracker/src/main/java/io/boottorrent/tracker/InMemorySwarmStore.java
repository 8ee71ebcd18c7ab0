package io.boottorrent.tracker;

import io.boottorrent.proto.PeerEntry;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Swarm state of a standalone (not clustered) tracker, in this JVM's memory. Calls are synchronized:
 * each is a few map operations, and the verticle may run as several instances on different event
 * loops sharing one store. Expired peers are dropped when their swarm is read, and every TTL the next
 * write sweeps all swarms, so abandoned swarms do not accumulate.
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
  }

  private record Listed(PeerEntry peer, long expiresAt) {}

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
    long now = clock.getAsLong();
    sweepIfDue(now);
    swarms.computeIfAbsent(infoHash, h -> new Swarm())
        .peers.put(PeerKey.of(peer), new Listed(peer, now + ttlMillis));
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
    List<PeerEntry> peers = swarm.peers.values().stream().map(Listed::peer).toList();
    SwarmSnapshot snapshot = new SwarmSnapshot(peers, swarm.downloaded);
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
    swarm.peers.values().removeIf(listed -> listed.expiresAt() <= now);
  }

  private void dropIfUnused(InfoHash infoHash, Swarm swarm) {
    if (swarm.peers.isEmpty() && swarm.downloaded == 0) {
      swarms.remove(infoHash);
    }
  }
}
