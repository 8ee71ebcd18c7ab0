package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TftpOptionsTest {

  @Test
  void theEmbeddedDefaultsMatchTheDefaultConstants() {
    // GIVEN the embedded boottorrent-defaults.yaml WHEN read THEN every key has its DEFAULT_* value
    TftpOptions options = TftpOptions.fromConfig(BtConfig.defaults());
    assertThat(options.bindHost()).isEqualTo(TftpOptions.DEFAULT_BIND_HOST);
    assertThat(options.port()).isEqualTo(TftpOptions.DEFAULT_PORT);
    assertThat(options.fallbackRoots()).containsExactly(Path.of("/usr/lib/ipxe"));
    assertThat(options.timeoutMs()).isEqualTo(TftpOptions.DEFAULT_TIMEOUT_MS);
    assertThat(options.retries()).isEqualTo(TftpOptions.DEFAULT_RETRIES);
    assertThat(options.maxBlksize()).isEqualTo(TftpOptions.DEFAULT_MAX_BLKSIZE);
    assertThat(options.maxWindowsize()).isEqualTo(TftpOptions.DEFAULT_MAX_WINDOWSIZE);
    assertThat(options.transferLoops()).isEqualTo(TftpOptions.DEFAULT_TRANSFER_LOOPS);
    assertThat(options.effectiveTransferLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void anEmptyRootMeansTheTftpFolderOfTheDataDir() {
    JsonObject config = new JsonObject().put("dataDir", "/srv/boottorrent").put("tftp", new JsonObject().put("root", ""));
    assertThat(TftpOptions.fromConfig(config).root()).isEqualTo(Path.of("/srv/boottorrent/tftp"));
  }

  @Test
  void anExplicitRootAndFallbackRootsAreUsedAsGiven() {
    JsonObject config = new JsonObject().put("tftp", new JsonObject()
        .put("root", "/srv/tftp/")
        .put("fallbackRoots", new JsonArray().add("/usr/lib/ipxe").add("").add("/usr/share/ipxe")));
    TftpOptions options = TftpOptions.fromConfig(config);
    assertThat(options.root()).isEqualTo(Path.of("/srv/tftp"));
    assertThat(options.fallbackRoots()).containsExactly(Path.of("/usr/lib/ipxe"), Path.of("/usr/share/ipxe"));
  }

  @Test
  void optionsRoundTripThroughJson() {
    TftpOptions options = new TftpOptions("127.0.0.1", 6969, Path.of("/srv/tftp"), List.of(Path.of("/opt/ipxe")),
        250, 3, 1468, 16, 3);
    JsonObject config = new JsonObject().put("tftp", options.toJson());
    assertThat(TftpOptions.fromConfig(config)).isEqualTo(options);
  }

  @Test
  void outOfRangeOrMistypedValuesAreRejectedWithTheKeyName() {
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("maxBlksize", 70000))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBlksize");
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("maxWindowsize", 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWindowsize");
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("timeoutMs", 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tftp.timeoutMs");
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("port", 70000))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tftp.port");
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("transferLoops", -1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tftp.transferLoops");
    assertThatThrownBy(() -> TftpOptions.fromConfig(tftp(new JsonObject().put("retries", "many"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tftp section");
  }

  private static JsonObject tftp(JsonObject section) {
    return new JsonObject().put("tftp", section);
  }
}
