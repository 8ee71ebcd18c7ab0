package io.boottorrent.server;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A task on every event loop of a Vert.x instance that notes when it last ran: a loop that has not run
 * it for longer than its period is blocked by that much (Vert.x's own blocked-thread checker only
 * logs). Netty's event loops (Vert.x's internal API): the public one gives no way to reach each loop.
 */
final class EventLoopProbe {
  /** A loop that has not run the probe for {@code ms}. */
  record Blocked(String thread, long ms) {}

  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private final AtomicLongArray lastRun;
  private final AtomicReferenceArray<String> names;
  private final long periodNanos;

  EventLoopProbe(Vertx vertx, long periodMs) {
    EventLoopGroup group = ((VertxInternal) vertx).nettyEventLoopGroup();
    List<EventExecutor> loops = new ArrayList<>();
    group.forEach(loops::add);
    this.lastRun = new AtomicLongArray(loops.size());
    this.names = new AtomicReferenceArray<>(loops.size());
    this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
    long now = System.nanoTime();
    for (int i = 0; i < loops.size(); i++) {
      int index = i;
      lastRun.set(i, now);
      names.set(i, "event loop " + i);
      tasks.add(loops.get(i).scheduleAtFixedRate(() -> {
        lastRun.set(index, System.nanoTime());
        names.lazySet(index, Thread.currentThread().getName());
      }, 0, periodMs, TimeUnit.MILLISECONDS));
    }
  }

  int loops() {
    return lastRun.length();
  }

  /** The loops that have not run the probe for more than {@code thresholdMs} beyond its period. */
  List<Blocked> blocked(long thresholdMs, long nowNanos) {
    List<Blocked> out = new ArrayList<>();
    for (int i = 0; i < lastRun.length(); i++) {
      long late = TimeUnit.NANOSECONDS.toMillis(nowNanos - lastRun.get(i) - periodNanos);
      if (late > thresholdMs) {
        out.add(new Blocked(names.get(i), late));
      }
    }
    return out;
  }

  /** The longest any loop is late now, in ms (0: none). */
  long worstLagMs(long nowNanos) {
    long worst = 0;
    for (int i = 0; i < lastRun.length(); i++) {
      worst = Math.max(worst, TimeUnit.NANOSECONDS.toMillis(nowNanos - lastRun.get(i) - periodNanos));
    }
    return worst;
  }

  void cancel() {
    tasks.forEach(t -> t.cancel(false));
  }
}
