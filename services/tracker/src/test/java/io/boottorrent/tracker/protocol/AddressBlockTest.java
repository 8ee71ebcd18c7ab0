package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressBlockTest {
  private static InetAddress ip(String literal) {
    return IpAddresses.parseLiteral(literal).orElseThrow();
  }

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
      // RFC 4632 section 3.1: a prefix length counts the leading bits that must match
      "10.0.0.0/8, 10.255.1.2, true",
      "10.0.0.0/8, 11.0.0.0, false",
      "192.168.4.0/22, 192.168.7.255, true",
      "192.168.4.0/22, 192.168.8.0, false",
      "172.16.0.0/12, 172.31.0.1, true",
      "10.0.0.5, 10.0.0.5, true",
      "10.0.0.5, 10.0.0.6, false",
      "0.0.0.0/0, 203.0.113.9, true",
      // an IPv4 block never holds an IPv6 address, but IPv4-mapped literals are IPv4 already
      "0.0.0.0/0, ::1, false",
      "127.0.0.0/8, ::ffff:127.0.0.3, true",
      // RFC 4291 section 2.3: IPv6 prefixes alike
      "fd00::/8, fd12:3456::1, true",
      "fd00::/8, fe80::1, false",
      "2001:db8::/32, 2001:db8:ffff::1, true",
      "::1, ::1, true",
      "::/0, 10.0.0.1, false"})
  void containsExactlyTheAddressesUnderItsPrefix(String block, String address, boolean contained) {
    assertThat(AddressBlock.parse(block).contains(ip(address))).isEqualTo(contained);
  }

  @Test
  void anAddressWithoutPrefixIsABlockOfOne() {
    assertThat(AddressBlock.parse("10.0.0.5")).isEqualTo(new AddressBlock(ip("10.0.0.5"), 32));
    assertThat(AddressBlock.parse("fd00::1")).isEqualTo(new AddressBlock(ip("fd00::1"), 128));
    assertThat(AddressBlock.parse("10.0.0.0/8")).hasToString("10.0.0.0/8");
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @CsvSource(delimiter = '|', value = {
      "proxy.example.org | expected an IP address or CIDR block like 10.0.0.0/8, got \"proxy.example.org\"",
      "'' | expected an IP address or CIDR block like 10.0.0.0/8, got \"\"",
      "10.0.0.0/ | prefix length of \"10.0.0.0/\" must be 0..32",
      "10.0.0.0/-1 | prefix length of \"10.0.0.0/-1\" must be 0..32",
      "10.0.0.0/33 | prefix length of \"10.0.0.0/33\" must be 0..32",
      "fd00::/129 | prefix length of \"fd00::/129\" must be 0..128",
      "10.0.0.0/8/8 | prefix length of \"10.0.0.0/8/8\" must be 0..32",
      "010.0.0.0/8 | expected an IP address or CIDR block like 10.0.0.0/8, got \"010.0.0.0/8\"",
      "10.1.2.3/8 | \"10.1.2.3/8\" has host bits set under /8 (the block starts at 10.0.0.0)",
      "fd00::1/8 | \"fd00::1/8\" has host bits set under /8 (the block starts at fd00:0:0:0:0:0:0:0)"})
  void refusesAnythingButALiteralWithAnInRangePrefixNamingTheValue(String text, String message) {
    assertThatThrownBy(() -> AddressBlock.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
