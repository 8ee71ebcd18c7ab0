package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StreamTicketsTest {
  final AtomicLong now = new AtomicLong(5_000);
  final ByteString token = TokenStore.hash("btk_secret");

  @Test
  void aTicketStandsForItsTokenUntilItExpiresAndMayBeUsedMoreThanOnce() {
    StreamTickets tickets = new StreamTickets(60_000, 100, new SecureRandom(), now::get);
    String ticket = tickets.issue(token);
    assertThat(ticket).startsWith(StreamTickets.PREFIX).hasSize(StreamTickets.PREFIX.length() + 32);
    assertThat(tickets.redeem(ticket)).contains(token);
    now.addAndGet(59_999);
    assertThat(tickets.redeem(ticket)).contains(token);
    now.addAndGet(1);
    assertThat(tickets.redeem(ticket)).isEmpty();
  }

  @Test
  void unknownTicketsAndTheOldestBeyondTheCapAreRefused() {
    StreamTickets tickets = new StreamTickets(60_000, 2, new SecureRandom(), now::get);
    String first = tickets.issue(token);
    String second = tickets.issue(token);
    assertThat(first).isNotEqualTo(second);
    tickets.issue(token);
    assertThat(tickets.redeem(first)).isEmpty();
    assertThat(tickets.redeem(second)).contains(token);
    assertThat(tickets.redeem(null)).isEmpty();
    assertThat(tickets.redeem("btt_nope")).isEmpty();
    // the secret itself is no ticket
    assertThat(tickets.redeem("btk_secret")).isEmpty();
  }
}
