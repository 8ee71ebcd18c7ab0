package io.boottorrent.agent;

import io.boottorrent.swarm.PieceStripe;
import io.vertx.core.json.JsonObject;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** The agent's settings: the {@code agent} section of the config (see boottorrent-defaults.yaml). */
public record AgentOptions(
    String catalogUrl,
    String mac,
    String nodeId,
    Path workDir,
    String launcher,
    String image,
    boolean interactive,
    int seedSeconds,
    boolean seedUntilAllSeeds,
    int seedUntilSwarmSeeds,
    int webSeedFallbackSeconds,
    long webSeedMinRate,
    String listenHost,
    int listenPort,
    long uploadLimit,
    long downloadLimit,
    long progressIntervalMs,
    boolean lsd,
    int requestQueueSeconds,
    String startGate,
    String qemuAccel,
    PieceStripe pieceStripe) {

  public AgentOptions {
    if (requestQueueSeconds < 0) {
      throw new IllegalArgumentException(
          "agent.requestQueueSeconds must be >= 0 (0 = libtorrent's default), got " + requestQueueSeconds);
    }
    startGate = startGate == null ? "" : startGate.trim();
    qemuAccel = qemuAccel == null || qemuAccel.isBlank() ? "auto" : qemuAccel.trim().toLowerCase(Locale.ROOT);
    if (!List.of("auto", "kvm", "tcg").contains(qemuAccel)) {
      throw new IllegalArgumentException("agent.qemuAccel must be auto, kvm or tcg, got " + qemuAccel);
    }
  }

  /** Whether the qemu launcher uses KVM: {@code auto} asks whether {@code /dev/kvm} exists (a file check: call off the event loop). */
  public boolean qemuUsesKvm() {
    return switch (qemuAccel) {
      case "kvm" -> true;
      case "tcg" -> false;
      default -> Files.exists(Path.of("/dev/kvm"));
    };
  }

  /** When to stop seeding and launch (validated: negative values are refused). */
  public SeedingPolicy seeding() {
    return new SeedingPolicy(seedSeconds, seedUntilAllSeeds, seedUntilSwarmSeeds);
  }

  public static AgentOptions fromConfig(JsonObject agent) {
    String mac = agent.getString("mac", "");
    String catalog = agent.getString("catalogUrl", "http://127.0.0.1:8080");
    return new AgentOptions(
        catalog.endsWith("/") ? catalog.substring(0, catalog.length() - 1) : catalog,
        mac.isBlank() ? firstMac() : normaliseMac(mac),
        agent.getString("nodeId", UUID.randomUUID().toString()),
        Path.of(agent.getString("workDir", "agent-work")).toAbsolutePath().normalize(),
        agent.getString("launcher", "auto"),
        agent.getString("image", ""),
        agent.getBoolean("interactive", true),
        agent.getInteger("seedSeconds", 30),
        agent.getBoolean("seedUntilAllSeeds", true),
        agent.getInteger("seedUntilSwarmSeeds", 0),
        agent.getInteger("webSeedFallbackSeconds", 10),
        agent.getLong("webSeedMinRate", 262_144L),
        agent.getString("listenHost", "0.0.0.0"),
        agent.getInteger("listenPort", 0),
        agent.getLong("uploadLimit", 0L),
        agent.getLong("downloadLimit", 0L),
        agent.getLong("progressIntervalMs", 1000L),
        agent.getBoolean("lsd", false),
        agent.getInteger("requestQueueSeconds", 0),
        agent.getString("startGate", ""),
        agent.getString("qemuAccel", "auto"),
        pieceStripe(agent.getValue("pieceStripe")));
  }

  /** YAML reads {@code off} as false: no stripe. */
  private static PieceStripe pieceStripe(Object value) {
    if (value == null || Boolean.FALSE.equals(value)) {
      return null;
    }
    try {
      return PieceStripe.parse(value.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("agent.pieceStripe: " + e.getMessage(), e);
    }
  }

  /** aa:bb:cc:dd:ee:ff from any of aa:bb:.., AA-BB-.., aabbccddeeff. */
  public static String normaliseMac(String raw) {
    String hex = raw.replaceAll("[^0-9A-Fa-f]", "").toLowerCase(Locale.ROOT);
    if (hex.length() != 12) {
      throw new IllegalArgumentException("not a MAC address: " + raw);
    }
    StringBuilder out = new StringBuilder(17);
    for (int i = 0; i < 12; i += 2) {
      if (i > 0) {
        out.append(':');
      }
      out.append(hex, i, i + 2);
    }
    return out.toString();
  }

  /** The MAC of the first interface that is up, not loopback and has one. */
  static String firstMac() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        byte[] hw = nic.getHardwareAddress();
        if (nic.isUp() && !nic.isLoopback() && hw != null && hw.length == 6) {
          return normaliseMac(HexFormat.of().formatHex(hw));
        }
      }
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list network interfaces: " + e.getMessage(), e);
    }
    throw new IllegalStateException("no network interface with a MAC address; set agent.mac");
  }
}
