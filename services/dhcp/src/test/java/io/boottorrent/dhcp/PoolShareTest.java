package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PoolShareTest {
  @ParameterizedTest(name = "{0}-{1} in {2} shares")
  @CsvSource({
      "10.213.0.100, 10.213.0.109, 2",
      "10.213.0.100, 10.213.0.109, 3",
      "10.213.0.101, 10.213.0.101, 1",
      "10.213.1.0, 10.213.255.254, 2",
      "10.213.0.1, 10.213.0.6, 7",
      "10.0.0.1, 10.0.0.254, 5"})
  void theSharesOfAPoolTogetherHoldEveryAddressOfItsRangeExactlyOnce(String start, String end, int count) {
    // GIVEN a pool and <count> servers, one per share
    Pool pool = Pool.of("10.0.0.0/8", Ipv4.parse(start), Ipv4.parse(end), Optional.empty(), List.of(), "");
    List<PoolShare> shares = new ArrayList<>();
    for (int index = 0; index < count; index++) {
      shares.add(new PoolShare(index, count));
    }

    // WHEN every address of the range is given to the shares that own it
    Set<Ipv4> seen = new HashSet<>();
    long owners = 0;
    for (Ipv4 ip = pool.rangeStart(); ip.compareTo(pool.rangeEnd()) <= 0; ip = ip.plus(1)) {
      Ipv4 address = ip;
      long owning = shares.stream().filter(s -> s.owns(address)).count();
      assertThat(owning).as("shares owning %s", address).isEqualTo(1);
      owners += owning;
      seen.add(address);
    }

    // THEN each address has exactly one owner and the shares' sizes add up to the range
    assertThat(owners).isEqualTo(pool.size());
    assertThat(seen).hasSize((int) pool.size());
    assertThat(shares.stream().mapToLong(s -> s.sizeOf(pool)).sum()).isEqualTo(pool.size());
    assertThat(shares.stream().mapToLong(s -> s.sizeOf(pool)).max().orElseThrow()
        - shares.stream().mapToLong(s -> s.sizeOf(pool)).min().orElseThrow()).as("shares differ by one at most")
        .isLessThanOrEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0/2", "1/2", " 2 / 3 ", "0/1"})
  void indexOfCountParses(String text) {
    PoolShare share = PoolShare.parse(text);

    assertThat(share.toString()).isEqualTo(text.replace(" ", ""));
  }

  @ParameterizedTest
  @ValueSource(strings = {"3/2", "2/2", "0/0", "x", "1", "1/", "/2", "-1/2", "1/2/3", "a/b", "99999999999/2"})
  void anythingElseIsRefusedSayingWhatWasExpectedAndWhatWasFound(String text) {
    assertThatThrownBy(() -> PoolShare.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("expected \"<index>/<count>\" with 0 <= index < count")
        .hasMessageEndingWith("got \"" + text + "\"");
  }

  @ParameterizedTest
  @CsvSource({"0/2, 10.213.0.100, true", "0/2, 10.213.0.101, false", "1/2, 10.213.0.101, true",
      "0/1, 10.213.0.101, true", "1/2, 255.255.255.255, true"})
  void twoServersShareEvenAndOddAddresses(String share, String address, boolean owned) {
    assertThat(PoolShare.parse(share).owns(Ipv4.parse(address))).isEqualTo(owned);
  }
}
