package io.boottorrent.dhcp;

import static io.boottorrent.dhcp.Clients.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.DhcpCodec;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The invariant the lease journal exists for: no address is ever handed to two machines, also across
 * restarts and crashes. Many clients (3× the pool) do random things in random order with the clock
 * moving; the server restarts from its journal now and then, sometimes "crashing" between deciding a
 * reply and journaling it (the reply is then never sent, as in {@code DhcpVerticle}). Every OFFER and
 * ACK that reaches a client is a claim on the address until the offer hold or lease ends; a claim ends
 * early only when that client gives the address up (DISCOVER, RELEASE, DECLINE, NAK).
 */
class LeaseUniquenessTest {
  private static final int CLIENTS = 60;
  private static final int STEPS = 4000;

  @TempDir
  Path dir;

  private record Claim(String mac, long untilMs) {}

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void noAddressIsEverHandedToTwoClientsAcrossRestartsAndCrashes(long seed) throws Exception {
    // GIVEN a pool of 20 addresses (one reserved), a journal and a clock
    Random random = new Random(seed);
    JsonObject config = DhcpServerLogicTest.withRange(Clients.config(), "10.213.0.100", "10.213.0.119");
    config.getJsonObject("dhcp").put("leaseSeconds", 300).put("offerHoldSeconds", 30).put("declineHoldSeconds", 120)
        .put("reservations", new JsonObject().put(Clients.macText(7), "10.213.0.110"));
    DhcpConfig options = Clients.resolved(config);
    long[] now = {1_700_000_000_000L};
    LeaseJournal journal = new LeaseJournal(dir.resolve("seed" + seed).resolve("leases"));
    ServerContext ctx = new ServerContext(options, LeaseStore.replay(journal.load()), () -> now[0]);

    Map<Ipv4, List<Claim>> claims = new HashMap<>();
    Map<Integer, Ipv4> known = new HashMap<>(); // what each client believes it has (offered or bound)
    int restarts = 0;
    int crashes = 0;
    int acks = 0;

    // WHEN clients do random things for a while
    for (int step = 0; step < STEPS; step++) {
      now[0] += random.nextInt(20_000);
      int client = 1 + random.nextInt(CLIENTS);
      String mac = Clients.macText(client);
      Ipv4 mine = known.get(client);
      Ipv4 anyInRange = Ipv4.parse("10.213.0.100").plus(random.nextInt(24));
      DhcpMessage request = switch (random.nextInt(7)) {
        case 0, 1 -> Clients.discover(client);
        case 2 -> Clients.select(client, mine != null ? mine : anyInRange, SERVER);
        case 3 -> Clients.initReboot(client, random.nextBoolean() && mine != null ? mine : anyInRange);
        case 4 -> Clients.renew(client, mine != null ? mine : anyInRange);
        case 5 -> Clients.release(client, mine != null ? mine : anyInRange);
        default -> Clients.decline(client, mine != null ? mine : anyInRange);
      };
      // The client side of giving up an address.
      MessageType sent = request.messageType().orElseThrow();
      if (sent == MessageType.DISCOVER || sent == MessageType.RELEASE || sent == MessageType.DECLINE) {
        dropClaims(claims, mac);
        known.remove(client);
      }

      Optional<DhcpReply> reply = DhcpServerLogic.replyFor(ctx, DhcpCodec.decode(DhcpCodec.encode(request)),
          Clients.UNCONFIGURED);
      List<Lease> changes = ctx.leases().drainChanges();
      if (random.nextInt(100) < 3) {
        // crash before the journal write: the reply is never sent; restart from disk
        crashes++;
        ctx = new ServerContext(options, LeaseStore.replay(journal.load()), () -> now[0]);
        continue;
      }
      journal.append(changes);
      if (reply.isPresent()) {
        DhcpMessage m = reply.get().message();
        MessageType type = reply.get().type();
        if (type == MessageType.NAK) {
          dropClaims(claims, mac);
          known.remove(client);
        } else if (!m.yiaddr().isZero()) {
          long until = now[0] + 1000 * (type == MessageType.OFFER ? options.offerHoldSeconds() : options.leaseSeconds());
          // THEN nobody else holds a live claim on the address
          for (Claim other : claims.getOrDefault(m.yiaddr(), List.of())) {
            if (!other.mac().equals(mac) && other.untilMs() > now[0]) {
              fail("step %d (seed %d): %s %s to %s while %s holds it until %d (now %d)", step, seed, type,
                  m.yiaddr(), mac, other.mac(), other.untilMs(), now[0]);
            }
          }
          if (known.containsKey(client) && !known.get(client).equals(m.yiaddr())) {
            dropClaims(claims, mac); // a client uses one address: it moves to the new one
          }
          claims.computeIfAbsent(m.yiaddr(), k -> new ArrayList<>()).add(new Claim(mac, until));
          known.put(client, m.yiaddr());
          acks += type == MessageType.ACK ? 1 : 0;
        }
      }
      if (random.nextInt(100) < 4) {
        restarts++;
        if (random.nextBoolean()) {
          journal.compact(ctx.leases().snapshot());
        }
        ctx = new ServerContext(options, LeaseStore.replay(journal.load()), () -> now[0]);
      }
      assertStoreInvariant(ctx.leases(), now[0]);
    }

    // THEN the run exercised what it claims to: contention, restarts and crashes
    assertThat(acks).isGreaterThan(200);
    assertThat(restarts).isGreaterThan(50);
    assertThat(crashes).isGreaterThan(30);
    assertThat(Set.copyOf(claims.keySet())).hasSizeGreaterThan(15);
  }

  private static void dropClaims(Map<Ipv4, List<Claim>> claims, String mac) {
    claims.values().forEach(list -> list.removeIf(c -> c.mac().equals(mac)));
  }

  /** Held addresses are distinct by construction of the map; each MAC holds at most one non-declined address. */
  private static void assertStoreInvariant(LeaseStore store, long nowMs) {
    Set<String> macs = new HashSet<>();
    for (Lease lease : store.held(nowMs)) {
      if (lease.state() != State.DECLINED) {
        assertThat(macs.add(lease.mac())).as("%s holds two addresses: %s", lease.mac(), store.held(nowMs)).isTrue();
      }
    }
  }
}
