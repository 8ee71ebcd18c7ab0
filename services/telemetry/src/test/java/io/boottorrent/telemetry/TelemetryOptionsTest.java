package io.boottorrent.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import org.junit.jupiter.api.Test;

class TelemetryOptionsTest {
  @Test
  void theDefaultsGiveTheModelItsWindowsInMsAndItsCaps() {
    TelemetryOptions options = TelemetryOptions.fromSection(TestConfig.section("telemetry"));
    assertThat(options.httpPort()).isEqualTo(8081);
    assertThat(options.limits()).isEqualTo(new TelemetryModel.Limits(60_000, 30_000, 10_000, 200, 10_000, 100, 268_435_456));
    assertThat(options.journalSync()).isTrue();
  }

  @Test
  void badValuesNameTheKeyTheValueAndWhatWasExpected() {
    assertThatThrownBy(() -> TelemetryOptions.fromSection(TestConfig.section("telemetry").put("stallSeconds", 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("telemetry.stallSeconds: expected an integer >= 1, got 0");
    assertThatThrownBy(() -> TelemetryOptions.fromSection(TestConfig.section("telemetry").put("maxMachines", "many")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("telemetry.maxMachines: expected an integer >= 1, got \"many\" (a string)");
    assertThatThrownBy(() -> TelemetryOptions.fromSection(TestConfig.section("telemetry").put("journalSync", "yes")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("telemetry.journalSync: expected true or false");
    assertThatThrownBy(() -> TelemetryOptions.fromSection(TestConfig.section("telemetry").put("stallSecs", 5)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("telemetry.stallSecs: not a config key");
  }
}
