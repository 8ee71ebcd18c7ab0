package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members that find each other as they do in Kubernetes: by the DNS records of a headless service
 * ({@code cluster.kubernetesServiceDns}), with no member list. Each member runs in a network namespace
 * of its own, as a pod has, on one bridge (10.214.0.0/24), all on Hazelcast's port 5701. The service's
 * "DNS records" are the namespaces' hosts file ({@code ip netns exec} mounts
 * {@code /etc/netns/<ns>/hosts} over {@code /etc/hosts}), which the JDK's resolver reads as a pod's
 * resolver reads CoreDNS's answer: one A record per member.
 */
class KubernetesDnsDiscoveryTest {
  private static final String SERVICE = "boottorrent-cluster.boottorrent.svc.cluster.local";
  private static final String MAC = "52:54:00:00:00:53";
  private static final List<String> MEMBERS = List.of("catalog", "telemetry", "subscriber");

  @TempDir Path dir;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void membersWithOnlyTheServiceNameFindEachOtherAndShareOneEventBus() throws Exception {
    NetnsLab.require("puts each member in a network namespace of its own, like a pod");
    Gate.requireCommand("curl", "curl");
    List<Path> hostsDirs = new ArrayList<>();
    try (NetnsLab lab = NetnsLab.create("btdns")) {
      // GIVEN a bridge, and a namespace per member on it whose hosts file lists every member's address
      Ns hub = lab.namespace("hub");
      hub.bridge("br0", "10.214.0.1/24");
      StringBuilder records = new StringBuilder("127.0.0.1 localhost\n");
      List<Ns> pods = new ArrayList<>();
      for (int i = 0; i < MEMBERS.size(); i++) {
        Ns pod = lab.namespace(MEMBERS.get(i));
        lab.veth(hub, "v" + i, pod, "eth0");
        hub.attach("v" + i, "br0");
        pod.address("eth0", ip(i) + "/24");
        records.append(ip(i)).append(" ").append(SERVICE).append('\n');
        pods.add(pod);
      }
      for (Ns pod : pods) {
        Path etc = Path.of("/etc/netns", pod.name());
        hostsDirs.add(etc);
        Files.createDirectories(etc);
        Files.writeString(etc.resolve("hosts"), records);
      }
      // WHEN the catalog, telemetry and a subscriber start, each told only the service's name
      Proc.Running catalog = serve(pods.get(0), "serve", "--cluster", "--services", "catalog");
      Proc.Running telemetry = serve(pods.get(1), "serve", "--cluster", "--services", "telemetry");
      Proc.Running subscriber = serve(pods.get(2), "events", "tail", "--cluster", "--count", "1");
      ClusterLab.awaitRunning(catalog);
      ClusterLab.awaitRunning(telemetry);
      subscriber.await("subscribed to boot.event", Duration.ofSeconds(120), "error:");
      // AND an agent reports an event to the catalog
      String posted = hub.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
          "Content-Type: application/json", "-d", "{\"mac\":\"" + MAC + "\",\"stage\":\"FAILED\",\"message\":\"dns\"}",
          "http://" + ip(0) + ":8080/api/v1/events");
      assertThat(posted.strip()).isEqualTo("202");
      // THEN the subscriber, in its own namespace, got it over the one event bus
      Proc.Result done = subscriber.finish(Duration.ofSeconds(60));
      assertThat(done.output()).as(done.output()).contains(MAC + "  FAILED");
      // AND so did telemetry
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String machine = "";
      while (!machine.contains("\"failed\" : true") && !machine.contains("\"failed\":true") && System.nanoTime() < deadline) {
        Thread.sleep(300);
        machine = hub.exec(Duration.ofSeconds(10), "curl", "-sS", "http://" + ip(1) + ":8081/api/v1/machines/" + MAC).output();
      }
      assertThat(machine).as("telemetry's view of " + MAC).containsPattern("\"failed\" ?: ?true");
    } finally {
      for (Path etc : hostsDirs) {
        deleteRecursively(etc);
      }
    }
  }

  private static String ip(int member) {
    return "10.214.0." + (11 + member);
  }

  /** Starts {@code boottorrent <args>} in {@code pod} with that pod's config: its own address, the service name. */
  private Proc.Running serve(Ns pod, String... args) throws IOException {
    String name = pod.name().substring(pod.name().lastIndexOf('-') + 1);
    String ip = ip(MEMBERS.indexOf(name));
    JsonObject config = new JsonObject()
        .put("dataDir", dir.resolve(name).toString()).put("publicHost", ip)
        .put("health", new JsonObject().put("port", -1))
        .put("cluster", new JsonObject().put("enabled", true).put("host", ip).put("port", 5701)
            .put("clusterName", "dns-test").put("kubernetesServiceDns", SERVICE))
        .put("catalog", new JsonObject().put("host", ip).put("httpPort", 8080))
        .put("telemetry", new JsonObject().put("host", ip).put("httpPort", 8081));
    Path file = Files.writeString(dir.resolve(name + ".yaml"), config.encodePrettily());
    List<String> command = new ArrayList<>(List.of(args));
    command.addAll(List.of("--config", file.toString()));
    return pod.java("io.boottorrent.cli.Main", command.toArray(String[]::new)).name(name)
        .log(Files.createDirectories(Path.of("target", "cluster-lab", "dns")).resolve(name + ".log")).start();
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
