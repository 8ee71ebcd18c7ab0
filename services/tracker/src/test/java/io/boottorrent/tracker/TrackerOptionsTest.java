package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.tracker.protocol.AddressBlock;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrackerOptionsTest {
  @Test
  void intervalsAndNumwantAreCheckedAgainstEachOther() {
    // the defaults: announce every 30 s, at least 5 s apart, 50 peers of at most 200
    assertThat(TrackerOptions.fromSection(TestConfig.section("tracker")))
        .extracting(TrackerOptions::interval, TrackerOptions::minInterval, TrackerOptions::defaultNumwant)
        .containsExactly(30, 5, 50);
    assertThatThrownBy(() -> new TrackerOptions(0, "h", 10, 11, 60, 5, 10, List.of(), 1))
        .hasMessage("tracker.minInterval must be 1..interval (10), got 11");
    assertThatThrownBy(() -> new TrackerOptions(0, "h", 10, 5, 60, 11, 10, List.of(), 1))
        .hasMessage("tracker.defaultNumwant must be 0..maxNumwant (10), got 11");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
      "httpPort, 70000",
      "interval, 0",
      "minInterval, 31",
      "peerTtlSeconds, 0",
      "maxNumwant, -1",
      "defaultNumwant, 201",
      "eventLoops, -1"})
  void refusesOutOfRangeValuesNamingTheKey(String key, int value) {
    JsonObject json = TestConfig.section("tracker").put(key, value);
    assertThatThrownBy(() -> TrackerOptions.fromSection(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tracker." + key)
        .hasMessageContaining(String.valueOf(value));
  }

  @Test
  void refusesAValueOfTheWrongTypeAMissingKeyAndAnUnknownOne() {
    assertThatThrownBy(() -> TrackerOptions.fromSection(TestConfig.section("tracker").put("interval", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("tracker.interval: expected an integer >= 1, got \"soon\" (a string)");
    JsonObject missing = TestConfig.section("tracker");
    missing.remove("host");
    assertThatThrownBy(() -> TrackerOptions.fromSection(missing)).hasMessageStartingWith("tracker.host: missing");
    assertThatThrownBy(() -> TrackerOptions.fromSection(TestConfig.section("tracker").put("intervall", 10)))
        .hasMessageStartingWith("tracker.intervall: not a config key");
  }

  @Test
  void trustsNoProxyByDefaultAndReadsAddressesAndBlocks() {
    // the default: no proxy, so ip= and X-Forwarded-For never count
    assertThat(TrackerOptions.fromSection(TestConfig.section("tracker")).proxies().blocks()).isEmpty();
    TrackerOptions options = TrackerOptions.fromSection(TestConfig.section("tracker")
        .put("trustedProxies", new JsonArray().add("10.0.0.5").add("192.168.0.0/16").add("fd00::/8")));
    assertThat(options.proxies().blocks()).containsExactly(AddressBlock.parse("10.0.0.5/32"),
        AddressBlock.parse("192.168.0.0/16"), AddressBlock.parse("fd00::/8"));
    assertThat(options.proxies().trusts(IpAddresses.parseLiteral("192.168.7.9").orElseThrow())).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "proxy.example.org | tracker.trustedProxies[1]: expected an IP address or CIDR block like 10.0.0.0/8, got \"proxy.example.org\"",
      "10.0.0.0/33 | tracker.trustedProxies[1]: prefix length of \"10.0.0.0/33\" must be 0..32",
      "10.1.2.3/8 | tracker.trustedProxies[1]: \"10.1.2.3/8\" has host bits set under /8 (the block starts at 10.0.0.0)"})
  void refusesAProxyThatIsNoAddressNamingTheEntry(String entry, String message) {
    JsonObject json = TestConfig.section("tracker").put("trustedProxies", new JsonArray().add("10.0.0.5").add(entry));
    assertThatThrownBy(() -> TrackerOptions.fromSection(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
