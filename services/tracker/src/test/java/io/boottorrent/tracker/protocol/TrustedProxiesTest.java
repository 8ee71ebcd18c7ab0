package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
  private static final TrustedProxies PROXIES = TrustedProxies.parse("tracker.trustedProxies",
      List.of("10.0.0.5", "192.168.100.0/24"));
  private static final InetAddress CLIENT = ip("203.0.113.7");
  private static final InetAddress PROXY = ip("10.0.0.5");

  private static InetAddress ip(String literal) {
    return IpAddresses.parseLiteral(literal).orElseThrow();
  }

  private static InetAddress resolve(TrustedProxies proxies, InetAddress source, String ip, String... forwardedFor)
      throws MalformedRequestException {
    return proxies.clientAddress(source, Optional.ofNullable(ip).map(TrustedProxiesTest::ip), List.of(forwardedFor));
  }

  @Test
  void aClientsOwnIpParameterAndForwardedForCountForNothing() throws MalformedRequestException {
    // GIVEN a request straight from a client (not a trusted proxy) naming another address both ways
    // THEN the peer is its source address
    assertThat(resolve(PROXIES, CLIENT, "10.9.9.9", "10.8.8.8")).isEqualTo(CLIENT);
    assertThat(resolve(PROXIES, CLIENT, "10.9.9.9")).isEqualTo(CLIENT);
    assertThat(resolve(PROXIES, CLIENT, null, "10.8.8.8")).isEqualTo(CLIENT);
    // AND with no proxy configured (the default) the same holds for every source
    assertThat(resolve(TrustedProxies.NONE, PROXY, "10.9.9.9", "10.8.8.8")).isEqualTo(PROXY);
  }

  @Test
  void aTrustedProxyWithoutForwardedForNamesThePeerByItsIpParameter() throws MalformedRequestException {
    assertThat(resolve(PROXIES, PROXY, "10.20.30.40")).isEqualTo(ip("10.20.30.40"));
    // AND without ip= it is the proxy itself (e.g. a seeder on the proxy host)
    assertThat(resolve(PROXIES, PROXY, null)).isEqualTo(PROXY);
  }

  @Test
  void aTrustedProxysForwardedForWinsOverIpAndOnlyItsOwnEntryIsRead() throws MalformedRequestException {
    // GIVEN a reverse proxy that appended the client's address to what the client sent itself
    // THEN the rightmost entry is the peer: the client-written ones left of it and its ip= are ignored
    assertThat(resolve(PROXIES, PROXY, "6.6.6.6", "6.6.6.6, 203.0.113.7")).isEqualTo(CLIENT);
    // AND several headers are one list, in order
    assertThat(resolve(PROXIES, PROXY, null, "6.6.6.6", "203.0.113.7")).isEqualTo(CLIENT);
    // AND garbage the client wrote left of the proxy's entry is never parsed
    assertThat(resolve(PROXIES, PROXY, null, "not-an-address, 203.0.113.7")).isEqualTo(CLIENT);
  }

  @Test
  void chainedTrustedProxiesAreSkippedFromTheRight() throws MalformedRequestException {
    // GIVEN client -> proxy 192.168.100.9 -> proxy 10.0.0.5 -> tracker
    assertThat(resolve(PROXIES, PROXY, null, "6.6.6.6, 203.0.113.7, 192.168.100.9")).isEqualTo(CLIENT);
    // AND an IPv6 client through them
    assertThat(resolve(PROXIES, PROXY, null, "2001:db8::7, 192.168.100.9")).isEqualTo(ip("2001:db8::7"));
    // AND when every entry is a trusted proxy, the leftmost is all there is
    assertThat(resolve(PROXIES, PROXY, null, "192.168.100.1, 192.168.100.9")).isEqualTo(ip("192.168.100.1"));
  }

  @Test
  void aTrustedProxysUnreadableEntryIsRefusedNamingIt() {
    assertThatThrownBy(() -> resolve(PROXIES, PROXY, null, "6.6.6.6, client.example.org"))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage("X-Forwarded-For from a trusted proxy holds \"client.example.org\", not an IP address literal");
    // A port, as some proxies add, is not a literal either; a long or binary value is not echoed whole
    assertThatThrownBy(() -> resolve(PROXIES, PROXY, null, "203.0.113.7:5555"))
        .hasMessageContaining("\"203.0.113.7:5555\"");
    assertThatThrownBy(() -> resolve(PROXIES, PROXY, null, "x".repeat(100)))
        .hasMessageContaining("\"" + "x".repeat(64) + "...\"");
    assertThatThrownBy(() -> resolve(PROXIES, PROXY, null, "\u0001\u00ff"))
        .hasMessageContaining("\"(not printable ASCII)\"");
  }

  @Test
  void emptyHeaderValuesAreNoHeader() throws MalformedRequestException {
    assertThat(resolve(PROXIES, PROXY, "10.20.30.40", " ", ",")).isEqualTo(ip("10.20.30.40"));
  }

  @Test
  void parseNamesTheKeyAndIndexOfABadEntry() {
    assertThatThrownBy(() -> TrustedProxies.parse("tracker.trustedProxies", List.of("10.0.0.5", "nginx")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tracker.trustedProxies[1]: expected an IP address or CIDR block like 10.0.0.0/8, got \"nginx\"");
    assertThat(TrustedProxies.parse("k", List.of(" 10.0.0.5 ")).trusts(PROXY)).isTrue();
  }
}
