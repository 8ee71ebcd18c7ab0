package io.boottorrent.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

class BtConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsNeverEnableMulticastAndListEveryService() {
    JsonObject defaults = BtConfig.defaults();
    assertThat(defaults.getJsonObject("cluster").getBoolean("enabled")).isFalse();
    assertThat(defaults.getJsonObject("cluster").getString("host")).isEqualTo("127.0.0.1");
    assertThat(defaults.fieldNames()).contains("catalog", "tracker", "seeder", "agent", "health");
  }

  @Test
  void fileIsDeepMergedOverDefaults() throws IOException {
    Path file = dir.resolve("bt.yaml");
    Files.writeString(file, "catalog:\n  httpPort: 9000\ndataDir: /srv/bt\n");
    JsonObject config = BtConfig.load(file, Map.of());
    assertThat(config.getJsonObject("catalog").getInteger("httpPort")).isEqualTo(9000);
    assertThat(config.getJsonObject("catalog").getBoolean("webSeed")).isTrue(); // kept from defaults
    assertThat(config.getString("dataDir")).isEqualTo("/srv/bt");
  }

  @Test
  void environmentOverridesLeavesWithTheirTypes() {
    JsonObject config = BtConfig.load(null, Map.of(
        "BOOTTORRENT_CATALOG_HTTPPORT", "8181",
        "BOOTTORRENT_CLUSTER_ENABLED", "true",
        "BOOTTORRENT_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701",
        "BOOTTORRENT_PUBLICHOST", "10.0.0.1"));
    assertThat(config.getJsonObject("catalog").getValue("httpPort")).isEqualTo(8181);
    assertThat(config.getJsonObject("cluster").getValue("enabled")).isEqualTo(true);
    assertThat(BtConfig.section(config, "cluster").strings("members")).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(ProcessOptions.fromTree(config).publicHost()).isEqualTo("10.0.0.1");
  }

  @Test
  void requestQueuesAndStartGateHaveProductDefaultsAndEnvironmentOverrides() {
    JsonObject defaults = BtConfig.defaults();
    // 0: libtorrent's 2000, which it also advertises as reqq (8 held transmission to 131 kB/s)
    assertThat(defaults.getJsonObject("seeder").getValue("maxRequestsPerPeer")).isEqualTo(0);
    assertThat(defaults.getJsonObject("agent").getValue("requestQueueSeconds")).isEqualTo(1);
    assertThat(defaults.getJsonObject("agent").getValue("startGate")).isEqualTo("");

    JsonObject config = BtConfig.load(null, Map.of(
        "BOOTTORRENT_SEEDER_MAXREQUESTSPERPEER", "8",
        "BOOTTORRENT_AGENT_REQUESTQUEUESECONDS", "3",
        "BOOTTORRENT_AGENT_STARTGATE", "/tmp/bench/go"));
    assertThat(config.getJsonObject("seeder").getValue("maxRequestsPerPeer")).isEqualTo(8);
    assertThat(config.getJsonObject("agent").getValue("requestQueueSeconds")).isEqualTo(3);
    assertThat(config.getJsonObject("agent").getValue("startGate")).isEqualTo("/tmp/bench/go");
    assertThat(EnvOverrides.unknown(defaults, Map.of("BOOTTORRENT_SEEDER_MAXREQUESTSPERPEER", "1",
        "BOOTTORRENT_AGENT_REQUESTQUEUESECONDS", "1", "BOOTTORRENT_AGENT_STARTGATE", "x"))).isEmpty();
  }

  @Test
  void unknownVariablesAreReportedNotApplied() {
    Map<String, String> env = Map.of("BOOTTORRENT_CATALOG_HTTPPROT", "1", "BOOTTORRENT_TRACKER_INTERVAL", "10", "PATH", "/bin",
        "BOOTTORRENT_JAVA_OPTS", "-Xmx1g", "BOOTTORRENT_LOG_LEVEL", "DEBUG");
    assertThat(EnvOverrides.unknown(BtConfig.defaults(), env)).containsExactly("BOOTTORRENT_CATALOG_HTTPPROT");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "a: 1\nb: [x, 2.5, true, null]\nc: {d: {e: \"f\"}}\n",
      "base: &b {port: 80, host: h}\nother: *b\nlist:\n  - one\n  - {two: 2}\n",
      "# only a comment\n",
      "",
      "big: 123456789012\nneg: -1\nhex: 0x10\nstr: '010'\nempty:\n"})
  @SuppressWarnings("unchecked")
  void parseYamlReadsWhatTheYamlFacadeReads(String text) {
    // GIVEN a YAML document WHEN BtConfig parses it without the Yaml facade (no java.beans in the client image)
    // THEN it gets what Yaml.load gives
    Object expected = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    JsonObject parsed = BtConfig.parseYaml(text, "test.yaml");
    assertThat(parsed).isEqualTo(expected == null ? new JsonObject() : new JsonObject((Map<String, Object>) expected).copy());
  }

  @Test
  void parseYamlRefusesSeveralDocuments() {
    assertThatThrownBy(() -> BtConfig.parseYaml("a: 1\n---\nb: 2\n", "two.yaml")).hasMessageContaining("two.yaml");
  }

  @Test
  void brokenYamlSaysWhereAndWhy() throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "catalog: [unclosed\n");
    assertThatThrownBy(() -> BtConfig.load(file, Map.of())).hasMessageContaining("bad.yaml");
    Files.writeString(file, "- a list\n");
    assertThatThrownBy(() -> BtConfig.load(file, Map.of())).hasMessageContaining("must be a mapping");
    assertThatThrownBy(() -> BtConfig.load(dir.resolve("missing.yaml"), Map.of())).hasMessageContaining("cannot read config file");
  }

  @Test
  void operatorFileWithAnUnknownTopLevelKeyIsRefusedNamingIt() throws IOException {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, "catalgo:\n  httpPort: 9000\n");
    assertThatThrownBy(() -> BtConfig.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("catalgo: not a config key")
        .hasMessageContaining("catalog");
  }

  @Test
  void environmentValueOfTheWrongTypeNamesTheVariableAndTheKey() {
    assertThatThrownBy(() -> BtConfig.load(null, Map.of("BOOTTORRENT_CATALOG_HTTPPORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("catalog.httpPort")
        .hasMessageContaining("BOOTTORRENT_CATALOG_HTTPPORT")
        .hasMessageContaining("eighty");
    assertThatThrownBy(() -> BtConfig.load(null, Map.of("BOOTTORRENT_CLUSTER_ENABLED", "yes please")))
        .hasMessageContaining("cluster.enabled: expected true or false");
  }

  @Test
  void seederIdIsAKeyTheEnvironmentSets() {
    assertThat(BtConfig.defaults().getJsonObject("seeder").getValue("id")).isEqualTo("");
    assertThat(EnvOverrides.variableOf("seeder.id")).isEqualTo("BOOTTORRENT_SEEDER_ID");
    JsonObject config = BtConfig.load(null, Map.of("BOOTTORRENT_SEEDER_ID", "seeder-7f9c"));
    assertThat(config.getJsonObject("seeder").getString("id")).isEqualTo("seeder-7f9c");
  }
}
