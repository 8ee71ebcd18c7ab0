package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogOptionsTest {
  @Test
  void bootFilesComeFromTheClientImageFolderThenTheFallbackRoots() {
    // the defaults: <dataDir>/client-image, then Debian's ipxe package
    assertThat(CatalogOptions.fromSection(TestConfig.section("catalog")).bootRoots(Path.of("/srv/bt")))
        .containsExactly(Path.of("/srv/bt/client-image"), Path.of("/usr/lib/ipxe"), Path.of("/boot/ipxe.efi"),
            Path.of("/boot/ipxe.lkrn"));
    JsonObject own = TestConfig.section("catalog").put("clientImageDir", "/opt/client")
        .put("bootFallbackRoots", new JsonArray().add("/opt/ipxe").add(""));
    assertThat(CatalogOptions.fromSection(own).bootRoots(Path.of("/srv/bt")))
        .containsExactly(Path.of("/opt/client"), Path.of("/opt/ipxe"));
  }

  @Test
  void theProcessAssemblyDerivesTheAnnounceUrlFromTheTrackerSectionUnlessTrackersAreConfigured() {
    JsonObject tree = TestConfig.loopback(Path.of("/tmp/x")).put("publicHost", "10.0.0.1");
    tree.getJsonObject("tracker").put("httpPort", 7000);
    assertThat(ServiceLinks.announceUrls(tree)).containsExactly("http://10.0.0.1:7000/announce");
    tree.getJsonObject("catalog").put("trackers", new JsonArray().add("http://t1/announce").add(" "));
    assertThat(ServiceLinks.announceUrls(tree)).containsExactly("http://t1/announce");
    tree.put("publicHost", "fd00::1").getJsonObject("catalog").put("trackers", new JsonArray());
    assertThat(ServiceLinks.announceUrls(tree)).isEqualTo(List.of("http://[fd00::1]:7000/announce"));
  }

  @Test
  void aBootProfileNamesAtMost1024PiecesByDefault() {
    assertThat(CatalogOptions.fromSection(TestConfig.section("catalog")).bootProfileMaxPieces()).isEqualTo(1024);
  }

  @Test
  void badValuesNameTheKeyTheValueAndWhatWasExpected() {
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("pieceLength", 3000)))
        .hasMessage("catalog.pieceLength must be 0 (automatic) or a power of two from 16384 to 16777216, got 3000");
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("defaultMenuTimeoutSeconds", -5)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("catalog.defaultMenuTimeoutSeconds: expected an integer >= 0, got -5");
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("bootProfileMaxPieces", 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("catalog.bootProfileMaxPieces: expected an integer 1..65536, got 0");
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("webSeed", "yes")))
        .hasMessage("catalog.webSeed: expected true or false, got \"yes\" (a string)");
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("importRoots", "/srv")))
        .hasMessage("catalog.importRoots: expected a list, got \"/srv\" (a string)");
    assertThatThrownBy(() -> CatalogOptions.fromSection(TestConfig.section("catalog").put("webseed", false)))
        .hasMessageStartingWith("catalog.webseed: not a config key; known keys of catalog: httpPort, host");
  }
}
