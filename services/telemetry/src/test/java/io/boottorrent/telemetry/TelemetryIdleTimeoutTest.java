package io.boottorrent.telemetry;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.testsupport.TestConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The idle timeout must not close event streams between their heartbeats. */
class TelemetryIdleTimeoutTest {
  private static final io.boottorrent.core.config.ProcessOptions PROCESS = TestConfig.loopbackProcess(Path.of("unused"));

  @Test
  void aHeartbeatNotShorterThanTheIdleTimeoutIsRefusedNamingBothKeys() {
    TelemetryOptions options = TelemetryOptions.fromSection(TestConfig.section("telemetry").put("sseHeartbeatSeconds", 60));
    HttpLimits idle60 = HttpLimits.fromSection(TestConfig.section("http").put("idleTimeoutSeconds", 60));
    assertThatThrownBy(() -> new TelemetryVerticle(options, PROCESS, null, null, idle60))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("telemetry.sseHeartbeatSeconds").hasMessageContaining("http.idleTimeoutSeconds (60)");
  }

  @Test
  void aShorterHeartbeatOrNoIdleTimeoutIsAccepted() {
    TelemetryOptions options = TelemetryOptions.fromSection(TestConfig.section("telemetry").put("sseHeartbeatSeconds", 59));
    assertThatCode(() -> new TelemetryVerticle(options, PROCESS, null, null,
        HttpLimits.fromSection(TestConfig.section("http").put("idleTimeoutSeconds", 60)))).doesNotThrowAnyException();
    TelemetryOptions slow = TelemetryOptions.fromSection(TestConfig.section("telemetry").put("sseHeartbeatSeconds", 600));
    assertThatCode(() -> new TelemetryVerticle(slow, PROCESS, null, null,
        HttpLimits.fromSection(TestConfig.section("http").put("idleTimeoutSeconds", 0)))).doesNotThrowAnyException();
  }
}
