package io.boottorrent.tracker;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.core.InfoHash;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Swarm state shared by every tracker of the Hazelcast cluster, so that any tracker instance behind
 * the announce URL answers with the whole swarm.
 *
 * <p>Key design: one IMap per swarm, {@code boottorrent.tracker.peers.<info-hash hex>}, keyed by {@link
 * PeerKey} ({@code <peer id hex>@<address>}: one client re-using another's peer id from elsewhere
 * gets an entry of its own instead of overwriting the other's), value the {@link PeerEntry} bytes
 * with a per-entry TTL of the peer TTL. An announce then reads exactly its own swarm ({@code
 * values()} of one map) instead of filtering one big map of all swarms with a predicate, which would
 * visit every partition and every swarm's entries; and expiry is Hazelcast's own per-entry TTL, with
 * no sweeper. The price is one map per catalog image ever announced (only those are tracked), which
 * is fine for a boot system's tens to hundreds of images. Completed counts live in one more map,
 * {@code boottorrent.tracker.completed} (info-hash hex → count), incremented atomically by an entry
 * processor on the owning member.
 *
 * <p>Nothing blocks the event loop: writes use the async IMap calls, and the two calls Hazelcast has
 * only in blocking form (getting a map proxy, {@code values()}) run on worker threads.
 */
final class HazelcastSwarmStore implements SwarmStore {
  static final String PEERS_PREFIX = "boottorrent.tracker.peers.";
  static final String COMPLETED_MAP = "boottorrent.tracker.completed";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastSwarmStore.class);

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final long ttlSeconds;
  private final IMap<String, Long> completed;
  // Map proxies by swarm: getMap may talk to the cluster the first time, so it is called once per swarm.
  private final ConcurrentMap<InfoHash, IMap<String, byte[]>> swarms = new ConcurrentHashMap<>();

  private HazelcastSwarmStore(Vertx vertx, HazelcastInstance hazelcast, Duration ttl) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
    this.completed = hazelcast.getMap(COMPLETED_MAP);
  }

  static Future<SwarmStore> create(Vertx vertx, HazelcastInstance hazelcast, Duration ttl) {
    return vertx.executeBlocking(() -> new HazelcastSwarmStore(vertx, hazelcast, ttl), false);
  }

  @Override
  public Future<Void> put(InfoHash infoHash, PeerEntry peer) {
    String key = PeerKey.of(peer).toString();
    return peers(infoHash)
        .compose(map -> fromStage(map.setAsync(key, peer.toByteArray(), ttlSeconds, TimeUnit.SECONDS)));
  }

  @Override
  public Future<Void> remove(InfoHash infoHash, PeerKey peer) {
    return peers(infoHash).compose(map -> fromStage(map.removeAsync(peer.toString()))).mapEmpty();
  }

  /**
   * Empties the swarm's map (on a worker: {@code clear} has no async form) rather than destroying it:
   * every tracker of the cluster holds a proxy of it, and a destroyed map's proxies are not to be
   * used again. Every tracker gets the catalog's removal, so this runs once per tracker; it is idempotent.
   */
  @Override
  public Future<Void> drop(InfoHash infoHash) {
    Future<Void> peers = peers(infoHash).compose(map -> vertx.executeBlocking(() -> {
      map.clear();
      return null;
    }, false));
    Future<Long> count = fromStage(completed.removeAsync(infoHash.hex()));
    return Future.all(peers, count).mapEmpty();
  }

  @Override
  public Future<Void> recordCompleted(InfoHash infoHash) {
    return fromStage(completed.submitToKey(infoHash.hex(), new Increment())).mapEmpty();
  }

  @Override
  public Future<SwarmSnapshot> snapshot(InfoHash infoHash) {
    Future<List<PeerEntry>> peers = peers(infoHash)
        .compose(map -> vertx.executeBlocking(() -> parse(infoHash, map.values()), false));
    Future<Long> downloaded = fromStage(completed.getAsync(infoHash.hex()));
    return Future.all(peers, downloaded).map(all -> new SwarmSnapshot(
        peers.result(), downloaded.result() == null ? 0 : downloaded.result()));
  }

  private Future<IMap<String, byte[]>> peers(InfoHash infoHash) {
    IMap<String, byte[]> map = swarms.get(infoHash);
    if (map != null) {
      return Future.succeededFuture(map);
    }
    return vertx.executeBlocking(
        () -> swarms.computeIfAbsent(infoHash, h -> hazelcast.getMap(PEERS_PREFIX + h.hex())), false);
  }

  /** Back on the caller's context, not on a Hazelcast thread. */
  private <T> Future<T> fromStage(CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
  }

  private static List<PeerEntry> parse(InfoHash infoHash, Collection<byte[]> values) {
    List<PeerEntry> out = new ArrayList<>(values.size());
    for (byte[] value : values) {
      try {
        out.add(PeerEntry.parseFrom(value));
      } catch (InvalidProtocolBufferException e) {
        LOG.warn("skipping an unreadable peer entry in swarm {}: {}", infoHash, e.getMessage());
      }
    }
    return out;
  }

  /** Adds one to a counter where the entry lives; Serializable as every EntryProcessor must be. */
  static final class Increment implements EntryProcessor<String, Long, Long> {
    private static final long serialVersionUID = 1L;

    @Override
    public Long process(Map.Entry<String, Long> entry) {
      long next = (entry.getValue() == null ? 0 : entry.getValue()) + 1;
      entry.setValue(next);
      return next;
    }
  }
}
