package io.boottorrent.dhcp;

import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.boottorrent.core.config.BtConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The DHCP server as a child JVM, started by the root-only tests with {@code ip netns exec} inside a
 * network namespace they created (a JVM cannot move itself into a namespace). Usage: one argument,
 * a JSON config file. Prints {@code READY <port>} once listening and {@code EVENT <stage> <mac> <ip>
 * <arch>} for every boot event; exits when its standard input closes (the test ended or died), so it
 * never outlives the test.
 */
public final class NetnsServerMain {
  private NetnsServerMain() {}

  public static void main(String[] args) throws Exception {
    // The test's file holds what it changes; the embedded defaults hold the rest.
    JsonObject config = BtConfig.merge(BtConfig.defaults(), new JsonObject(Files.readString(Path.of(args[0]))));
    Vertx vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> {
      BootEvent e = m.body();
      System.out.println("EVENT " + e.getStage() + " " + e.getMac() + " " + e.getIp() + " " + e.getArch());
    });
    DhcpVerticle verticle = new DhcpVerticle(Clients.resolved(config), Path.of(config.getString("dataDir")));
    vertx.deployVerticle(verticle)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.out.println("READY " + verticle.actualPort());
    System.out.flush();
    InputStream in = System.in;
    while (in.read() >= 0) {
      // wait for the parent to close our stdin
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.exit(0);
  }
}
