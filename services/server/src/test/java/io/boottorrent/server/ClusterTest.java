package io.boottorrent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ClusterTest {
  private static ClusterOptions node(int port, int first, int second) {
    JsonObject cluster = TestConfig.section("cluster").put("enabled", true).put("port", port)
        .put("clusterName", "test-" + first + "-" + second)
        .put("members", new JsonArray().add("127.0.0.1:" + first).add("127.0.0.1:" + second));
    return ClusterOptions.fromSection(cluster);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void twoNodesOnLoopbackExchangeProtobufMessagesOverTheClusteredBus() {
    int a = Ports.freeTcp();
    int b = Ports.freeTcp();
    Vertx first = ServerVertx.start(node(a, a, b)).await();
    Vertx second = ServerVertx.start(node(b, a, b)).await();
    try {
      // GIVEN a consumer on the second node
      second.eventBus().<BootEvent>consumer("test.echo",
          m -> m.reply(m.body().toBuilder().setMessage("from second").build())).completion().await();
      // WHEN the first node sends a protobuf message THEN it crosses the wire and comes back intact
      BootEvent sent = BootEvent.newBuilder().setMac("02:00:00:00:00:01").setStage(BootStage.DHCP_LEASE).build();
      BootEvent reply = first.eventBus().<BootEvent>request("test.echo", sent).await().body();
      assertThat(reply.getMac()).isEqualTo("02:00:00:00:00:01");
      assertThat(reply.getMessage()).isEqualTo("from second");
      // AND each clustered node counts it in its own Prometheus registry
      assertThat(MetricsEndpointTest.value(Meters.prometheus(first).orElseThrow().scrape(),
          "vertx_eventbus_sent_total{address=\"test.echo\",side=\"remote\"}")).isGreaterThanOrEqualTo(1.0);
      assertThat(MetricsEndpointTest.value(Meters.prometheus(second).orElseThrow().scrape(),
          "vertx_eventbus_received_total{address=\"test.echo\",side=\"remote\"}")).isGreaterThanOrEqualTo(1.0);
    } finally {
      second.close().await();
      first.close().await();
    }
  }

  @Test
  void hazelcastConfigJoinsOverTcpOnlyNeverMulticast() {
    var hz = HazelcastCluster.config(ClusterOptions.fromSection(TestConfig.section("cluster")));
    var join = hz.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
    assertThat(hz.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(hz.getClusterName()).isEqualTo("boottorrent");
    JsonObject k8s = TestConfig.section("cluster").put("kubernetesServiceDns", "bt-hz.bt.svc.cluster.local");
    var kjoin = HazelcastCluster.config(ClusterOptions.fromSection(k8s)).getNetworkConfig().getJoin();
    assertThat(kjoin.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(kjoin.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(kjoin.getMulticastConfig().isEnabled()).isFalse();
  }

  @Test
  void clusterAndHealthSectionsAreReadStrictly() {
    assertThat(HealthOptions.fromSection(TestConfig.section("health"))).isEqualTo(new HealthOptions(8090, "0.0.0.0", 90, 200, 3000));
    assertThatThrownBy(() -> HealthOptions.fromSection(TestConfig.section("health").put("port", -2)))
        .hasMessage("health.port: expected an integer -1..65535, got -2");
    assertThatThrownBy(() -> ClusterOptions.fromSection(TestConfig.section("cluster").put("members", "a,b")))
        .hasMessageStartingWith("cluster.members: expected a list");
    assertThatThrownBy(() -> ClusterOptions.fromSection(TestConfig.section("cluster").put("multicast", true)))
        .hasMessageStartingWith("cluster.multicast: not a config key");
    assertThatThrownBy(() -> ClusterOptions.fromSection(TestConfig.section("cluster").put("secret", "hunter2")))
        .hasMessage("cluster.secret: expected at least 16 characters, got 7");
    assertThatThrownBy(() -> ClusterOptions.fromSection(TestConfig.section("cluster").put("tlsCert", "/etc/bt/member.pem")))
        .hasMessage("cluster.tlsCert, cluster.tlsKey and cluster.tlsCa go together: cluster.tlsCa, cluster.tlsKey not set");
    assertThatThrownBy(() -> ClusterOptions.fromSection(TestConfig.section("cluster").put("eventBusPort", 70000)))
        .hasMessageStartingWith("cluster.eventBusPort: expected");
  }

  @Test
  void theSecretTagsTheClusterNameAndNeverShowsItself() {
    ClusterOptions open = ClusterOptions.fromSection(TestConfig.section("cluster"));
    ClusterOptions closed = ClusterOptions.fromSection(TestConfig.section("cluster").put("secret", "correct horse battery"));
    ClusterOptions other = ClusterOptions.fromSection(TestConfig.section("cluster").put("secret", "correct horse battery!"));
    assertThat(HazelcastCluster.memberClusterName(open)).isEqualTo("boottorrent");
    assertThat(HazelcastCluster.memberClusterName(closed)).matches("boottorrent-[0-9a-f]{32}")
        .isEqualTo(HazelcastCluster.memberClusterName(closed))
        .isNotEqualTo(HazelcastCluster.memberClusterName(other))
        .doesNotContain("horse");
    assertThat(HazelcastCluster.config(closed).getClusterName()).isEqualTo(HazelcastCluster.memberClusterName(closed));
    assertThat(closed.toString()).contains("secret=set").doesNotContain("horse");
  }

  @Test
  void eventBusTlsNeedsReadableFilesAndAsksForTheClientsCertificate(@TempDir Path dir) throws Exception {
    JsonObject section = TestConfig.section("cluster").put("tlsCert", dir.resolve("member.pem").toString())
        .put("tlsKey", dir.resolve("member.key").toString()).put("tlsCa", dir.resolve("ca.pem").toString());
    assertThatThrownBy(() -> HazelcastCluster.eventBusOptions(ClusterOptions.fromSection(section)))
        .hasMessage("cluster.tlsCert: cannot read " + dir.resolve("member.pem"));
    for (String file : List.of("member.pem", "member.key", "ca.pem")) {
      Files.writeString(dir.resolve(file), "(PEM)");
    }
    EventBusOptions bus = HazelcastCluster.eventBusOptions(ClusterOptions.fromSection(section.put("eventBusPort", 4711)));
    assertThat(bus.isSsl()).isTrue();
    assertThat(bus.getClientAuth()).isEqualTo(ClientAuth.REQUIRED);
    assertThat(bus.getPort()).isEqualTo(4711);
    assertThat(HazelcastCluster.eventBusOptions(ClusterOptions.fromSection(TestConfig.section("cluster"))).isSsl()).isFalse();
  }
}
