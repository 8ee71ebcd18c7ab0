package io.boottorrent.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ClusterTest {
  private static JsonObject node(int port, int other) {
    JsonObject config = BtConfig.defaults();
    config.getJsonObject("cluster").put("enabled", true).put("port", port)
        .put("clusterName", "test-" + other + "-" + port)
        .put("members", new JsonArray().add("127.0.0.1:" + port).add("127.0.0.1:" + other));
    return config;
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void twoNodesOnLoopbackExchangeProtobufMessagesOverTheClusteredBus() {
    int a = TestSupport.freePort();
    int b = TestSupport.freePort();
    JsonObject configA = node(a, b);
    JsonObject configB = node(b, a).put("cluster", configA.getJsonObject("cluster").copy().put("port", b));
    Vertx first = Runtime.start(configA).await();
    Vertx second = Runtime.start(configB).await();
    try {
      // GIVEN a consumer on the second node
      second.eventBus().<BootEvent>consumer("test.echo",
          m -> m.reply(m.body().toBuilder().setMessage("from second").build())).completion().await();
      // WHEN the first node sends a protobuf message THEN it crosses the wire and comes back intact
      BootEvent sent = BootEvent.newBuilder().setMac("02:00:00:00:00:01").setStage(BootStage.DHCP_LEASE).build();
      BootEvent reply = first.eventBus().<BootEvent>request("test.echo", sent).await().body();
      assertThat(reply.getMac()).isEqualTo("02:00:00:00:00:01");
      assertThat(reply.getMessage()).isEqualTo("from second");
    } finally {
      second.close().await();
      first.close().await();
    }
  }
}
