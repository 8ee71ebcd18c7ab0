package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.MacAddress;
import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.swarm.PieceStripe;
import io.boottorrent.swarm.SwarmSession;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.libtorrent4j.swig.settings_pack;

class AgentOptionsTest {
  private static final MacAddress MAC = MacAddress.parse("02:00:00:00:00:01");

  private static JsonObject agent() {
    return TestConfig.section("agent").put("mac", MAC.canonical());
  }

  @Test
  void streamingIsForQemuImagesTheMachinesOnOrOffWinsThenTheImagesSettingThenTheSize() {
    io.boottorrent.proto.ImageManifest big = io.boottorrent.proto.ImageManifest.newBuilder().setTotalSize(1L << 30).build();
    io.boottorrent.proto.ImageManifest small = big.toBuilder().setTotalSize(64L << 20).build();
    AgentOptions auto = AgentOptions.fromSection(agent());
    assertThat(auto.streams("qemu", big)).isTrue(); // 1 GiB >= streamingMinBytes (256 MiB)
    assertThat(auto.streams("qemu", small)).isFalse();
    assertThat(auto.streams("kexec", big)).isFalse();
    assertThat(auto.streams("exec", big)).isFalse();
    assertThat(auto.streams("qemu", small.toBuilder().setStreaming(io.boottorrent.proto.Streaming.STREAMING_ON).build()))
        .isTrue();
    assertThat(auto.streams("qemu", big.toBuilder().setStreaming(io.boottorrent.proto.Streaming.STREAMING_OFF).build()))
        .isFalse();
    AgentOptions off = AgentOptions.fromSection(agent().put("streaming", "off"));
    assertThat(off.streams("qemu", big.toBuilder().setStreaming(io.boottorrent.proto.Streaming.STREAMING_ON).build()))
        .isFalse();
    AgentOptions on = AgentOptions.fromSection(agent().put("streaming", "on"));
    assertThat(on.streams("qemu", small.toBuilder().setStreaming(io.boottorrent.proto.Streaming.STREAMING_OFF).build()))
        .isTrue();
    assertThat(on.streams("kexec", small)).isFalse();
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("streaming", "sometimes")))
        .hasMessageContaining("agent.streaming");
  }

  @Test
  void defaultsComeFromTheEmbeddedConfig() {
    AgentOptions options = AgentOptions.fromSection(agent().put("catalogUrl", "http://10.0.0.1:8080/"));
    assertThat(options.catalogUrl()).isEqualTo("http://10.0.0.1:8080");
    assertThat(options.mac()).contains(MAC);
    assertThat(options.launcher()).isEqualTo("auto");
    assertThat(options.seedSeconds()).isEqualTo(30);
    assertThat(options.lsd()).isFalse();
    assertThat(options.requestQueueSeconds()).isEqualTo(1);
    assertThat(options.startGate()).isEmpty();
    assertThat(options.pieceStripe()).isEmpty();
    assertThat(options.webSeedFallback()).isEqualTo(new WebSeedFallback(10, 262_144));
    assertThat(options.niceWhileRunning()).isEqualTo(10);
    assertThat(options.bootProfile()).isEqualTo(AgentOptions.BootProfile.ON); // YAML's `on`, read as true
    assertThat(AgentOptions.fromSection(TestConfig.section("agent")).mac()).isEmpty(); // the first NIC's, at start
  }

  @ParameterizedTest
  @CsvSource({"BOOTPROFILE, record", "BOOTPROFILE, off", "BOOTPROFILE, on", "STREAMING, off", "STREAMING, on",
      "QEMUACCEL, tcg"})
  void everyValueOfAnEnumKeyComesFromTheEnvironment(String key, String value) {
    // the environment's value takes the default's type: a default YAML reads as a boolean (a bare on)
    // would refuse "record" (the bench's first streaming run did)
    JsonObject section = BtConfig.load(null, Map.of("BOOTTORRENT_AGENT_" + key, value)).getJsonObject("agent")
        .put("mac", MAC.canonical());
    AgentOptions options = AgentOptions.fromSection(section);
    Object read = switch (key) {
      case "BOOTPROFILE" -> options.bootProfile();
      case "STREAMING" -> options.streaming();
      default -> options.qemuAccel();
    };
    assertThat(read.toString()).isEqualToIgnoringCase(value);
  }

  @ParameterizedTest
  @CsvSource({"52-54-00-12-34-56", "525400123456", "5254.0012.3456", "52:54:00:12:34:56"})
  void macInAnyCommonFormIsCanonical(String raw) {
    assertThat(AgentOptions.fromSection(agent().put("mac", raw)).mac()).contains(MacAddress.parse("52:54:00:12:34:56"));
  }

  @Test
  void qemuAcceleratorIsAutoKvmOrTcg() {
    assertThat(AgentOptions.fromSection(agent()).qemuAccel()).isEqualTo(AgentOptions.QemuAccel.AUTO);
    assertThat(AgentOptions.fromSection(agent().put("qemuAccel", "TCG")).qemuUsesKvm()).isFalse();
    assertThat(AgentOptions.fromSection(agent().put("qemuAccel", "kvm")).qemuUsesKvm()).isTrue();
  }

  @Test
  void badTextValuesAreRefusedNamingKeyAndValue() {
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("qemuAccel", "hvf")))
        .isInstanceOf(ConfigException.class).hasMessage("agent.qemuAccel: expected one of auto, kvm, tcg, got \"hvf\"");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("launcher", "pxe")))
        .hasMessage("agent.launcher: expected one of auto, none, kexec, qemu, exec, got \"pxe\"");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("mac", "52:54:00")))
        .hasMessageStartingWith("agent.mac: not a MAC address: '52:54:00' (expected aa:bb:cc:dd:ee:ff");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("catalogUrl", "catalog:8080")))
        .hasMessage("agent.catalogUrl: expected http://host:port, got \"catalog:8080\"");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("bootProfile", "learn")))
        .hasMessage("agent.bootProfile: expected one of on, record, off, got \"learn\"");
    assertThat(AgentOptions.fromSection(agent().put("bootProfile", "record")).bootProfile().uses()).isFalse();
    assertThat(AgentOptions.fromSection(agent().put("bootProfile", false)).bootProfile().records()).isFalse();
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("pieceStripe", "16/16")))
        .hasMessage("agent.pieceStripe: a piece stripe is <index>/<count> with 0 <= index < count, got 16/16");
  }

  @Test
  void negativeNumbersWrongTypesAndUnknownKeysAreRefused() {
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("requestQueueSeconds", -1)))
        .hasMessage("agent.requestQueueSeconds: expected an integer >= 0, got -1");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("seedSeconds", "30s")))
        .hasMessage("agent.seedSeconds: expected an integer >= 0, got \"30s\" (a string)");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("interactive", "no")))
        .hasMessage("agent.interactive: expected true or false, got \"no\" (a string)");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("niceWhileRunning", 20)))
        .hasMessageStartingWith("agent.niceWhileRunning: ").hasMessageContaining("20");
    assertThatThrownBy(() -> AgentOptions.fromSection(agent().put("nodeId", "x")))
        .hasMessageStartingWith("agent.nodeId: not a config key");
  }

  @Test
  void pieceStripeIsOffByDefaultAndComesFromConfigOrEnvironment() {
    assertThat(AgentOptions.fromSection(agent().put("pieceStripe", false)).pieceStripe()).isEmpty();
    assertThat(AgentOptions.fromSection(agent().put("pieceStripe", "3/16")).pieceStripe())
        .contains(new PieceStripe(3, 16));
    JsonObject config = BtConfig.load(null, Map.of("BOOTTORRENT_AGENT_PIECESTRIPE", "0/4",
        "BOOTTORRENT_AGENT_MAC", "02:00:00:00:00:02", "BOOTTORRENT_AGENT_REQUESTQUEUESECONDS", "5",
        "BOOTTORRENT_AGENT_STARTGATE", "/run/bench/go"));
    AgentOptions fromEnv = AgentOptions.fromSection(config.getJsonObject("agent"));
    assertThat(fromEnv.pieceStripe()).contains(new PieceStripe(0, 4));
    assertThat(fromEnv.requestQueueSeconds()).isEqualTo(5);
    assertThat(fromEnv.startGate()).isEqualTo("/run/bench/go");
  }

  @Test
  void theMachinesOwnStripeWinsOverTheOneItsGroupRuleHandsOut() {
    AgentOptions plain = AgentOptions.fromSection(agent());
    BootAssignment grouped = BootAssignment.newBuilder().setStripeIndex(2).setStripeCount(8).build();
    assertThat(AgentVerticle.stripeFor(plain, grouped, "")).isEqualTo(new PieceStripe(2, 8));
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromSection(agent().put("pieceStripe", "1/4")), grouped, ""))
        .isEqualTo(new PieceStripe(1, 4));
    assertThat(AgentVerticle.stripeFor(plain, BootAssignment.getDefaultInstance(), "")).isNull();
    assertThat(AgentVerticle.stripeFor(plain, null, "debian")).isNull();
    // a nonsensical stripe from the catalog is ignored, not fatal
    assertThat(AgentVerticle.stripeFor(plain, BootAssignment.newBuilder().setStripeIndex(9).setStripeCount(8).build(), ""))
        .isNull();
  }

  @Test
  void aPlaceInTheStormIsANestedStripeForTheImageItWasCountedFor() {
    AgentOptions plain = AgentOptions.fromSection(agent());
    BootAssignment third = BootAssignment.newBuilder().setDefaultImage("debian").setArrival(3).build();
    // booting the default image: the nested stripe of place 3 (index 2)
    assertThat(AgentVerticle.stripeFor(plain, third, "debian")).isEqualTo(PieceStripe.nested(2));
    // another image chosen from the menu: the place was counted for the default one
    assertThat(AgentVerticle.stripeFor(plain, third, "ubuntu")).isNull();
    // an image configured on the machine: the catalog counted that one
    AgentOptions configured = AgentOptions.fromSection(agent().put("image", "ubuntu"));
    assertThat(AgentVerticle.stripeFor(configured, third, "ubuntu")).isEqualTo(PieceStripe.nested(2));
    // a group stripe, and the machine's own, come first
    assertThat(AgentVerticle.stripeFor(plain, third.toBuilder().setStripeIndex(1).setStripeCount(4).build(), "debian"))
        .isEqualTo(new PieceStripe(1, 4));
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromSection(agent().put("pieceStripe", "0/2")), third, "debian"))
        .isEqualTo(new PieceStripe(0, 2));
  }

  @Test
  void agentSessionRunsWithTheConfiguredRequestQueueTime() throws Exception {
    // GIVEN the product defaults, on loopback
    AgentOptions options = AgentOptions.fromSection(agent().put("listenHost", "127.0.0.1"));
    SwarmSession.Options swarm = AgentVerticle.swarmOptions(options, MAC);
    Vertx vertx = Vertx.vertx();
    try {
      // WHEN the agent's session starts with them
      SwarmSession session = SwarmSession.start(vertx, swarm).await(60, TimeUnit.SECONDS);
      try {
        // THEN libtorrent keeps 1 s of requests queued per peer (its default: 3 s) and accepts libtorrent's
        // default number of requests from others (seeder.maxRequestsPerPeer is the seeder's setting)
        assertThat(session.intSetting(settings_pack.int_types.request_queue_time).await(30, TimeUnit.SECONDS))
            .isEqualTo(1);
        assertThat(session.intSetting(settings_pack.int_types.max_allowed_in_request_queue).await(30, TimeUnit.SECONDS))
            .isEqualTo(2000);
      } finally {
        session.close().await(30, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void optionalMacIsResolvedFromTheNetworkInterfaces() {
    // this machine has a NIC with a MAC (the client image and CI do too)
    assertThat(Optional.of(AgentOptions.firstMac())).isPresent();
  }
}
