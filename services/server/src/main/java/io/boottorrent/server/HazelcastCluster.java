package io.boottorrent.server;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;

/**
 * A clustered Vert.x over Hazelcast with a TCP/IP member list (multicast is always off — it would
 * send to the machine's real network). Only {@link ServerVertx#start} with {@code cluster.enabled}
 * loads this class.
 */
public final class HazelcastCluster {
  private HazelcastCluster() {}

  /**
   * A clustered Vert.x from {@code builder} (its options and metrics), joined to the members of the
   * {@code cluster} section; no codecs registered yet.
   */
  static Future<Vertx> start(VertxBuilder builder, ClusterOptions cluster) {
    HazelcastClusterManager manager = new HazelcastClusterManager(config(cluster));
    return builder.withClusterManager(manager).buildClustered();
  }

  /** Hazelcast config with TCP join on the configured members; never multicast, never auto-detect. */
  public static Config config(ClusterOptions cluster) {
    Config config = new Config();
    config.setClusterName(cluster.clusterName());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Members are listed explicitly, so the default 5 s wait for more to show up only slows start-up.
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    NetworkConfig network = config.getNetworkConfig();
    String host = cluster.host();
    network.setPort(cluster.port()).setPortAutoIncrement(true);
    network.getInterfaces().setEnabled(true).addInterface(host);
    network.setPublicAddress(null);
    config.setProperty("hazelcast.local.localAddress", host);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    String serviceDns = cluster.kubernetesServiceDns();
    if (!serviceDns.isBlank()) {
      // Kubernetes: members found through the headless service's DNS records (no API access needed).
      join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", serviceDns);
    } else {
      List<String> members = cluster.members();
      join.getTcpIpConfig().setEnabled(true).setMembers(members.isEmpty() ? List.of(host) : members);
    }
    // The same structures Vert.x's default-cluster.xml declares (subscriptions as a SET multimap).
    config.getMultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(com.hazelcast.config.MultiMapConfig.ValueCollectionType.SET);
    config.getMapConfig("__vertx.haInfo").setBackupCount(1);
    config.getMapConfig("__vertx.nodeInfo").setBackupCount(1);
    return config;
  }
}
