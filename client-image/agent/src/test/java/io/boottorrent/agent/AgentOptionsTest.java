package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.swarm.PieceStripe;
import io.boottorrent.swarm.SwarmSession;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.libtorrent4j.swig.settings_pack;
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
  void qemuAcceleratorIsAutoKvmOrTcg() {
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01");
    assertThat(AgentOptions.fromConfig(agent).qemuAccel()).isEqualTo("auto");
    assertThat(AgentOptions.fromConfig(agent.copy().put("qemuAccel", "TCG")).qemuUsesKvm()).isFalse();
    assertThat(AgentOptions.fromConfig(agent.copy().put("qemuAccel", "kvm")).qemuUsesKvm()).isTrue();
    assertThatThrownBy(() -> AgentOptions.fromConfig(agent.copy().put("qemuAccel", "hvf")))
        .hasMessageContaining("agent.qemuAccel must be auto, kvm or tcg");
  }

  @Test
  void pieceStripeIsOffByDefaultAndComesFromConfigOrEnvironment() {
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01");
    assertThat(AgentOptions.fromConfig(agent).pieceStripe()).isNull();
    assertThat(AgentOptions.fromConfig(agent.copy().put("pieceStripe", false)).pieceStripe()).isNull();
    assertThat(AgentOptions.fromConfig(agent.copy().put("pieceStripe", "3/16")).pieceStripe())
        .isEqualTo(new PieceStripe(3, 16));
    JsonObject config = BtConfig.load(null, Map.of("BOOTTORRENT_AGENT_PIECESTRIPE", "0/4",
        "BOOTTORRENT_AGENT_MAC", "02:00:00:00:00:02"));
    assertThat(AgentOptions.fromConfig(BtConfig.section(config, "agent")).pieceStripe()).isEqualTo(new PieceStripe(0, 4));
    assertThatThrownBy(() -> AgentOptions.fromConfig(agent.copy().put("pieceStripe", "16/16")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("agent.pieceStripe: ");
  }

  @Test
  void theMachinesOwnStripeWinsOverTheOneItsGroupRuleHandsOut() {
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01");
    BootAssignment grouped = BootAssignment.newBuilder().setStripeIndex(2).setStripeCount(8).build();
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromConfig(agent), grouped)).isEqualTo(new PieceStripe(2, 8));
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromConfig(agent.copy().put("pieceStripe", "1/4")), grouped))
        .isEqualTo(new PieceStripe(1, 4));
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromConfig(agent), BootAssignment.getDefaultInstance())).isNull();
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromConfig(agent), null)).isNull();
    // a nonsensical stripe from the catalog is ignored, not fatal
    assertThat(AgentVerticle.stripeFor(AgentOptions.fromConfig(agent),
        BootAssignment.newBuilder().setStripeIndex(9).setStripeCount(8).build())).isNull();
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
    assertThat(options.requestQueueSeconds()).isEqualTo(1);
    assertThat(options.startGate()).isEmpty();
  }

  @Test
  void requestQueueAndStartGateComeFromTheEnvironment() {
    JsonObject config = BtConfig.load(null, Map.of(
        "BOOTTORRENT_AGENT_REQUESTQUEUESECONDS", "5",
        "BOOTTORRENT_AGENT_STARTGATE", "/run/bench/go",
        "BOOTTORRENT_AGENT_MAC", "02:00:00:00:00:02"));
    AgentOptions options = AgentOptions.fromConfig(BtConfig.section(config, "agent"));
    assertThat(options.requestQueueSeconds()).isEqualTo(5);
    assertThat(options.startGate()).isEqualTo("/run/bench/go");
  }

  @Test
  void negativeRequestQueueSecondsIsRefusedWithTheKeyInTheMessage() {
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01")
        .put("requestQueueSeconds", -1);
    assertThatThrownBy(() -> AgentOptions.fromConfig(agent))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("agent.requestQueueSeconds must be >= 0").hasMessageContaining("got -1");
  }

  @Test
  void agentSessionRunsWithTheConfiguredRequestQueueTime() throws Exception {
    // GIVEN the product defaults, on loopback
    JsonObject agent = BtConfig.section(BtConfig.defaults(), "agent").copy().put("mac", "02:00:00:00:00:01")
        .put("listenHost", "127.0.0.1");
    SwarmSession.Options swarm = AgentVerticle.swarmOptions(AgentOptions.fromConfig(agent));
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
}
