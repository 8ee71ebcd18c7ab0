package io.boottorrent.testsupport;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ProcessOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Configs for tests, always the embedded defaults with a few keys changed: a test never spells out a
 * default again, so the defaults file stays the one place that holds them.
 */
public final class TestConfig {
  private TestConfig() {}

  /** A copy of the embedded defaults' section {@code name}. */
  public static JsonObject section(String name) {
    JsonObject section = BtConfig.defaults().getJsonObject(name);
    if (section == null) {
      throw new IllegalArgumentException("no section " + name + " in the embedded defaults");
    }
    return section;
  }

  /**
   * The embedded defaults with everything on loopback, free ports, the health endpoint off and
   * {@code dataDir} under {@code dir}: a config tree any service test can deploy with.
   */
  public static JsonObject loopback(Path dir) {
    JsonObject config = BtConfig.defaults();
    config.put("dataDir", dir.toString()).put("publicHost", "127.0.0.1");
    config.getJsonObject("health").put("port", -1);
    config.getJsonObject("catalog").put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1");
    config.getJsonObject("tracker").put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1");
    config.getJsonObject("seeder").put("listenPort", Ports.freeTcp()).put("listenHost", "127.0.0.1");
    config.getJsonObject("telemetry").put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1");
    return config;
  }

  /** {@code dataDir} {@code dir}, everything reached at 127.0.0.1. */
  public static ProcessOptions loopbackProcess(Path dir) {
    return new ProcessOptions(dir, "127.0.0.1");
  }
}
