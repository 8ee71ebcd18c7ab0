package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Prometheus;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.DhcpCodec;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MalformedPacketException;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Meters;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DHCP meters after real traffic over UDP on 127.0.0.1, on a Vert.x with metrics as a service
 * process has it, read from the Prometheus text /metrics serves. Requests are relayed (giaddr
 * 127.0.0.1), so replies come back to our loopback socket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DhcpMetricsTest {
  private static final Ipv4 LOOPBACK = Ipv4.parse("127.0.0.1");

  @TempDir Path dir;
  private Vertx vertx;
  private DatagramSocket relay;

  @BeforeEach
  void start() throws Exception {
    vertx = ServerVertx.start(ClusterOptions.fromSection(TestConfig.section("cluster"))).await();
    relay = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    relay.setSoTimeout(5000);
  }

  @AfterEach
  void stop() {
    relay.close();
    vertx.close().await();
  }

  @Test
  void repliesRequestsPxeOffersAndDropsAreCountedByType() throws Exception {
    // GIVEN the server in full mode
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("dhcp").mergeIn(new JsonObject()
        .put("bindHost", "127.0.0.1").put("port", 0).put("serverAddress", "127.0.0.1")
        .put("relayPort", relay.getLocalPort())
        .put("pools", new JsonArray().add(new JsonObject().put("subnet", "127.0.0.0/8")
            .put("rangeStart", "127.0.10.1").put("rangeEnd", "127.0.10.50")))
        .put("bootFiles", new JsonObject().put("bios", "undionly.kpxe").put("efi64", "ipxe.efi")));
    DhcpVerticle server = new DhcpVerticle(Clients.resolved(config), dir);
    vertx.deployVerticle(server).await();
    int port = server.actualPort();

    // WHEN 5 plain clients and 3 PXE ROMs (2 BIOS, 1 EFI) DISCOVER
    int plain = 5;
    for (int n = 1; n <= plain; n++) {
      assertThat(exchange(Clients.discover(n), port).messageType()).contains(MessageType.OFFER);
    }
    ClientArch[] pxe = {ClientArch.BIOS, ClientArch.BIOS, ClientArch.EFI_BC};
    for (int i = 0; i < pxe.length; i++) {
      assertThat(exchange(Clients.discover(100 + i, Clients.pxe(pxe[i])), port).messageType())
          .contains(MessageType.OFFER);
    }
    // AND one takes its offer, one asks for an address from another network
    DhcpMessage offer = exchange(Clients.discover(1), port);
    assertThat(exchange(Clients.select(1, offer.yiaddr(), LOOPBACK), port).messageType()).contains(MessageType.ACK);
    assertThat(exchange(Clients.initReboot(2, Ipv4.parse("10.9.9.9")), port).messageType())
        .contains(MessageType.NAK);
    // AND 3 malformed packets arrive
    byte[] valid = relayed(Clients.discover(9));
    for (byte[] bad : new byte[][] {new byte[0], new byte[] {1, 2, 3}, Arrays.copyOf(valid, 200)}) {
      send(bad, port);
    }
    assertThat(exchange(Clients.discover(9), port).messageType()).contains(MessageType.OFFER);

    // THEN the counters moved by exactly that much (a reply is counted once it is sent: poll briefly)
    Map<String, Double> expected = Map.ofEntries(
        Map.entry("boottorrent_dhcp_replies_total{type=\"offer\"}", 10.0),
        Map.entry("boottorrent_dhcp_replies_total{type=\"ack\"}", 1.0),
        Map.entry("boottorrent_dhcp_replies_total{type=\"nak\"}", 1.0),
        Map.entry("boottorrent_dhcp_requests_total{type=\"discover\"}", 10.0),
        Map.entry("boottorrent_dhcp_requests_total{type=\"request\"}", 2.0),
        Map.entry("boottorrent_dhcp_requests_total{type=\"inform\"}", 0.0),
        Map.entry("boottorrent_dhcp_pxe_offers_total{arch=\"bios\"}", 2.0),
        Map.entry("boottorrent_dhcp_pxe_offers_total{arch=\"efi64\"}", 1.0),
        Map.entry("boottorrent_dhcp_dropped_total{reason=\"malformed\"}", 3.0),
        Map.entry("boottorrent_dhcp_dropped_total{reason=\"internal_error\"}", 0.0),
        Map.entry("boottorrent_dhcp_dropped_total{reason=\"journal_error\"}", 0.0));
    assertThat(Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(), expected,
        Duration.ofSeconds(5))).isEqualTo(expected);
  }

  @Test
  void discoversOverTheOfferLimitsAndReusedOffersAreCounted() throws Exception {
    // GIVEN a pool of 2, a burst of 2 DISCOVERs per MAC and of 3 new clients per relay
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("dhcp").mergeIn(new JsonObject()
        .put("bindHost", "127.0.0.1").put("port", 0).put("serverAddress", "127.0.0.1")
        .put("relayPort", relay.getLocalPort())
        .put("offerBurstPerMac", 2).put("offerRatePerMacPerMinute", 1)
        .put("offerBurstPerRelay", 3).put("offerRatePerRelay", 1)
        .put("pools", new JsonArray().add(new JsonObject().put("subnet", "127.0.0.0/8")
            .put("rangeStart", "127.0.10.1").put("rangeEnd", "127.0.10.2"))));
    DhcpVerticle server = new DhcpVerticle(Clients.resolved(config), dir);
    vertx.deployVerticle(server).await();
    int port = server.actualPort();

    // WHEN client 1 DISCOVERs 3 times (its second is for the address it was offered: no relay token)
    Ipv4 first = exchange(Clients.discover(1), port).yiaddr();
    assertThat(exchange(Clients.discover(1), port).yiaddr()).isEqualTo(first);
    send(relayed(Clients.discover(1)), port);
    // AND clients 2 and 3 come (3 finds the pool full of offers: it gets client 1's), then client 4
    exchange(Clients.discover(2), port);
    assertThat(exchange(Clients.discover(3), port).yiaddr()).isEqualTo(first);
    send(relayed(Clients.discover(4)), port);

    // THEN one DISCOVER was over the MAC's burst, one over the relay's, one offer was reused
    Map<String, Double> expected = Map.of(
        "boottorrent_dhcp_requests_total{type=\"discover\"}", 6.0,
        "boottorrent_dhcp_replies_total{type=\"offer\"}", 4.0,
        "boottorrent_dhcp_offers_limited_total{limit=\"mac\"}", 1.0,
        "boottorrent_dhcp_offers_limited_total{limit=\"relay\"}", 1.0,
        "boottorrent_dhcp_offers_reclaimed_total", 1.0);
    assertThat(Prometheus.await(() -> Meters.prometheus(vertx).orElseThrow().scrape(), expected,
        Duration.ofSeconds(5))).isEqualTo(expected);
  }

  private DhcpMessage exchange(DhcpMessage request, int port) throws IOException, MalformedPacketException {
    send(relayed(request), port);
    byte[] buffer = new byte[1500];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    relay.receive(packet);
    return DhcpCodec.decode(Arrays.copyOf(buffer, packet.getLength()));
  }

  private void send(byte[] bytes, int port) throws IOException {
    relay.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
  }

  private static byte[] relayed(DhcpMessage request) {
    return DhcpCodec.encode(request.withGiaddr(LOOPBACK).withHops(1));
  }


}
