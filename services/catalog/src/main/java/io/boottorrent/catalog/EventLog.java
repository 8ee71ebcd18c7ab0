package io.boottorrent.catalog;

import io.boottorrent.proto.BootEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The most recent boot events, oldest dropped first. Thread-safe. */
public final class EventLog {
  public static final int DEFAULT_CAPACITY = 10_000;

  private final int capacity;
  private final ArrayDeque<BootEvent> events;

  public EventLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.events = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  public synchronized void add(BootEvent event) {
    if (events.size() == capacity) {
      events.removeFirst();
    }
    events.addLast(event);
  }

  public synchronized int size() {
    return events.size();
  }

  /**
   * The latest {@code limit} events, oldest first; only those of {@code mac} (normalised, as events
   * are stored) unless it is null.
   */
  public synchronized List<BootEvent> latest(String mac, int limit) {
    ArrayList<BootEvent> out = new ArrayList<>(Math.min(limit, events.size()));
    Iterator<BootEvent> newestFirst = events.descendingIterator();
    while (newestFirst.hasNext() && out.size() < limit) {
      BootEvent e = newestFirst.next();
      if (mac == null || mac.equals(e.getMac())) {
        out.add(e);
      }
    }
    java.util.Collections.reverse(out);
    return out;
  }
}
