package io.boottorrent.common;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/** Shared by the tests of every module (boottorrent-common test-jar). */
public final class TestSupport {
  private TestSupport() {}

  /** A TCP port free on 127.0.0.1 right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The embedded defaults with everything on loopback, free ports, the health endpoint off and
   * {@code dataDir} under {@code dir}: a config any service test can deploy with.
   */
  public static JsonObject loopbackConfig(Path dir) {
    JsonObject config = BtConfig.defaults();
    config.put("dataDir", dir.toString()).put("publicHost", "127.0.0.1");
    config.getJsonObject("health").put("port", -1);
    config.getJsonObject("catalog").put("httpPort", freePort()).put("host", "127.0.0.1");
    config.getJsonObject("tracker").put("httpPort", freePort()).put("host", "127.0.0.1");
    config.getJsonObject("seeder").put("listenPort", freePort()).put("listenHost", "127.0.0.1");
    return config;
  }
}
