package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "127.0.0.1, 127.0.0.1",
      "10.10.10.5, 10.10.10.5",
      "255.255.255.255, 255.255.255.255",
      "0.0.0.0, 0.0.0.0",
      "::ffff:192.168.1.2, 192.168.1.2"})
  void parsesIpv4LiteralsIncludingMappedIpv6(String text, String expected) {
    // GIVEN an IPv4 literal (or IPv4-mapped IPv6) WHEN parsed THEN it is that Inet4Address
    InetAddress address = IpAddresses.parseLiteral(text).orElseThrow();
    assertThat(address).isInstanceOf(Inet4Address.class);
    assertThat(address.getHostAddress()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "::1, 0:0:0:0:0:0:0:1",
      "::, 0:0:0:0:0:0:0:0",
      "2001:db8::8a2e:370:7334, 2001:db8:0:0:0:8a2e:370:7334",
      "2001:DB8:0:0:1:0:0:1, 2001:db8:0:0:1:0:0:1",
      "fe80::, fe80:0:0:0:0:0:0:0",
      "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
      "64:ff9b::192.0.2.33, 64:ff9b:0:0:0:0:c000:221"})
  void parsesIpv6Literals(String text, String expected) {
    // GIVEN an IPv6 literal in any RFC 4291 text form WHEN parsed THEN it is that Inet6Address
    InetAddress address = IpAddresses.parseLiteral(text).orElseThrow();
    assertThat(address).isInstanceOf(Inet6Address.class);
    assertThat(address.getHostAddress()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "localhost", "tracker.example.org", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4",
      "1.2.3.-4", "1..2.3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::g", ":1::",
      "1.2.3.4::", "fe80::1%eth0", "[::1]", " 1.2.3.4"})
  void refusesAnythingButALiteralWithoutResolving(String text) {
    // GIVEN a host name or a broken literal WHEN parsed THEN nothing comes back (and no DNS lookup runs)
    assertThat(IpAddresses.parseLiteral(text)).isEmpty();
  }
}
