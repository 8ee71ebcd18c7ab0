package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.DhcpCodec;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MalformedPacketException;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verticle over real UDP on 127.0.0.1. Every request is relayed (giaddr 127.0.0.1) or comes from
 * a client with an address, so replies go to our loopback sockets, never to a broadcast address.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DhcpVerticleTest {
  private static final Ipv4 LOOPBACK = Ipv4.parse("127.0.0.1");

  @TempDir
  Path dir;

  private DatagramSocket relay;
  private DatagramSocket client;
  private final BlockingQueue<BootEvent> events = new LinkedBlockingQueue<>();

  @BeforeEach
  void sockets(Vertx vertx) throws Exception {
    relay = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    relay.setSoTimeout(5000);
    client.setSoTimeout(5000);
    Codecs.registerAll(vertx.eventBus());
    await(vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> events.add(m.body())).completion());
  }

  @AfterEach
  void close() {
    relay.close();
    client.close();
  }

  private JsonObject config(String mode) {
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("dhcp").mergeIn(new JsonObject()
        .put("mode", mode)
        .put("bindHost", "127.0.0.1")
        .put("port", 0)
        .put("proxyPort", 0)
        .put("serverAddress", "127.0.0.1")
        .put("relayPort", relay.getLocalPort())
        .put("clientPort", client.getLocalPort())
        .put("pools", new JsonArray().add(new JsonObject().put("subnet", "127.0.0.0/8")
            .put("rangeStart", "127.0.10.1").put("rangeEnd", "127.0.10.20").put("dns", new JsonArray().add("127.0.0.53"))))
        .put("bootFiles", new JsonObject().put("bios", "undionly.kpxe").put("efi64", "ipxe.efi")));
    return config;
  }

  private DhcpVerticle deploy(Vertx vertx, JsonObject config) throws Exception {
    DhcpVerticle verticle = new DhcpVerticle(Clients.resolved(config), dir);
    await(vertx.deployVerticle(verticle));
    assertThat(verticle.actualPort()).isPositive();
    return verticle;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void send(DatagramSocket from, byte[] bytes, int port) throws IOException {
    from.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
  }

  private static DhcpMessage receive(DatagramSocket on) throws IOException, MalformedPacketException {
    byte[] buffer = new byte[1500];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    on.receive(packet);
    return DhcpCodec.decode(Arrays.copyOf(buffer, packet.getLength()));
  }

  private static byte[] relayed(DhcpMessage request) {
    return DhcpCodec.encode(request.withGiaddr(LOOPBACK).withHops(1));
  }

  @Test
  void relayedClientGetsALeaseWhichIsJournaledAndPublishedAsABootEvent(Vertx vertx) throws Exception {
    // GIVEN the server in full mode
    DhcpVerticle server = deploy(vertx, config("full"));

    // WHEN a relayed client does DISCOVER / REQUEST
    send(relay, relayed(Clients.discover(1)), server.actualPort());
    DhcpMessage offer = receive(relay);
    send(relay, relayed(Clients.select(1, offer.yiaddr(), LOOPBACK)), server.actualPort());
    DhcpMessage ack = receive(relay);

    // THEN it gets the first address, the lease is on disk and a DHCP_LEASE event is published
    assertThat(offer.messageType()).contains(MessageType.OFFER);
    assertThat(offer.yiaddr()).isEqualTo(Ipv4.parse("127.0.10.1"));
    assertThat(ack.messageType()).contains(MessageType.ACK);
    assertThat(ack.yiaddr()).isEqualTo(offer.yiaddr());
    assertThat(ack.options().dnsServers()).containsExactly(Ipv4.parse("127.0.0.53"));
    assertThat(Files.readString(dir.resolve("dhcp/leases")))
        .contains("127.0.10.1 OFFERED " + Clients.macText(1))
        .contains("127.0.10.1 BOUND " + Clients.macText(1));
    BootEvent event = events.poll(5, TimeUnit.SECONDS);
    assertThat(event).isNotNull();
    assertThat(event.getStage()).isEqualTo(BootStage.DHCP_LEASE);
    assertThat(event.getMac()).isEqualTo(Clients.macText(1));
    assertThat(event.getIp()).isEqualTo("127.0.10.1");
  }

  @Test
  void pxeOfferIsPublishedWithTheClientsArchitecture(Vertx vertx) throws Exception {
    DhcpVerticle server = deploy(vertx, config("full"));

    send(relay, relayed(Clients.discover(2, Clients.pxe(ClientArch.EFI_BC))), server.actualPort());
    DhcpMessage offer = receive(relay);

    assertThat(offer.file()).isEqualTo("ipxe.efi");
    assertThat(offer.siaddr()).isEqualTo(LOOPBACK);
    BootEvent event = events.poll(5, TimeUnit.SECONDS);
    assertThat(event).isNotNull();
    assertThat(event.getStage()).isEqualTo(BootStage.PXE_OFFER);
    assertThat(event.getMac()).isEqualTo(Clients.macText(2));
    assertThat(event.getArch()).isEqualTo("efi64");
  }

  @Test
  void malformedAndHostilePacketsAreDroppedAndTheServerKeepsAnswering(Vertx vertx) throws Exception {
    DhcpVerticle server = deploy(vertx, config("full"));
    byte[] valid = relayed(Clients.discover(3));
    byte[] hugeHops = valid.clone();
    hugeHops[3] = (byte) 200;
    byte[] badCookie = valid.clone();
    badCookie[236] = 0;
    byte[] badLength = valid.clone();
    badLength[DhcpCodec.OPTIONS_OFFSET + 1] = (byte) 250; // option 53 claims 250 bytes

    for (byte[] bad : new byte[][] {new byte[0], new byte[] {1, 2, 3}, Arrays.copyOf(valid, 200), hugeHops,
        badCookie, badLength, new byte[1400]}) {
      send(relay, bad, server.actualPort());
    }
    send(relay, valid, server.actualPort());

    DhcpMessage first = receive(relay);
    assertThat(first.xid()).as("the first reply answers the valid packet").isEqualTo(Clients.discover(3).xid());
    assertThat(first.messageType()).contains(MessageType.OFFER);
    relay.setSoTimeout(300);
    try {
      DhcpMessage unexpected = receive(relay);
      throw new AssertionError("no other reply expected, got " + unexpected);
    } catch (SocketTimeoutException expected) {
      // nothing else answered
    }
  }

  @Test
  void leasesSurviveARestartOfTheVerticle(Vertx vertx) throws Exception {
    JsonObject config = config("full");
    DhcpVerticle first = deploy(vertx, config);
    send(relay, relayed(Clients.discover(4)), first.actualPort());
    DhcpMessage offer = receive(relay);
    send(relay, relayed(Clients.select(4, offer.yiaddr(), LOOPBACK)), first.actualPort());
    assertThat(receive(relay).messageType()).contains(MessageType.ACK);
    await(vertx.undeploy(first.deploymentID()));

    DhcpVerticle second = deploy(vertx, config);
    assertThat(second.leases().leaseOf(Clients.macText(4))).map(Lease::ip).contains(offer.yiaddr());
    send(relay, relayed(Clients.discover(5)), second.actualPort());
    DhcpMessage otherOffer = receive(relay);
    send(relay, relayed(Clients.discover(4)), second.actualPort());
    DhcpMessage sameOffer = receive(relay);

    assertThat(otherOffer.yiaddr()).isNotEqualTo(offer.yiaddr());
    assertThat(sameOffer.yiaddr()).isEqualTo(offer.yiaddr());
  }

  @Test
  void renewalIsAnsweredByUnicastToTheClientsAddress(Vertx vertx) throws Exception {
    DhcpVerticle server = deploy(vertx, config("full"));

    // 127.0.10.5 is in the pool and free: a client whose lease we lost renews it
    send(client, DhcpCodec.encode(Clients.renew(6, Ipv4.parse("127.0.10.5"))), server.actualPort());
    // the reply goes to ciaddr 127.0.10.5 on the client port; Linux delivers 127/8 locally,
    // so our socket bound to 127.0.0.1 does not get it: check the store instead
    long deadline = System.currentTimeMillis() + 5000;
    while (server.leases().byIp(Ipv4.parse("127.0.10.5")).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(server.leases().byIp(Ipv4.parse("127.0.10.5"))).map(Lease::state).contains(Lease.State.BOUND);

    send(client, DhcpCodec.encode(Clients.inform(6, LOOPBACK)), server.actualPort());
    DhcpMessage ack = receive(client);
    assertThat(ack.messageType()).contains(MessageType.ACK);
    assertThat(ack.yiaddr()).isEqualTo(Ipv4.ZERO);
  }

  @Test
  void proxyModeAnswersPxeClientsOnBothPortsAndNeverHandsOutAnAddress(Vertx vertx) throws Exception {
    DhcpVerticle server = deploy(vertx, config("proxy"));
    assertThat(server.actualProxyPort()).isPositive();

    send(relay, relayed(Clients.discover(7)), server.actualPort()); // not PXE: ignored
    send(relay, relayed(Clients.discover(8, Clients.pxe(ClientArch.BIOS))), server.actualPort());
    DhcpMessage offer = receive(relay);
    DhcpMessage request = Clients.discover(8, Clients.pxe(ClientArch.BIOS).messageType(MessageType.REQUEST))
        .withCiaddr(LOOPBACK);
    send(client, DhcpCodec.encode(request), server.actualProxyPort());
    DhcpMessage ack = receive(client);

    assertThat(offer.xid()).isEqualTo(Clients.discover(8).xid());
    assertThat(offer.messageType()).contains(MessageType.OFFER);
    assertThat(offer.yiaddr()).isEqualTo(Ipv4.ZERO);
    assertThat(offer.file()).isEqualTo("undionly.kpxe");
    assertThat(ack.messageType()).contains(MessageType.ACK);
    assertThat(ack.yiaddr()).isEqualTo(Ipv4.ZERO);
    assertThat(ack.file()).isEqualTo("undionly.kpxe");
    assertThat(server.leases().size()).isZero();
    assertThat(Files.exists(dir.resolve("dhcp/leases"))).isFalse();
  }
}
