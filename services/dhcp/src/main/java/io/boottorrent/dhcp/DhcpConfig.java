package io.boottorrent.dhcp;

import io.boottorrent.common.BtConfig;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code dhcp:} section of the config (see {@code boottorrent-defaults.yaml}), plus the top-level
 * {@code publicHost} (server address when {@code dhcp.serverAddress} is empty) and
 * {@code catalog.httpPort} (the iPXE script and HTTP-boot URLs). Missing keys take the
 * {@code DEFAULT_*} values.
 *
 * @param serverAddress our address as clients see it: server identifier (option 54) and next-server
 * @param ipxeScriptUrl the boot file given to iPXE, placeholders already replaced
 * @param httpBootBaseUrl prefix for relative {@code bootFiles} entries given to UEFI HTTP-boot clients
 * @param clientPort where replies to clients go (68; another value only for tests)
 * @param relayPort where replies to relay agents go (67)
 */
public record DhcpConfig(
    Mode mode, String bindHost, int port, int proxyPort, Ipv4 serverAddress, long leaseSeconds,
    List<Pool> pools, Map<String, Ipv4> reservations, Map<String, String> bootFiles, String ipxeScriptUrl,
    String httpBootBaseUrl, long offerHoldSeconds, long declineHoldSeconds, int clientPort, int relayPort) {

  /** full: hand out addresses; proxy: boot information only, to PXE clients (ports 67 + 4011). */
  public enum Mode { FULL, PROXY }

  public static final String DEFAULT_MODE = "full";
  public static final String DEFAULT_BIND_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 67;
  public static final int DEFAULT_PROXY_PORT = 4011;
  public static final long DEFAULT_LEASE_SECONDS = 3600;
  /** {@code ${net0/mac}} is expanded by iPXE itself; {serverAddress} and {httpPort} by us. */
  public static final String DEFAULT_IPXE_SCRIPT_URL = "http://{serverAddress}:{httpPort}/boot/ipxe?mac=${net0/mac}";
  public static final String DEFAULT_HTTP_BOOT_BASE_URL = "http://{serverAddress}:{httpPort}/boot/";
  public static final long DEFAULT_OFFER_HOLD_SECONDS = 60;
  public static final long DEFAULT_DECLINE_HOLD_SECONDS = 600;
  public static final int DEFAULT_CLIENT_PORT = 68;
  public static final int DEFAULT_RELAY_PORT = 67;
  public static final int DEFAULT_HTTP_PORT = 8080;

  private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

  public DhcpConfig {
    require(port >= 0 && port <= 65535, "dhcp.port must be 0..65535");
    require(proxyPort >= 0 && proxyPort <= 65535, "dhcp.proxyPort must be 0..65535");
    require(clientPort > 0 && clientPort <= 65535, "dhcp.clientPort must be 1..65535");
    require(relayPort > 0 && relayPort <= 65535, "dhcp.relayPort must be 1..65535");
    require(leaseSeconds >= 60 && leaseSeconds <= 0xFFFFFFFEL, "dhcp.leaseSeconds must be 60..4294967294");
    require(offerHoldSeconds >= 1, "dhcp.offerHoldSeconds must be at least 1");
    require(declineHoldSeconds >= 1, "dhcp.declineHoldSeconds must be at least 1");
    require(bindHost != null && !bindHost.isBlank(), "dhcp.bindHost must not be empty");
    require(!serverAddress.isZero(), "dhcp.serverAddress must not be 0.0.0.0");
    pools = List.copyOf(pools);
    reservations = Map.copyOf(reservations);
    bootFiles = Map.copyOf(bootFiles);
    if (mode == Mode.FULL) {
      require(!pools.isEmpty(), "dhcp.mode full needs at least one pool in dhcp.pools");
      for (Map.Entry<String, Ipv4> r : reservations.entrySet()) {
        require(pools.stream().anyMatch(p -> p.contains(r.getValue())),
            "dhcp.reservations: " + r.getKey() + " -> " + r.getValue() + " is in no pool's subnet");
      }
    }
  }

  /** Reads the {@code dhcp} section of a whole process config. */
  public static DhcpConfig fromJson(JsonObject root) {
    JsonObject json = BtConfig.section(root, "dhcp");
    try {
      String modeText = json.getString("mode", DEFAULT_MODE).trim().toLowerCase(Locale.ROOT);
      Mode mode = switch (modeText) {
        case "full" -> Mode.FULL;
        case "proxy" -> Mode.PROXY;
        default -> throw new IllegalArgumentException("dhcp.mode must be full or proxy: " + modeText);
      };
      String server = json.getString("serverAddress", "");
      if (server == null || server.isBlank()) {
        server = BtConfig.publicHost(root);
      }
      Ipv4 serverAddress;
      try {
        serverAddress = Ipv4.parse(server);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("dhcp.serverAddress (or publicHost) must be an IPv4 address: '" + server + "'");
      }
      int httpPort = BtConfig.section(root, "catalog").getInteger("httpPort", DEFAULT_HTTP_PORT);
      List<Pool> pools = new ArrayList<>();
      JsonArray poolArray = json.getJsonArray("pools", new JsonArray());
      for (int i = 0; i < poolArray.size(); i++) {
        pools.add(pool(poolArray.getJsonObject(i), i));
      }
      Map<String, Ipv4> reservations = new LinkedHashMap<>();
      JsonObject res = json.getJsonObject("reservations", new JsonObject());
      for (String mac : res.fieldNames()) {
        reservations.put(normalizeMac(mac), Ipv4.parse(String.valueOf(res.getValue(mac))));
      }
      Map<String, String> bootFiles = new LinkedHashMap<>();
      JsonObject files = json.getJsonObject("bootFiles", new JsonObject());
      for (String key : files.fieldNames()) {
        Object value = files.getValue(key);
        if (value != null && !String.valueOf(value).isBlank()) {
          bootFiles.put(key, String.valueOf(value).trim());
        }
      }
      String ipxe = expand(json.getString("ipxeScriptUrl", DEFAULT_IPXE_SCRIPT_URL), serverAddress, httpPort);
      String httpBase = expand(json.getString("httpBootBaseUrl", DEFAULT_HTTP_BOOT_BASE_URL), serverAddress, httpPort);
      return new DhcpConfig(mode,
          json.getString("bindHost", DEFAULT_BIND_HOST),
          json.getInteger("port", DEFAULT_PORT),
          json.getInteger("proxyPort", DEFAULT_PROXY_PORT),
          serverAddress,
          json.getLong("leaseSeconds", DEFAULT_LEASE_SECONDS),
          pools, reservations, bootFiles, ipxe, httpBase,
          json.getLong("offerHoldSeconds", DEFAULT_OFFER_HOLD_SECONDS),
          json.getLong("declineHoldSeconds", DEFAULT_DECLINE_HOLD_SECONDS),
          json.getInteger("clientPort", DEFAULT_CLIENT_PORT),
          json.getInteger("relayPort", DEFAULT_RELAY_PORT));
    } catch (ClassCastException wrongType) {
      throw new IllegalArgumentException("dhcp section: " + wrongType.getMessage(), wrongType);
    }
  }

  /** The {@code dhcp} section this config reads back from (server address and URLs resolved). */
  public JsonObject toJson() {
    JsonArray poolArray = new JsonArray();
    for (Pool p : pools) {
      JsonObject pool = new JsonObject().put("subnet", p.cidr()).put("rangeStart", p.rangeStart().toString())
          .put("rangeEnd", p.rangeEnd().toString())
          .put("dns", new JsonArray(p.dns().stream().map(Ipv4::toString).toList())).put("domain", p.domain());
      p.router().ifPresent(r -> pool.put("router", r.toString()));
      poolArray.add(pool);
    }
    JsonObject reserved = new JsonObject();
    reservations.forEach((mac, ip) -> reserved.put(mac, ip.toString()));
    JsonObject files = new JsonObject();
    bootFiles.forEach(files::put);
    return new JsonObject()
        .put("mode", mode.name().toLowerCase(Locale.ROOT))
        .put("bindHost", bindHost)
        .put("port", port)
        .put("proxyPort", proxyPort)
        .put("serverAddress", serverAddress.toString())
        .put("leaseSeconds", leaseSeconds)
        .put("pools", poolArray)
        .put("reservations", reserved)
        .put("bootFiles", files)
        .put("ipxeScriptUrl", ipxeScriptUrl)
        .put("httpBootBaseUrl", httpBootBaseUrl)
        .put("offerHoldSeconds", offerHoldSeconds)
        .put("declineHoldSeconds", declineHoldSeconds)
        .put("clientPort", clientPort)
        .put("relayPort", relayPort);
  }

  private static Pool pool(JsonObject json, int index) {
    String where = "dhcp.pools[" + index + "]";
    if (json == null) {
      throw new IllegalArgumentException(where + " must be a mapping");
    }
    try {
      List<Ipv4> dns = new ArrayList<>();
      Object dnsValue = json.getValue("dns");
      if (dnsValue instanceof JsonArray array) {
        for (Object o : array) {
          dns.add(Ipv4.parse(String.valueOf(o)));
        }
      } else if (dnsValue != null && !String.valueOf(dnsValue).isBlank()) {
        for (String part : String.valueOf(dnsValue).split(",")) {
          dns.add(Ipv4.parse(part));
        }
      }
      String router = json.getString("router", "");
      return Pool.of(json.getString("subnet"),
          Ipv4.parse(json.getString("rangeStart")),
          Ipv4.parse(json.getString("rangeEnd")),
          router == null || router.isBlank() ? Optional.empty() : Optional.of(Ipv4.parse(router)),
          dns, json.getString("domain", ""));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** "AA-BB-CC-DD-EE-FF" or "aa:bb:cc:dd:ee:ff" → "aa:bb:cc:dd:ee:ff". */
  public static String normalizeMac(String mac) {
    String normalized = mac.trim().toLowerCase(Locale.ROOT).replace('-', ':');
    if (!MAC.matcher(normalized).matches()) {
      throw new IllegalArgumentException("not a MAC address: '" + mac
          + "' (in YAML, quote MACs: unquoted 00:11:22:33:44:55 can read as a base-60 number)");
    }
    return normalized;
  }

  static String expand(String template, Ipv4 serverAddress, int httpPort) {
    return template.replace("{serverAddress}", serverAddress.toString()).replace("{httpPort}", String.valueOf(httpPort));
  }

  /** The pool for clients that are not relayed: the one whose subnet holds our address, else the first. */
  public Optional<Pool> directPool() {
    return pools.stream().filter(p -> p.contains(serverAddress)).findFirst().or(() -> pools.stream().findFirst());
  }

  /** The pool whose subnet holds {@code address}. */
  public Optional<Pool> poolContaining(Ipv4 address) {
    return pools.stream().filter(p -> p.contains(address)).findFirst();
  }

  /** The {@code bootFiles} key for a client architecture. */
  public static String bootFileKey(ClientArch arch) {
    return switch (arch.shortName()) {
      case "http" -> "httpBoot";
      case "http-arm64" -> "httpBootArm64";
      case "http-arm32" -> "httpBootArm32";
      case "http-efi32" -> "httpBootEfi32";
      default -> arch.shortName();
    };
  }

  public Optional<String> bootFile(ClientArch arch) {
    return Optional.ofNullable(bootFiles.get(bootFileKey(arch)));
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
