package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TftpOptionsTest {
  @Test
  void readsTheEmbeddedDefaults() {
    TftpOptions options = TftpOptions.fromSection(TestConfig.section("tftp"));
    assertThat(options.bindHost()).isEqualTo("0.0.0.0");
    assertThat(options.port()).isEqualTo(69);
    assertThat(options.root()).isEmpty();
    assertThat(options.fallbackRoots())
        .containsExactly(Path.of("/usr/lib/ipxe"), Path.of("/boot/ipxe.efi"), Path.of("/boot/ipxe.lkrn"));
    assertThat(options.timeoutMs()).isEqualTo(1000);
    assertThat(options.retries()).isEqualTo(5);
    assertThat(options.maxBlksize()).isEqualTo(65464);
    assertThat(options.maxWindowsize()).isEqualTo(64);
    assertThat(options.congestionControl()).isFalse();
    assertThat(options.maxTransfers()).isEqualTo(1000);
    assertThat(options.maxTransfersPerClient()).isEqualTo(8);
    assertThat(options.effectiveTransferLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void anEmptyRootMeansTheTftpFolderOfTheDataDir() {
    assertThat(TftpOptions.fromSection(TestConfig.section("tftp")).rootIn(Path.of("/srv/boottorrent")))
        .isEqualTo(Path.of("/srv/boottorrent/tftp"));
  }

  @Test
  void anExplicitRootAndFallbackRootsAreUsedAsGiven() {
    TftpOptions options = TftpOptions.fromSection(TestConfig.section("tftp")
        .put("root", "/srv/tftp/")
        .put("fallbackRoots", new JsonArray().add("/usr/lib/ipxe").add("").add("/usr/share/ipxe")));
    assertThat(options.rootIn(Path.of("/elsewhere"))).isEqualTo(Path.of("/srv/tftp"));
    assertThat(options.fallbackRoots()).containsExactly(Path.of("/usr/lib/ipxe"), Path.of("/usr/share/ipxe"));
  }

  @Test
  void outOfRangeValuesAreRejectedNamingKeyAndValue() {
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("maxBlksize", 70000)))
        .isInstanceOf(ConfigException.class).hasMessage("tftp.maxBlksize: expected an integer 8..65464, got 70000");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("maxWindowsize", 0)))
        .hasMessage("tftp.maxWindowsize: expected an integer 1..65535, got 0");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("timeoutMs", 0)))
        .hasMessage("tftp.timeoutMs: expected an integer >= 1, got 0");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("port", 70000)))
        .hasMessage("tftp.port: expected an integer 0..65535, got 70000");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("transferLoops", -1)))
        .hasMessage("tftp.transferLoops: expected an integer 0..1024, got -1");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("maxTransfers", 0)))
        .hasMessage("tftp.maxTransfers: expected an integer >= 1, got 0");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("maxTransfersPerClient", 0)))
        .hasMessage("tftp.maxTransfersPerClient: expected an integer >= 1, got 0");
  }

  @Test
  void mistypedMissingAndUnknownKeysAreRejected() {
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("retries", "many")))
        .hasMessage("tftp.retries: expected an integer >= 0, got \"many\" (a string)");
    JsonObject missing = TestConfig.section("tftp");
    missing.remove("root");
    assertThatThrownBy(() -> TftpOptions.fromSection(missing)).hasMessageStartingWith("tftp.root: missing");
    assertThatThrownBy(() -> TftpOptions.fromSection(TestConfig.section("tftp").put("blksize", 512)))
        .hasMessageStartingWith("tftp.blksize: not a config key");
  }
}
