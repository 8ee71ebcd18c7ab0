package io.boottorrent.server;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A clustered Vert.x over Hazelcast with a TCP/IP member list (multicast is always off — it would
 * send to the machine's real network). Only {@link ServerVertx#start} with {@code cluster.enabled}
 * loads this class.
 */
public final class HazelcastCluster {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastCluster.class);

  private HazelcastCluster() {}

  /**
   * A clustered Vert.x from {@code builder} (its options and metrics), joined to the members of the
   * {@code cluster} section; no codecs registered yet.
   */
  static Future<Vertx> start(VertxBuilder builder, ClusterOptions cluster) {
    Config config = config(cluster);
    LOG.info("joining cluster {}{} via {}; event bus between members {}", cluster.clusterName(),
        cluster.secret().isEmpty() ? " (no cluster.secret: any process that reaches a member may join)"
            : " (name tagged with cluster.secret)",
        cluster.kubernetesServiceDns().isBlank() ? "TCP members " + config.getNetworkConfig().getJoin().getTcpIpConfig()
            .getMembers() : "the DNS records of " + cluster.kubernetesServiceDns(),
        cluster.tls() ? "over mutual TLS (CA " + cluster.tlsCa() + ")" : "in plain TCP");
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    return builder.withClusterManager(manager).buildClustered();
  }

  /**
   * The cluster name members join with: {@code cluster.clusterName}, and with a {@code cluster.secret}
   * a tag derived from it (HMAC-SHA256 of the name under the secret). Hazelcast's open-source edition
   * has no member authentication; a join request must carry the cluster's name, so a process without
   * the secret cannot name the cluster and is refused. The tag, not the secret, goes over the wire.
   */
  public static String memberClusterName(ClusterOptions cluster) {
    if (cluster.secret().isEmpty()) {
      return cluster.clusterName();
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(cluster.secret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] tag = mac.doFinal(("boottorrent cluster " + cluster.clusterName()).getBytes(StandardCharsets.UTF_8));
      return cluster.clusterName() + "-" + HexFormat.of().formatHex(tag, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /**
   * The event bus between members: its server on {@code cluster.eventBusPort}, and with
   * {@code cluster.tlsCert} mutual TLS — both ends show a certificate from {@code cluster.tlsCa}.
   * A missing or unreadable file fails here, naming its key.
   */
  static EventBusOptions eventBusOptions(ClusterOptions cluster) {
    EventBusOptions bus = new EventBusOptions().setPort(cluster.eventBusPort());
    if (!cluster.tls()) {
      return bus;
    }
    readable("cluster.tlsCert", cluster.tlsCert());
    readable("cluster.tlsKey", cluster.tlsKey());
    readable("cluster.tlsCa", cluster.tlsCa());
    return bus.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cluster.tlsCert()).setKeyPath(cluster.tlsKey()))
        .setTrustOptions(new PemTrustOptions().addCertPath(cluster.tlsCa()))
        .setClientAuth(ClientAuth.REQUIRED);
  }

  private static void readable(String key, String file) {
    if (!Files.isReadable(Path.of(file))) {
      throw new IllegalArgumentException(key + ": cannot read " + file);
    }
  }

  /** Hazelcast config with TCP join on the configured members; never multicast, never auto-detect. */
  public static Config config(ClusterOptions cluster) {
    Config config = new Config();
    config.setClusterName(memberClusterName(cluster));
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
