package io.boottorrent.server.auth;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Short-lived tickets for what cannot send an {@code Authorization} header: a browser's
 * {@code EventSource} and SockJS connect by URL only. A client with a token asks for a ticket
 * ({@code POST /api/v1/tickets}), then opens {@code …?ticket=<ticket>}. A ticket stands for the token it
 * was issued to (by the SHA-256 of its secret, so that a ticket of a revoked token stops working when the
 * token check does) for {@code lifetimeMs}, and may be used as often as needed in that time (EventSource
 * reconnects with the same URL); it reads only what that token may read. Tickets are {@value #PREFIX}
 * + 24 random bytes, base64url, and live in memory only. Pure (clock given); thread-safe.
 */
public final class StreamTickets {
  public static final String PREFIX = "btt_";
  private record Ticket(ByteString secretSha256, long untilMs) {}

  private final long lifetimeMs;
  private final int max;
  private final SecureRandom random;
  private final LongSupplier clock;
  private final Map<String, Ticket> tickets;

  public StreamTickets(long lifetimeMs, int max, SecureRandom random, LongSupplier clock) {
    this.lifetimeMs = lifetimeMs;
    this.max = max;
    this.random = random;
    this.clock = clock;
    this.tickets = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Ticket> eldest) {
        return size() > StreamTickets.this.max;
      }
    };
  }

  public long lifetimeMs() {
    return lifetimeMs;
  }

  /** A new ticket for the token whose secret has this SHA-256. */
  public synchronized String issue(ByteString secretSha256) {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    String ticket = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    long now = clock.getAsLong();
    tickets.values().removeIf(t -> now >= t.untilMs());
    tickets.put(ticket, new Ticket(secretSha256, now + lifetimeMs));
    return ticket;
  }

  /** The SHA-256 of the secret of the token this ticket was issued to, while it is valid. */
  public synchronized Optional<ByteString> redeem(String ticket) {
    Ticket t = ticket == null ? null : tickets.get(ticket);
    if (t == null) {
      return Optional.empty();
    }
    if (clock.getAsLong() >= t.untilMs()) {
      tickets.remove(ticket);
      return Optional.empty();
    }
    return Optional.of(t.secretSha256());
  }
}
