package io.boottorrent.tracker;

import io.boottorrent.proto.SwarmStats;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Passes on a swarm's {@link SwarmStats} when they change, at most once per period per swarm: a burst
 * of announces (a rack of machines booting at once) becomes one message now and, if the counts kept
 * moving, one more with the latest counts when the period ends. Unchanged counts are never repeated.
 * Used from one verticle's event loop only, hence no synchronization.
 */
final class StatsThrottle {
  private final Vertx vertx;
  private final long periodMs;
  private final Consumer<SwarmStats> sink;
  private final Map<String, Slot> slots = new HashMap<>();

  private static final class Slot {
    SwarmStats published;
    long publishedAt;
    SwarmStats pending;
    long timer = -1;
  }

  StatsThrottle(Vertx vertx, long periodMs, Consumer<SwarmStats> sink) {
    this.vertx = vertx;
    this.periodMs = periodMs;
    this.sink = sink;
  }

  void offer(SwarmStats stats) {
    Slot slot = slots.computeIfAbsent(stats.getInfoHash(), k -> new Slot());
    if (slot.timer >= 0) {
      slot.pending = stats;
      return;
    }
    if (stats.equals(slot.published)) {
      return;
    }
    long wait = slot.publishedAt + periodMs - System.currentTimeMillis();
    if (slot.published == null || wait <= 0) {
      emit(slot, stats);
      return;
    }
    slot.pending = stats;
    slot.timer = vertx.setTimer(wait, id -> {
      slot.timer = -1;
      SwarmStats latest = slot.pending;
      slot.pending = null;
      if (!latest.equals(slot.published)) {
        emit(slot, latest);
      }
    });
  }

  /** Drops pending updates (verticle stop). */
  void close() {
    slots.values().forEach(slot -> {
      if (slot.timer >= 0) {
        vertx.cancelTimer(slot.timer);
      }
    });
    slots.clear();
  }

  private void emit(Slot slot, SwarmStats stats) {
    slot.published = stats;
    slot.publishedAt = System.currentTimeMillis();
    sink.accept(stats);
  }
}
