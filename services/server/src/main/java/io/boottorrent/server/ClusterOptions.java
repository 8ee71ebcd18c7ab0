package io.boottorrent.server;

import io.boottorrent.core.config.ConfigSection;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The {@code cluster} section: whether this process joins the Hazelcast cluster, and how it finds the
 * other members (a TCP member list, or a Kubernetes headless service's DNS records; never multicast).
 */
public record ClusterOptions(boolean enabled, String host, int port, List<String> members, String clusterName,
    String kubernetesServiceDns) {
  public ClusterOptions {
    members = List.copyOf(members);
  }

  public static ClusterOptions fromSection(JsonObject json) {
    return ConfigSection.read("cluster", json, s -> new ClusterOptions(
        s.bool("enabled"),
        s.nonBlank("host"),
        s.port("port"),
        s.strings("members"),
        s.nonBlank("clusterName"),
        s.string("kubernetesServiceDns")));
  }

  /** The same options with {@code enabled} set (the {@code --cluster} flag). */
  public ClusterOptions withEnabled(boolean on) {
    return new ClusterOptions(on, host, port, members, clusterName, kubernetesServiceDns);
  }
}
