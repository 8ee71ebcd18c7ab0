package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonObject;
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
    assertThatThrownBy(() -> new TrackerOptions(0, "h", 10, 11, 60, 5, 10))
        .hasMessage("tracker.minInterval must be 1..interval (10), got 11");
    assertThatThrownBy(() -> new TrackerOptions(0, "h", 10, 5, 60, 11, 10))
        .hasMessage("tracker.defaultNumwant must be 0..maxNumwant (10), got 11");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
      "httpPort, 70000",
      "interval, 0",
      "minInterval, 31",
      "peerTtlSeconds, 0",
      "maxNumwant, -1",
      "defaultNumwant, 201"})
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
}
