package io.boottorrent.agent;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends boot events to the catalog in order, one at a time, retrying failures with back-off so a
 * brief outage loses nothing. A newer progress event replaces a queued one (only the latest matters).
 * Event-loop confined: call from the agent's context only.
 */
final class EventReporter {
  private static final Logger LOG = LoggerFactory.getLogger(EventReporter.class);
  private static final int MAX_ATTEMPTS = 6;

  private final Vertx vertx;
  private final CatalogClient catalog;
  private final Deque<BootEvent> queue = new ArrayDeque<>();
  private final Deque<Promise<Void>> drained = new ArrayDeque<>();
  private boolean sending;
  private long sent;
  private long dropped;

  EventReporter(Vertx vertx, CatalogClient catalog) {
    this.vertx = vertx;
    this.catalog = catalog;
  }

  void report(BootEvent event) {
    BootEvent last = queue.peekLast();
    if (event.getStage() == BootStage.DOWNLOAD_PROGRESS && last != null
        && last.getStage() == BootStage.DOWNLOAD_PROGRESS && queue.size() > 1) {
      queue.pollLast();
    }
    queue.addLast(event);
    pump();
  }

  /** Completes once everything queued so far was sent (or given up on). */
  Future<Void> flush() {
    if (queue.isEmpty() && !sending) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    drained.add(promise);
    return promise.future();
  }

  long sent() {
    return sent;
  }

  long dropped() {
    return dropped;
  }

  private void pump() {
    if (sending) {
      return;
    }
    BootEvent next = queue.pollFirst();
    if (next == null) {
      while (!drained.isEmpty()) {
        drained.poll().complete();
      }
      return;
    }
    sending = true;
    send(next, 1);
  }

  private void send(BootEvent event, int attempt) {
    catalog.report(event).onComplete(ar -> {
      if (ar.succeeded()) {
        sent++;
        sending = false;
        pump();
      } else if (attempt >= MAX_ATTEMPTS || ar.cause() instanceof CatalogClient.CertificateRefused) {
        dropped++;
        LOG.warn("boot event {} not delivered after {} attempts: {}", event.getStage(), attempt, ar.cause().getMessage());
        sending = false;
        pump();
      } else {
        vertx.setTimer(250L << attempt, id -> send(event, attempt + 1));
      }
    });
  }
}
