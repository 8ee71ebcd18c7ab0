package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.agent.AgentOptions;
import io.boottorrent.catalog.CatalogOptions;
import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.dhcp.DhcpServerOptions;
import io.boottorrent.seeder.SeederOptions;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.server.HttpLimits;
import io.boottorrent.server.auth.AuthOptions;
import io.boottorrent.telemetry.TelemetryOptions;
import io.boottorrent.tftp.TftpOptions;
import io.boottorrent.tracker.TrackerOptions;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * boottorrent-defaults.yaml is the one place every default is written: each options class reads its
 * section of it, refusing a missing key and a key it does not read, so the file and the code cannot
 * disagree, and no key in the file goes unread.
 */
class EmbeddedDefaultsTest {
  /** Every section of the defaults and the options class that reads it. */
  private static final Map<String, Consumer<JsonObject>> READERS = new LinkedHashMap<>();

  static {
    READERS.put("cluster", ClusterOptions::fromSection);
    READERS.put("http", HttpLimits::fromSection);
    READERS.put("health", HealthOptions::fromSection);
    READERS.put("auth", AuthOptions::fromSection);
    READERS.put("catalog", CatalogOptions::fromSection);
    READERS.put("tracker", TrackerOptions::fromSection);
    READERS.put("seeder", SeederOptions::fromSection);
    READERS.put("agent", AgentOptions::fromSection);
    READERS.put("dhcp", DhcpServerOptions::fromSection);
    READERS.put("tftp", TftpOptions::fromSection);
    READERS.put("telemetry", TelemetryOptions::fromSection);
  }

  static Stream<String> sections() {
    return READERS.keySet().stream();
  }

  @Test
  void everyTopLevelKeyIsASectionWithAReaderOrAProcessKey() {
    JsonObject defaults = BtConfig.defaults();
    ProcessOptions.fromTree(defaults); // dataDir, publicHost
    assertThat(defaults.fieldNames()).containsExactlyInAnyOrderElementsOf(
        Stream.concat(Stream.of("dataDir", "publicHost"), READERS.keySet().stream()).toList());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sections")
  void everyOptionsClassReadsEveryKeyOfItsSectionInTheDefaults(String section) {
    // each reader ends with ConfigSection.done(): an unread key would fail it here
    READERS.get(section).accept(BtConfig.defaults().getJsonObject(section));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sections")
  void aKeyMissingFromTheTreeOrOneNobodyReadsIsAnErrorNamingIt(String section) {
    JsonObject extra = BtConfig.defaults().getJsonObject(section).put("noSuchKey", 1);
    assertThatThrownBy(() -> READERS.get(section).accept(extra))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(section + ".noSuchKey: not a config key");
    JsonObject full = BtConfig.defaults().getJsonObject(section);
    String first = full.fieldNames().iterator().next();
    full.remove(first);
    assertThatThrownBy(() -> READERS.get(section).accept(full))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(section + "." + first + ": missing");
  }
}
