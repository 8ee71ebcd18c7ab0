package io.boottorrent.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DhcpServerOptionsTest {
  @Test
  void embeddedDefaultsInProxyModeResolveWithPublicHostAsServerAddress() {
    JsonObject root = BtConfig.defaults();
    root.getJsonObject("dhcp").put("mode", "proxy");

    DhcpConfig config = Clients.resolved(root);

    assertThat(config.mode()).isEqualTo(DhcpConfig.Mode.PROXY);
    assertThat(config.port()).isEqualTo(67);
    assertThat(config.proxyPort()).isEqualTo(4011);
    assertThat(config.serverAddress()).isEqualTo(Ipv4.parse("127.0.0.1"));
    assertThat(config.bootFiles()).containsEntry("bios", "undionly.kpxe").containsEntry("efi64", "snponly.efi")
        .containsEntry("httpBoot", "snponly.efi");
    assertThat(config.ipxeScriptUrl()).isEqualTo("http://127.0.0.1:8080/boot/ipxe?mac=${net0/mac}");
    assertThat(config.httpBootBaseUrl()).isEqualTo("http://127.0.0.1:8080/boot/");
  }

  @Test
  void theEmbeddedDefaultsParseButFullModeWithoutPoolsIsRefusedWhenResolved() {
    DhcpServerOptions options = DhcpServerOptions.fromSection(BtConfig.defaults().getJsonObject("dhcp"));
    assertThatThrownBy(() -> options.resolve("10.0.0.1", 8080))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("dhcp.pools: dhcp.mode full needs at least one pool");
  }

  @Test
  void poolWithARangeOutsideItsSubnetIsRefused() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0).put("rangeEnd", "10.213.1.5");

    assertThatThrownBy(() -> Clients.resolved(root))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dhcp.pools[0]")
        .hasMessageContaining("not inside");
  }

  @Test
  void poolItemsAreReadStrictlyToo() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0).put("gateway", "10.213.0.1");
    assertThatThrownBy(() -> Clients.resolved(root)).hasMessageStartingWith("dhcp.pools[0].gateway: not a config key");
    root.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0).remove("gateway");
    root.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0).put("router", "10.213.0.300");
    assertThatThrownBy(() -> Clients.resolved(root))
        .hasMessage("dhcp.pools[0].router: expected an IPv4 address, got \"10.213.0.300\"");
  }

  @Test
  void reservationOutsideEveryPoolIsRefused() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("reservations", new JsonObject().put("02:00:00:00:00:01", "192.168.9.9"));

    assertThatThrownBy(() -> Clients.resolved(root)).hasMessageContaining("no pool");
  }

  @Test
  void reservationMacsAreNormalisedAndNonMacsRefusedWithAHintAboutYaml() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("reservations", new JsonObject().put("0200.0000.0007", "10.213.0.7"));
    assertThat(Clients.resolved(root).reservations()).containsOnlyKeys("02:00:00:00:00:07");
    root.getJsonObject("dhcp").put("reservations", new JsonObject().put("4242", "10.213.0.7"));
    assertThatThrownBy(() -> Clients.resolved(root))
        .hasMessageStartingWith("dhcp.reservations.4242: not a MAC address").hasMessageContaining("quote MACs");
  }

  @Test
  void serverAddressMustBeAnIpv4Literal() {
    JsonObject root = Clients.config().put("publicHost", "boot.example");
    assertThatThrownBy(() -> Clients.resolved(root)).hasMessageContaining("IPv4").hasMessageContaining("boot.example");
    root.getJsonObject("dhcp").put("serverAddress", "10.0.0.256");
    assertThatThrownBy(() -> Clients.resolved(root))
        .hasMessage("dhcp.serverAddress: expected an IPv4 address, got \"10.0.0.256\"");
  }

  @Test
  void unknownModeUnknownArchitectureAndNegativeHoldAreRefusedNamingTheKey() {
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("mode", "relay");
    assertThatThrownBy(() -> Clients.resolved(root)).hasMessage("dhcp.mode: expected one of full, proxy, got \"relay\"");
    JsonObject arch = Clients.config();
    arch.getJsonObject("dhcp").getJsonObject("bootFiles").put("efi", "x.efi");
    assertThatThrownBy(() -> Clients.resolved(arch)).hasMessageStartingWith("dhcp.bootFiles.efi: not a client architecture");
    JsonObject hold = Clients.config();
    hold.getJsonObject("dhcp").put("offerHoldSeconds", -1);
    assertThatThrownBy(() -> Clients.resolved(hold)).hasMessage("dhcp.offerHoldSeconds: expected an integer >= 1, got -1");
  }

  @Test
  void dnsMayBeAListOrACommaSeparatedStringAsFromAnEnvironmentOverride() {
    JsonObject root = Clients.config();
    JsonArray pools = root.getJsonObject("dhcp").getJsonArray("pools");
    pools.getJsonObject(0).put("dns", "10.213.0.2, 10.213.0.3");

    DhcpConfig config = Clients.resolved(root);

    assertThat(config.pools().get(0).dns()).containsExactly(Ipv4.parse("10.213.0.2"), Ipv4.parse("10.213.0.3"));
    assertThat(config.directPool()).contains(config.pools().get(0));
    assertThat(config.poolContaining(Ipv4.parse("10.213.5.77"))).contains(config.pools().get(1));
  }
  @Test
  void poolShareIsTheWholePoolByDefaultAndIndexOfCountWhenGiven() {
    // GIVEN the defaults, then a share
    assertThat(Clients.resolved(Clients.config()).poolShare()).isEqualTo(PoolShare.WHOLE);
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("poolShare", "1/2");

    // WHEN resolved / THEN that share
    assertThat(Clients.resolved(root).poolShare()).isEqualTo(new PoolShare(1, 2));
  }

  @ParameterizedTest
  @ValueSource(strings = {"3/2", "x", "0/0"})
  void badPoolShareIsAStartErrorNamingTheKeyTheValueAndWhatWasExpected(String share) {
    // GIVEN a share that is not <index>/<count> with index < count
    JsonObject root = Clients.config();
    root.getJsonObject("dhcp").put("poolShare", share);

    // WHEN read / THEN refused, naming key, value and the expected form
    assertThatThrownBy(() -> Clients.resolved(root))
        .isInstanceOf(ConfigException.class)
        .hasMessage("dhcp.poolShare: expected \"<index>/<count>\" with 0 <= index < count (e.g. \"0/2\" and \"1/2\""
            + " for two servers; empty: the whole pool), got \"" + share + "\"");
  }

  @Test
  void poolShareThatLeavesAPoolWithoutAnAddressIsAStartError() {
    // GIVEN a pool of one (even) address and the odd share
    JsonObject root = Clients.config();
    DhcpServerLogicTest.withRange(root, "10.213.0.100", "10.213.0.100");
    root.getJsonObject("dhcp").put("poolShare", "1/2");

    // WHEN resolved / THEN refused, naming the key, the value and the pool
    assertThatThrownBy(() -> Clients.resolved(root))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("dhcp.poolShare: \"1/2\" leaves pool 10.213.0.0/24 10.213.0.100-10.213.0.100 without"
            + " an address to hand out");
    // and the even share of it is fine
    root.getJsonObject("dhcp").put("poolShare", "0/2");
    assertThat(Clients.resolved(root).poolShare()).hasToString("0/2");
  }

  @Test
  void poolShareWhoseOnlyAddressesAreTheRouterOrAReservationIsAlsoRefused() {
    // GIVEN a range .1-.2 whose odd address is the router: share 1/2 has nothing for dynamic clients
    JsonObject root = Clients.config();
    DhcpServerLogicTest.withRange(root, "10.213.0.1", "10.213.0.2");
    root.getJsonObject("dhcp").put("serverAddress", "10.213.0.254").put("poolShare", "1/2");

    assertThatThrownBy(() -> Clients.resolved(root)).hasMessageStartingWith("dhcp.poolShare: \"1/2\" leaves pool");
  }
}
