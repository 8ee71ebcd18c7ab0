package io.boottorrent.server;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The {@code cluster} section: whether this process joins the Hazelcast cluster, how it finds the
 * other members (a TCP member list, or a Kubernetes headless service's DNS records; never multicast),
 * and how members keep strangers out: a shared {@code secret} (no member joins without it) and, for
 * the event bus between members, mutual TLS against one CA ({@code tlsCert}, {@code tlsKey},
 * {@code tlsCa}: PEM files, all three or none).
 */
public record ClusterOptions(
    boolean enabled,
    @NonBlank String host,
    @Port int port,
    List<String> members,
    @NonBlank String clusterName,
    String kubernetesServiceDns,
    String secret,
    @Port int eventBusPort,
    String tlsCert,
    String tlsKey,
    String tlsCa) {
  /** Shorter secrets are refused: the secret is the only thing that keeps strangers out of the cluster. */
  public static final int MIN_SECRET_LENGTH = 16;

  public ClusterOptions {
    members = List.copyOf(members);
    if (!secret.isEmpty() && secret.length() < MIN_SECRET_LENGTH) {
      // never the secret itself in a message: it would end up in logs
      throw new IllegalArgumentException("cluster.secret: expected at least " + MIN_SECRET_LENGTH
          + " characters, got " + secret.length());
    }
    Map<String, String> tls = Map.of("tlsCert", tlsCert, "tlsKey", tlsKey, "tlsCa", tlsCa);
    if (tls.values().stream().anyMatch(v -> !v.isBlank()) && tls.values().stream().anyMatch(String::isBlank)) {
      String missing = tls.entrySet().stream().filter(e -> e.getValue().isBlank()).map(e -> "cluster." + e.getKey())
          .sorted().reduce((a, b) -> a + ", " + b).orElseThrow();
      throw new IllegalArgumentException("cluster.tlsCert, cluster.tlsKey and cluster.tlsCa go together: "
          + missing + " not set");
    }
  }

  public static ClusterOptions fromSection(JsonObject json) {
    return ConfigRecords.read("cluster", json, ClusterOptions.class);
  }

  /** Whether the event bus between members runs over mutual TLS. */
  public boolean tls() {
    return !tlsCert.isBlank();
  }

  /** The same options with {@code enabled} set (the {@code --cluster} flag). */
  public ClusterOptions withEnabled(boolean on) {
    return new ClusterOptions(on, host, port, members, clusterName, kubernetesServiceDns, secret, eventBusPort,
        tlsCert, tlsKey, tlsCa);
  }

  @Override
  public String toString() {
    // a record's toString would print the secret
    return "ClusterOptions[enabled=" + enabled + ", host=" + host + ", port=" + port + ", members=" + members
        + ", clusterName=" + clusterName + ", kubernetesServiceDns=" + kubernetesServiceDns + ", secret="
        + (secret.isEmpty() ? "none" : "set") + ", eventBusPort=" + eventBusPort + ", tls=" + tls() + "]";
  }
}
