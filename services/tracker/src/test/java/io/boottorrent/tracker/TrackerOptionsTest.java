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
  private static JsonObject defaults() {
    return TestConfig.section("tracker");
  }

  @Test
  void readsTheEmbeddedDefaults() {
    TrackerOptions options = TrackerOptions.fromSection(defaults());
    assertThat(options.httpPort()).isEqualTo(6969);
    assertThat(options.interval()).isEqualTo(30);
    assertThat(options.defaultNumwant()).isEqualTo(50);
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
    JsonObject json = defaults().put(key, value);
    assertThatThrownBy(() -> TrackerOptions.fromSection(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tracker." + key)
        .hasMessageContaining(String.valueOf(value));
  }

  @Test
  void refusesAValueOfTheWrongTypeAMissingKeyAndAnUnknownOne() {
    assertThatThrownBy(() -> TrackerOptions.fromSection(defaults().put("interval", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("tracker.interval: expected an integer >= 1, got \"soon\" (a string)");
    JsonObject missing = defaults();
    missing.remove("host");
    assertThatThrownBy(() -> TrackerOptions.fromSection(missing)).hasMessageStartingWith("tracker.host: missing");
    assertThatThrownBy(() -> TrackerOptions.fromSection(defaults().put("intervall", 10)))
        .hasMessageStartingWith("tracker.intervall: not a config key");
  }
}
