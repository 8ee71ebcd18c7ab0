package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
  @ParameterizedTest
  @ValueSource(strings = {"52:54:00:12:34:56", "52-54-00-12-34-56", "525400123456", "52:54:00:12:34:56 ", "5254.0012.3456"})
  void macInAnyCommonFormIsNormalised(String raw) {
    assertThat(AgentOptions.normaliseMac(raw)).isEqualTo("52:54:00:12:34:56");
  }

  @Test
  void shortMacIsRejected() {
    assertThatThrownBy(() -> AgentOptions.normaliseMac("52:54:00")).hasMessageContaining("not a MAC");
  }

  @Test
  void defaultsComeFromTheEmbeddedConfig() {
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01")
        .put("catalogUrl", "http://10.0.0.1:8080/");
    AgentOptions options = AgentOptions.fromConfig(agent);
    assertThat(options.catalogUrl()).isEqualTo("http://10.0.0.1:8080");
    assertThat(options.launcher()).isEqualTo("auto");
    assertThat(options.seedSeconds()).isEqualTo(30);
    assertThat(options.lsd()).isFalse();
    assertThat(options.nodeId()).isNotBlank();
  }
}
