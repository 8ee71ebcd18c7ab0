package io.boottorrent.server;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The {@code cluster} section: whether this process joins the Hazelcast cluster, and how it finds the
 * other members (a TCP member list, or a Kubernetes headless service's DNS records; never multicast).
 */
public record ClusterOptions(
    boolean enabled,
    @NonBlank String host,
    @Port int port,
    List<String> members,
    @NonBlank String clusterName,
    String kubernetesServiceDns) {
  public ClusterOptions {
    members = List.copyOf(members);
  }

  public static ClusterOptions fromSection(JsonObject json) {
    return ConfigRecords.read("cluster", json, ClusterOptions.class);
  }

  /** The same options with {@code enabled} set (the {@code --cluster} flag). */
  public ClusterOptions withEnabled(boolean on) {
    return new ClusterOptions(on, host, port, members, clusterName, kubernetesServiceDns);
  }
}
