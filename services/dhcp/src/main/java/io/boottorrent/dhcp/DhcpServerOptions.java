package io.boottorrent.dhcp;

import io.boottorrent.core.MacAddress;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.core.config.ConfigSection;
import io.boottorrent.dhcp.DhcpConfig.Mode;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code dhcp} section of the config, as the operator wrote it (defaults in
 * {@code boottorrent-defaults.yaml}). Named apart from {@link io.boottorrent.dhcp.protocol.DhcpOptions},
 * the options field of a DHCP message. {@link #resolve} turns it into the {@link DhcpConfig} the server
 * runs with, once the process assembly has supplied what comes from elsewhere: the public host (the
 * server address when {@code dhcp.serverAddress} is empty) and the catalog's HTTP port (the iPXE script
 * and HTTP-boot URLs).
 *
 * @param serverAddress our address as clients see it; empty: the process's {@code publicHost}
 * @param poolShare {@code "<index>/<count>"}: this server's share of every pool, when several serve one
 *     segment; empty: the whole pool
 * @param ipxeScriptUrl template with {@code {serverAddress}} and {@code {httpPort}} ({@code ${net0/mac}}
 *     is left to iPXE)
 * @param httpBootBaseUrl template, likewise; prefix of relative boot files for UEFI HTTP boot
 * @param offerLimits {@code offerBurstPerMac}, {@code offerRatePerMacPerMinute}, {@code offerBurstPerRelay},
 *     {@code offerRatePerRelay}
 */
public record DhcpServerOptions(
    Mode mode, String bindHost, int port, int proxyPort, Optional<Ipv4> serverAddress, long leaseSeconds,
    List<Pool> pools, PoolShare poolShare, Map<String, Ipv4> reservations, Map<String, String> bootFiles,
    Map<String, String> hostBootFiles, String ipxeScriptUrl, String httpBootBaseUrl, long offerHoldSeconds,
    long declineHoldSeconds, int clientPort, int relayPort, OfferLimits offerLimits) {

  /** The {@code dhcp.bootFiles} keys, one per client architecture we answer. */
  public static final Set<String> BOOT_FILE_KEYS = Set.of(
      "bios", "efi32", "efi64", "arm32", "arm64", "httpBoot", "httpBootEfi32", "httpBootArm32", "httpBootArm64");

  public DhcpServerOptions {
    pools = List.copyOf(pools);
    reservations = Map.copyOf(reservations);
    bootFiles = Map.copyOf(bootFiles);
    hostBootFiles = Map.copyOf(hostBootFiles);
  }

  /**
   * @throws ConfigException for a missing, unknown or ill-typed key, naming it and the value
   * @throws IllegalArgumentException for a pool whose range lies outside its subnet, and the like
   */
  public static DhcpServerOptions fromSection(JsonObject json) {
    return ConfigSection.read("dhcp", json, s -> new DhcpServerOptions(
        s.enumValue("mode", Mode.class),
        s.nonBlank("bindHost"),
        s.port("port"),
        s.port("proxyPort"),
        optionalIpv4(s, "serverAddress"),
        s.longValue("leaseSeconds", 60, 0xFFFFFFFEL),
        pools(s),
        s.parsed("poolShare", PoolShare::parse).orElse(PoolShare.WHOLE),
        reservations(s),
        bootFiles(s),
        hostBootFiles(s),
        s.nonBlank("ipxeScriptUrl"),
        s.nonBlank("httpBootBaseUrl"),
        s.longValue("offerHoldSeconds", 1, Integer.MAX_VALUE),
        s.longValue("declineHoldSeconds", 1, Integer.MAX_VALUE),
        s.integer("clientPort", 1, 65_535),
        s.integer("relayPort", 1, 65_535),
        new OfferLimits(
            s.integer("offerBurstPerMac", 1, Integer.MAX_VALUE),
            s.integer("offerRatePerMacPerMinute", 1, Integer.MAX_VALUE),
            s.integer("offerBurstPerRelay", 1, Integer.MAX_VALUE),
            s.integer("offerRatePerRelay", 1, Integer.MAX_VALUE))));
  }

  /**
   * The config the server runs with.
   *
   * @param publicHost the server address when {@code dhcp.serverAddress} is empty (an IPv4 literal)
   * @param bootHttpPort the catalog's HTTP port, for {@code {httpPort}} in the URL templates
   * @throws IllegalArgumentException when full mode has no pool, a reservation is in no pool, or the
   *     address is not IPv4
   */
  public DhcpConfig resolve(String publicHost, int bootHttpPort) {
    Ipv4 address = serverAddress.orElseGet(() -> ipv4("dhcp.serverAddress (empty, so publicHost)", publicHost));
    return new DhcpConfig(mode, bindHost, port, proxyPort, address, leaseSeconds, pools, poolShare, reservations,
        bootFiles, hostBootFiles, expand(ipxeScriptUrl, address, bootHttpPort), expand(httpBootBaseUrl, address, bootHttpPort),
        offerHoldSeconds, declineHoldSeconds, clientPort, relayPort, offerLimits);
  }

  private static List<Pool> pools(ConfigSection s) {
    List<Pool> pools = new ArrayList<>();
    int count = s.array("pools").size();
    for (int i = 0; i < count; i++) {
      pools.add(pool(s.item("pools", i)));
    }
    return pools;
  }

  /** One pool: subnet, rangeStart and rangeEnd required; router, dns (a list, or comma-separated) and domain optional. */
  private static Pool pool(ConfigSection p) {
    List<Ipv4> dns = new ArrayList<>();
    if (p.has("dns")) {
      for (String server : dnsServers(p)) {
        dns.add(ipv4(p.keyOf("dns"), server));
      }
    }
    try {
      Pool pool = Pool.of(p.nonBlank("subnet"),
          ipv4(p.keyOf("rangeStart"), p.nonBlank("rangeStart")),
          ipv4(p.keyOf("rangeEnd"), p.nonBlank("rangeEnd")),
          p.has("router") ? optionalIpv4(p, "router") : Optional.empty(),
          dns, p.has("domain") ? p.string("domain") : "");
      p.done();
      return pool;
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(p.name(), e.getMessage());
    }
  }

  /** {@code dns} as a list, or as one comma-separated string (what an environment override gives). */
  private static List<String> dnsServers(ConfigSection p) {
    if (p.isList("dns")) {
      return p.strings("dns");
    }
    List<String> out = new ArrayList<>();
    for (String part : p.string("dns").split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static Map<String, Ipv4> reservations(ConfigSection s) {
    Map<String, Ipv4> out = new LinkedHashMap<>();
    s.textMap("reservations", "an IPv4 address").forEach((key, ip) -> {
      String where = s.keyOf("reservations") + "." + key;
      MacAddress mac = MacAddress.tryParse(key).orElseThrow(() -> new ConfigException(where,
          "not a MAC address (in YAML, quote MACs: unquoted 00:11:22:33:44:55 can read as a base-60 number)"));
      out.put(mac.canonical(), ipv4(where, ip));
    });
    return out;
  }

  /** MAC → boot file (e.g. shimx64.efi for the machines with Secure Boot on: firmware cannot say so). */
  private static Map<String, String> hostBootFiles(ConfigSection s) {
    Map<String, String> out = new LinkedHashMap<>();
    s.textMap("hostBootFiles", "a file name or URL").forEach((key, file) -> {
      MacAddress mac = MacAddress.tryParse(key).orElseThrow(() -> new ConfigException(s.keyOf("hostBootFiles") + "."
          + key, "not a MAC address (in YAML, quote MACs: unquoted 00:11:22:33:44:55 can read as a base-60 number)"));
      if (file.isBlank()) {
        throw new ConfigException(s.keyOf("hostBootFiles") + "." + key, "empty boot file");
      }
      out.put(mac.canonical(), file);
    });
    return out;
  }

  /** Architecture → boot file; an empty value leaves that architecture without one. */
  private static Map<String, String> bootFiles(ConfigSection s) {
    Map<String, String> out = new LinkedHashMap<>();
    s.textMap("bootFiles", "a file name or URL").forEach((key, file) -> {
      if (!BOOT_FILE_KEYS.contains(key)) {
        throw new ConfigException(s.keyOf("bootFiles") + "." + key, "not a client architecture; known: "
            + String.join(", ", new TreeSet<>(BOOT_FILE_KEYS)));
      }
      if (!file.isEmpty()) {
        out.put(key, file);
      }
    });
    return out;
  }

  /** An address, or none for an empty value. */
  private static Optional<Ipv4> optionalIpv4(ConfigSection s, String key) {
    String text = s.string(key);
    return text.isEmpty() ? Optional.empty() : Optional.of(ipv4(s.keyOf(key), text));
  }

  private static Ipv4 ipv4(String key, String text) {
    try {
      return Ipv4.parse(text.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, "expected an IPv4 address, got \"" + text + "\"");
    }
  }

  static String expand(String template, Ipv4 serverAddress, int httpPort) {
    return template.replace("{serverAddress}", serverAddress.toString()).replace("{httpPort}", String.valueOf(httpPort));
  }
}
