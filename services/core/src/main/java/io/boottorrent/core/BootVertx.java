package io.boottorrent.core;

import io.boottorrent.proto.Codecs;
import io.vertx.core.Vertx;

/**
 * A standalone Vert.x for a BootTorrent process, with the protobuf codecs registered before anything
 * can consume. The agent runs on this; the services' clustered start is {@code ServerVertx}.
 */
public final class BootVertx {
  private BootVertx() {}

  public static Vertx standalone() {
    Vertx vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    return vertx;
  }
}
