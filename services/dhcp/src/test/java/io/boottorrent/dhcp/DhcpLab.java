package io.boottorrent.dhcp;

import io.boottorrent.testsupport.NetnsLab;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.Proc.Match;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The DHCP tests' boot network, on the shared {@link NetnsLab}: a server namespace and a client
 * namespace joined by a veth pair ({@value #DEV} on both sides), the server end with an address (and
 * the route for limited broadcasts, since our server binds 0.0.0.0), the client end with a MAC and no
 * address; our server as a child JVM in the server namespace ({@link NetnsServerMain}).
 */
final class DhcpLab implements AutoCloseable {
  static final String DEV = "veth0";

  final NetnsLab lab;
  final NetnsLab.Ns server;
  final NetnsLab.Ns client;

  /** Skips (or, with BOOTTORRENT_E2E=required, fails) unless root; {@code serverCidr} e.g. 10.213.77.1/24. */
  DhcpLab(String serverCidr, String clientMac) throws IOException, InterruptedException {
    NetnsLab.require("DHCP with real clients needs network namespaces and port 67");
    lab = NetnsLab.create("btdhcp");
    try {
      server = lab.namespace("server");
      client = lab.namespace("client");
      lab.veth(server, DEV, client, DEV);
      client.mac(DEV, clientMac);
      server.address(DEV, serverCidr);
      server.broadcastRoute(DEV);
    } catch (IOException | InterruptedException | RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  /**
   * Starts our server with {@code config} (what the test changes; the embedded defaults hold the
   * rest) and waits until it listens. It exits when its standard input closes, so it never outlives
   * the test.
   */
  Proc.Running startServer(JsonObject config, Path dir) throws IOException, InterruptedException {
    return awaitReady(launchServer(server, "dhcp-server", config, dir));
  }

  /**
   * Starts our server ({@link NetnsServerMain}) in {@code ns} with {@code config} ({@code <dir>/<name>.json},
   * log {@code <dir>/<name>.log}) without waiting: several servers start side by side, then
   * {@link #awaitReady} each.
   */
  static Proc.Running launchServer(NetnsLab.Ns ns, String name, JsonObject config, Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve(name + ".json"), config.encodePrettily());
    return ns.java(NetnsServerMain.class.getName(), file.toString()).name(name)
        .log(dir.resolve(name + ".log")).input(Proc.Input.PIPE).start();
  }

  /** Waits until a server of {@link #launchServer} listens. */
  static Proc.Running awaitReady(Proc.Running server) throws InterruptedException {
    server.await(Match.prefix("READY"), Duration.ofSeconds(60));
    return server;
  }

  @Override
  public void close() {
    lab.close();
  }
}
