package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TftpOptionsTest {
  private static JsonObject defaults() {
    return TestConfig.section("tftp");
  }

  @Test
  void readsTheEmbeddedDefaults() {
    TftpOptions options = TftpOptions.fromSection(defaults());
    assertThat(options.bindHost()).isEqualTo("0.0.0.0");
    assertThat(options.port()).isEqualTo(69);
    assertThat(options.root()).isEmpty();
    assertThat(options.fallbackRoots()).containsExactly(Path.of("/usr/lib/ipxe"));
    assertThat(options.timeoutMs()).isEqualTo(1000);
    assertThat(options.retries()).isEqualTo(5);
    assertThat(options.maxBlksize()).isEqualTo(65464);
    assertThat(options.maxWindowsize()).isEqualTo(64);
    assertThat(options.effectiveTransferLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void anEmptyRootMeansTheTftpFolderOfTheDataDir() {
    assertThat(TftpOptions.fromSection(defaults()).rootIn(Path.of("/srv/boottorrent")))
        .isEqualTo(Path.of("/srv/boottorrent/tftp"));
  }

  @Test
  void anExplicitRootAndFallbackRootsAreUsedAsGiven() {
    TftpOptions options = TftpOptions.fromSection(defaults()
        .put("root", "/srv/tftp/")
        .put("fallbackRoots", new JsonArray().add("/usr/lib/ipxe").add("").add("/usr/share/ipxe")));
    assertThat(options.rootIn(Path.of("/elsewhere"))).isEqualTo(Path.of("/srv/tftp"));
    assertThat(options.fallbackRoots()).containsExactly(Path.of("/usr/lib/ipxe"), Path.of("/usr/share/ipxe"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
      "maxBlksize, 70000, 'tftp.maxBlksize: expected an integer 8..65464, got 70000'",
      "maxWindowsize, 0, 'tftp.maxWindowsize: expected an integer 1..65535, got 0'",
      "timeoutMs, 0, 'tftp.timeoutMs: expected an integer >= 1, got 0'",
      "port, 70000, 'tftp.port: expected an integer 0..65535, got 70000'",
      "transferLoops, -1, 'tftp.transferLoops: expected an integer 0..1024, got -1'"})
  void outOfRangeValuesAreRejectedNamingKeyAndValue(String key, int value, String message) {
    assertThatThrownBy(() -> TftpOptions.fromSection(defaults().put(key, value)))
        .isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void mistypedMissingAndUnknownKeysAreRejected() {
    assertThatThrownBy(() -> TftpOptions.fromSection(defaults().put("retries", "many")))
        .hasMessage("tftp.retries: expected an integer >= 0, got \"many\" (a string)");
    JsonObject missing = defaults();
    missing.remove("root");
    assertThatThrownBy(() -> TftpOptions.fromSection(missing)).hasMessageStartingWith("tftp.root: missing");
    assertThatThrownBy(() -> TftpOptions.fromSection(defaults().put("blksize", 512)))
        .hasMessageStartingWith("tftp.blksize: not a config key");
  }
}
