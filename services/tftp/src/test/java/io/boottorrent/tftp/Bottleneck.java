package io.boottorrent.tftp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A shaped link for {@link LossyRelay}, like a tbf qdisc: datagrams leave one after another at
 * {@code bitsPerSecond} (each counted with 28 bytes of IP and UDP header); one that would wait in
 * the queue longer than {@code queueMillis} is dropped (tail drop). Share one instance between the
 * relays of many clients to emulate the server's uplink that all their transfers cross.
 */
final class Bottleneck implements LossyRelay.Link, AutoCloseable {
  private static final int HEADER_BYTES = 28;

  private record Pending(long departureNanos, byte[] packet, DatagramSocket via, SocketAddress to) {}

  private final double nanosPerByte;
  private final long queueNanos;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread sender;
  private long busyUntilNanos;
  private volatile boolean closed;

  final AtomicLong delivered = new AtomicLong();
  final AtomicLong dropped = new AtomicLong();

  Bottleneck(long bitsPerSecond, int queueMillis) {
    this.nanosPerByte = 8e9 / bitsPerSecond;
    this.queueNanos = TimeUnit.MILLISECONDS.toNanos(queueMillis);
    sender = new Thread(this::send, "bottleneck");
    sender.setDaemon(true);
    sender.start();
  }

  @Override
  public boolean carry(byte[] packet, DatagramSocket via, SocketAddress to) {
    long departure;
    synchronized (this) {
      long now = System.nanoTime();
      long start = Math.max(now, busyUntilNanos);
      if (start - now > queueNanos) {
        dropped.incrementAndGet();
        return false;
      }
      departure = start + (long) ((packet.length + HEADER_BYTES) * nanosPerByte);
      busyUntilNanos = departure;
      // enqueued under the lock so that the queue stays in departure order
      queue.add(new Pending(departure, packet, via, to));
    }
    return true;
  }

  private void send() {
    while (!closed) {
      Pending next;
      try {
        next = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (next == null) {
        continue;
      }
      for (long wait = next.departureNanos() - System.nanoTime(); wait > 0;
          wait = next.departureNanos() - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      try {
        next.via().send(new DatagramPacket(next.packet(), next.packet().length, next.to()));
        delivered.incrementAndGet();
      } catch (IOException e) {
        // the relay was closed under us: the datagram is lost like any other
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    sender.interrupt();
  }

  @Override
  public String toString() {
    return String.format("bottleneck: %d delivered / %d dropped", delivered.get(), dropped.get());
  }
}
