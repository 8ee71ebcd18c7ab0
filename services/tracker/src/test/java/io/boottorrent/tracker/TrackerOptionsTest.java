package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrackerOptionsTest {
  @Test
  void defaultConstantsMatchTheEmbeddedDefaultsFile() {
    // GIVEN the tracker section of boottorrent-defaults.yaml and an empty section
    TrackerOptions fromFile = TrackerOptions.fromJson(BtConfig.section(BtConfig.defaults(), "tracker"));
    TrackerOptions fromConstants = TrackerOptions.fromJson(new JsonObject());

    // THEN both give the same options: the constants and the file cannot drift apart unnoticed
    assertThat(fromConstants).isEqualTo(fromFile);
  }

  @Test
  void roundTripsThroughJson() {
    TrackerOptions options = new TrackerOptions(0, "127.0.0.1", 60, 10, 300, 20, 40);
    assertThat(TrackerOptions.fromJson(options.toJson())).isEqualTo(options);
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
    JsonObject json = new JsonObject().put(key, value);
    assertThatThrownBy(() -> TrackerOptions.fromJson(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tracker." + key);
  }

  @Test
  void refusesAValueOfTheWrongType() {
    assertThatThrownBy(() -> TrackerOptions.fromJson(new JsonObject().put("interval", "soon")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
