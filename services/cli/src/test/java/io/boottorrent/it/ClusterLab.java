package io.boottorrent.it;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.ServerVertx;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hazelcast cluster of service processes on loopback, each {@code boottorrent serve --services X
 * --cluster} in its own JVM with its own config file and data dir, all members listed by TCP
 * (never multicast). Members are named up front so that every config lists every member's port;
 * {@link #join} makes the test JVM a member too, to use the clustered event bus as any service does.
 */
final class ClusterLab implements AutoCloseable {
  final Path dir;
  /** Where each member's output goes ({@code <name>.log}): kept after the test, for a failure's story. */
  final Path logs;
  final String clusterName;
  /** Settings every member shares (service ports, trackers, ...), merged under each member's own. */
  final JsonObject shared = new JsonObject();
  private final Map<String, Integer> hazelcastPorts = new LinkedHashMap<>();
  private final List<Proc.Running> processes = new ArrayList<>();
  /** The latest process of each member name. */
  private final Map<String, Proc.Running> latest = new LinkedHashMap<>();
  private final List<Vertx> joined = new ArrayList<>();

  ClusterLab(Path dir, Path logs, List<String> members) throws IOException {
    this.dir = dir;
    this.logs = Files.createDirectories(logs);
    members.forEach(name -> hazelcastPorts.put(name, Ports.freeTcp()));
    this.clusterName = "lab-" + hazelcastPorts.values().iterator().next();
  }

  /** The cluster section of member {@code name}: its own port, every member's port in the list. */
  JsonObject clusterSection(String name) {
    Integer port = hazelcastPorts.get(name);
    if (port == null) {
      throw new IllegalArgumentException("no member " + name + " in " + hazelcastPorts.keySet());
    }
    JsonArray members = new JsonArray();
    hazelcastPorts.values().forEach(p -> members.add("127.0.0.1:" + p));
    return new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", port)
        .put("members", members).put("clusterName", clusterName);
  }

  /**
   * Writes member {@code name}'s config file: the shared settings, then {@code own}, then its
   * cluster section, data dir {@code <dir>/<name>}, health endpoint off.
   */
  Path config(String name, JsonObject own) throws IOException {
    JsonObject config = BtConfig.merge(shared, own);
    config.put("dataDir", dir.resolve(name).toString()).put("publicHost", "127.0.0.1")
        .put("health", new JsonObject().put("port", -1))
        .put("cluster", clusterSection(name).mergeIn(config.getJsonObject("cluster", new JsonObject())));
    // JSON is YAML: the file is read as any operator's --config file is
    return Files.writeString(dir.resolve(name + ".yaml"), config.encodePrettily());
  }

  /** Starts {@code boottorrent serve --cluster --services <services>} as member {@code name}. */
  Proc.Running serve(String name, String services, JsonObject own) throws IOException {
    return start(name, own, "serve", "--cluster", "--services", services);
  }

  /** Starts {@code boottorrent <args> --config <name's config>} as member {@code name}. */
  Proc.Running start(String name, JsonObject own, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(args));
    command.addAll(List.of("--config", config(name, own).toString()));
    Proc.Running running = Proc.java("io.boottorrent.cli.Main", command.toArray(String[]::new)).name(name)
        .log(logs.resolve(latest.containsKey(name) ? name + "-again.log" : name + ".log")).start();
    processes.add(running);
    latest.put(name, running);
    return running;
  }

  /** The process last started as member {@code name}. */
  Proc.Running member(String name) {
    Proc.Running running = latest.get(name);
    if (running == null) {
      throw new IllegalArgumentException("member " + name + " was never started; started: " + latest.keySet());
    }
    return running;
  }

  /** Waits until {@code member} has deployed its services. */
  static void awaitRunning(Proc.Running member) throws InterruptedException {
    member.await("BootTorrent running", Duration.ofSeconds(120), "error:", "Exception in thread \"main\"");
  }

  /** A clustered Vert.x in this JVM as member {@code name}, codecs registered, as a service process has it. */
  Vertx join(String name) {
    return join(name, new JsonObject());
  }

  /** {@link #join(String)} with more cluster settings ({@code secret}, {@code tls*}). */
  Vertx join(String name, JsonObject cluster) {
    Vertx vertx = ServerVertx.start(ClusterOptions.fromSection(
        BtConfig.defaults().getJsonObject("cluster").mergeIn(clusterSection(name)).mergeIn(cluster))).await();
    joined.add(vertx);
    return vertx;
  }

  @Override
  public void close() {
    joined.forEach(vertx -> vertx.close().await());
    // in parallel: each member may take its grace period to leave the cluster
    processes.parallelStream().forEach(Proc.Running::close);
  }
}
