package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.Ipv4;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The config the DHCP server runs with: {@link DhcpServerOptions} (the {@code dhcp} section) with the
 * server address and the boot URLs resolved ({@link DhcpServerOptions#resolve}).
 *
 * @param serverAddress our address as clients see it: server identifier (option 54) and next-server
 * @param poolShare the addresses of every pool this server hands out ({@link PoolShare#WHOLE} alone)
 * @param ipxeScriptUrl the boot file given to iPXE, placeholders already replaced
 * @param httpBootBaseUrl prefix for relative {@code bootFiles} entries given to UEFI HTTP-boot clients
 * @param clientPort where replies to clients go (68; another value only for tests)
 * @param relayPort where replies to relay agents go (67)
 * @param offerLimits how many offers, per MAC, per relay and outstanding per pool ({@link OfferLimiter})
 */
public record DhcpConfig(
    Mode mode, String bindHost, int port, int proxyPort, Ipv4 serverAddress, long leaseSeconds,
    List<Pool> pools, PoolShare poolShare, Map<String, Ipv4> reservations, Map<String, String> bootFiles,
    Map<String, String> hostBootFiles, String ipxeScriptUrl, String httpBootBaseUrl, long offerHoldSeconds,
    long declineHoldSeconds, int clientPort, int relayPort, OfferLimits offerLimits) {

  /** full: hand out addresses; proxy: boot information only, to PXE clients (ports 67 + 4011). */
  public enum Mode { FULL, PROXY }

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
    offerLimits = offerLimits == null ? OfferLimits.NONE : offerLimits;
    poolShare = poolShare == null ? PoolShare.WHOLE : poolShare;
    reservations = Map.copyOf(reservations);
    bootFiles = Map.copyOf(bootFiles);
    hostBootFiles = Map.copyOf(hostBootFiles);
    if (mode == Mode.FULL) {
      require(!pools.isEmpty(), "dhcp.pools: dhcp.mode full needs at least one pool (or use mode proxy beside"
          + " an existing DHCP server)");
      for (Map.Entry<String, Ipv4> r : reservations.entrySet()) {
        require(pools.stream().anyMatch(p -> p.contains(r.getValue())),
            "dhcp.reservations: " + r.getKey() + " -> " + r.getValue() + " is in no pool's subnet");
      }
      if (!poolShare.isWhole()) {
        for (Pool pool : pools) {
          List<Ipv4> excluded = new ArrayList<>(reservations.values());
          excluded.add(serverAddress);
          pool.router().ifPresent(excluded::add);
          excluded.addAll(pool.dns());
          require(poolShare.dynamicSizeOf(pool, excluded) > 0, "dhcp.poolShare: \"" + poolShare + "\" leaves pool "
              + pool + " without an address to hand out (this server's share: the addresses whose value modulo "
              + poolShare.count() + " is " + poolShare.index() + ", not counting its own address, the router, DNS"
              + " servers and reservations); widen the range or use fewer shares");
        }
      }
    }
  }

  /** Whether {@code address} is in {@code pool}'s range but another server's share: not ours to answer for. */
  public boolean inPeersShare(Pool pool, Ipv4 address) {
    return pool.inRange(address) && !poolShare.owns(address);
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

  /** The boot file of one machine ({@code dhcp.hostBootFiles}, by canonical MAC), whatever its architecture. */
  public Optional<String> hostBootFile(String mac) {
    return Optional.ofNullable(hostBootFiles.get(mac));
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
