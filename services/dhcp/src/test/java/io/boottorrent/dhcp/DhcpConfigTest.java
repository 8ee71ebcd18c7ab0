package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class DhcpConfigTest {
  @Test
  void embeddedDefaultsInProxyModeParseWithPublicHostAsServerAddress() {
    JsonObject root = BtConfig.defaults();
    root.getJsonObject("dhcp").put("mode", "proxy");

    DhcpConfig config = DhcpConfig.fromJson(root);

    assertThat(config.mode()).isEqualTo(DhcpConfig.Mode.PROXY);
    assertThat(config.port()).isEqualTo(67);
    assertThat(config.proxyPort()).isEqualTo(4011);
    assertThat(config.serverAddress()).isEqualTo(Ipv4.parse("127.0.0.1"));
    assertThat(config.bootFiles()).containsEntry("bios", "undionly.kpxe").containsEntry("efi64", "snponly.efi").containsEntry("httpBoot", "snponly.efi");
    assertThat(config.ipxeScriptUrl()).isEqualTo("http://127.0.0.1:8080/boot/ipxe?mac=${net0/mac}");
  }

  @Test
  void fullModeWithoutPoolsIsRefusedWithAClearMessage() {
    assertThatThrownBy(() -> DhcpConfig.fromJson(BtConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dhcp.pools");
  }

  @Test
  void poolWithARangeOutsideItsSubnetIsRefused() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0).put("rangeEnd", "10.213.1.5");

    assertThatThrownBy(() -> DhcpConfig.fromJson(root))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dhcp.pools[0]")
        .hasMessageContaining("not inside");
  }

  @Test
  void reservationOutsideEveryPoolIsRefused() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("reservations", new JsonObject().put("02:00:00:00:00:01", "192.168.9.9"));

    assertThatThrownBy(() -> DhcpConfig.fromJson(root)).hasMessageContaining("no pool");
  }

  @Test
  void macsAreNormalisedAndNonMacsRefused() {
    assertThat(DhcpConfig.normalizeMac("AA-BB-CC-DD-EE-FF")).isEqualTo("aa:bb:cc:dd:ee:ff");
    assertThatThrownBy(() -> DhcpConfig.normalizeMac("4242")).hasMessageContaining("quote MACs");
  }

  @Test
  void serverAddressMustBeAnIpv4Literal() {
    JsonObject root = Clients.config().put("publicHost", "boot.example");

    assertThatThrownBy(() -> DhcpConfig.fromJson(root)).hasMessageContaining("IPv4");
  }

  @Test
  void dnsMayBeAListOrACommaSeparatedStringAsFromAnEnvironmentOverride() {
    JsonObject root = Clients.config();
    JsonArray pools = root.getJsonObject("dhcp").getJsonArray("pools");
    pools.getJsonObject(0).put("dns", "10.213.0.2, 10.213.0.3");

    DhcpConfig config = DhcpConfig.fromJson(root);

    assertThat(config.pools().get(0).dns()).containsExactly(Ipv4.parse("10.213.0.2"), Ipv4.parse("10.213.0.3"));
    assertThat(config.directPool()).contains(config.pools().get(0));
    assertThat(config.poolContaining(Ipv4.parse("10.213.5.77"))).contains(config.pools().get(1));
  }

  @Test
  void roundTripsThroughItsJsonForm() {
    DhcpConfig config = DhcpConfig.fromJson(Clients.config());

    DhcpConfig again = DhcpConfig.fromJson(new JsonObject().put("dhcp", config.toJson()));

    assertThat(again).isEqualTo(config);
    assertThat(config.toJson().getJsonArray("pools").getJsonObject(0).getString("subnet")).isEqualTo("10.213.0.0/24");
  }
}
