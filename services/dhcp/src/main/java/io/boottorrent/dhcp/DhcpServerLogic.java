package io.boottorrent.dhcp;

import io.boottorrent.dhcp.BootChoice.Kind;
import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.DhcpOptions;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.dhcp.protocol.OptionCode;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DHCP server as a function (in the style of dhcp4j's {@code getReplyFor}): a decoded request in,
 * the reply and its destination out, the lease store updated. No I/O, no Vert.x: the verticle decodes,
 * calls {@link #replyFor}, journals the store's changes, then encodes and sends.
 *
 * <p>Full mode (RFC 2131 §4.3): DISCOVER → OFFER; REQUEST in the SELECTING, INIT-REBOOT, RENEWING
 * and REBINDING states → ACK or NAK; DECLINE marks the address bad for {@code declineHoldSeconds};
 * RELEASE frees it; INFORM → ACK without an address. Clients relayed by an agent get the pool whose
 * subnet holds {@code giaddr}; others the pool of our own subnet ({@link DhcpConfig#directPool}).
 *
 * <p>Several servers on one segment ({@code dhcp.poolShare} "i/n"): each hands out only its share of
 * every range ({@link PoolShare}), answers a SELECTING REQUEST only when it names this server, and
 * stays silent to an INIT-REBOOT/RENEWING/REBINDING client whose address is in another server's share.
 * Reservations are answered by every server: the same address for the same MAC.
 *
 * <p>PXE: clients with vendor class "PXEClient" get next-server/file (+ options 66/67, 60 and 43
 * "no boot server discovery, use the boot file"); "HTTPClient" or an HTTP-boot architecture get a
 * URL; iPXE (user class "iPXE" or option 175) gets the boot script URL instead of iPXE again.
 *
 * <p>Proxy mode (PXE spec 2.1, RFC 4578): only PXE clients, never an address: an OFFER without yiaddr
 * on port 67, an ACK with the boot file to the REQUEST on port 4011.
 */
public final class DhcpServerLogic {
  /** Which of our sockets the request came in on. */
  public enum Port { DHCP, PXE }

  private static final Logger LOG = LoggerFactory.getLogger(DhcpServerLogic.class);
  private static final Pattern VENDOR_ARCH = Pattern.compile("Arch:(\\d{5})");
  /** PXE discovery control (sub-option 6) bit 3: no boot server discovery, use the boot file given. */
  private static final byte[] PXE_USE_BOOTFILE = {6, 1, 8, (byte) 255};

  private DhcpServerLogic() {}

  /** A request received on the DHCP port. */
  public static Optional<DhcpReply> replyFor(ServerContext ctx, DhcpMessage request, InetSocketAddress from) {
    return replyFor(ctx, request, from, Port.DHCP);
  }

  public static Optional<DhcpReply> replyFor(ServerContext ctx, DhcpMessage request, InetSocketAddress from,
      Port port) {
    // Leases are keyed by MAC: Ethernet clients only (hlen 0 clients such as IPoIB are not served).
    if (request.op() != DhcpMessage.BOOTREQUEST || request.htype() != DhcpMessage.HTYPE_ETHERNET
        || request.hlen() != 6 || request.messageType().isEmpty()) {
      return Optional.empty();
    }
    if (ctx.config().mode() == DhcpConfig.Mode.PROXY) {
      return proxy(ctx, request, from, port);
    }
    if (port != Port.DHCP) {
      return Optional.empty();
    }
    return switch (request.messageType().get()) {
      case DISCOVER -> discover(ctx, request);
      case REQUEST -> request(ctx, request);
      case DECLINE -> decline(ctx, request);
      case RELEASE -> release(ctx, request);
      case INFORM -> inform(ctx, request, from);
      default -> Optional.empty(); // OFFER/ACK/NAK are server messages
    };
  }

  // ------------------------------------------------------------------ full mode

  private static Optional<DhcpReply> discover(ServerContext ctx, DhcpMessage request) {
    Optional<Pool> pool = poolFor(ctx, request);
    if (pool.isEmpty()) {
      LOG.debug("DISCOVER from {} via {}: no pool for that network", request.mac(), request.giaddr());
      return Optional.empty();
    }
    String mac = request.mac();
    long now = ctx.nowMs();
    // A client the server knows (an address it holds, a reservation) takes no new address: only the
    // MAC's own bucket applies to it, so it is answered during a flood of new MACs from its relay.
    boolean known = ctx.config().reservations().containsKey(mac)
        || ctx.leases().leaseOf(mac).filter(l -> l.holds(now) && l.state() != State.DECLINED).isPresent();
    Optional<OfferLimiter.Limit> limited = ctx.offerLimiter().tryOffer(mac, request.giaddr(), !known, now);
    if (limited.isPresent()) {
      LOG.debug("DISCOVER from {} via {} not answered: over the offer rate per {}", mac, request.giaddr(),
          limited.get() == OfferLimiter.Limit.MAC ? "MAC (dhcp.offerRatePerMacPerMinute)" : "relay (dhcp.offerRatePerRelay)");
      return Optional.empty();
    }
    Optional<Ipv4> address = chooseAddress(ctx, pool.get(), request);
    if (address.isEmpty()) {
      LOG.warn("DISCOVER from {}: pool {} has no free address", mac, pool.get());
      return Optional.empty();
    }
    ctx.leases().offer(mac, address.get(), now + ctx.config().offerHoldSeconds() * 1000, now);
    return Optional.of(addressReply(ctx, request, MessageType.OFFER, pool.get(), address.get()));
  }

  private static Optional<DhcpReply> request(ServerContext ctx, DhcpMessage request) {
    DhcpOptions options = request.options();
    String mac = request.mac();
    Optional<Ipv4> serverId = options.serverId();
    Optional<Ipv4> requested = options.requestedIp();
    if (serverId.isPresent()) {
      // SELECTING (RFC 2131 §4.3.2): the client answers one server's offer.
      if (!serverId.get().equals(ctx.config().serverAddress())) {
        // It took another server's offer: ours is free again, and so is an address it had from us
        // before (a client has one address; with several servers it may move to another's share).
        ctx.leases().leaseOf(mac)
            .filter(l -> l.state() == State.OFFERED || l.state() == State.BOUND)
            .ifPresent(l -> ctx.leases().release(mac, l.ip(), ctx.nowMs()));
        return Optional.empty();
      }
      Ipv4 address = requested.orElse(request.ciaddr());
      if (address.isZero()) {
        return Optional.empty();
      }
      Optional<Pool> pool = poolFor(ctx, request);
      return Optional.of(pool.isPresent() && pool.get().contains(address)
          ? ackOrNak(ctx, request, pool.get(), address)
          : nak(ctx, request, "requested address is not on this network"));
    }
    if (requested.isPresent() && request.ciaddr().isZero()) {
      // INIT-REBOOT: a client verifying the address it remembers.
      Optional<Pool> pool = poolFor(ctx, request);
      if (pool.isEmpty()) {
        return Optional.empty();
      }
      if (!pool.get().contains(requested.get())) {
        return Optional.of(nak(ctx, request, "requested address is not on this network"));
      }
      if (peersAddress(ctx, pool.get(), requested.get(), mac)) {
        return Optional.empty();
      }
      return Optional.of(ackOrNak(ctx, request, pool.get(), requested.get()));
    }
    if (!request.ciaddr().isZero()) {
      // RENEWING (unicast to us) or REBINDING (broadcast): extend the address the client uses.
      Optional<Pool> pool = ctx.config().poolContaining(request.ciaddr());
      if (pool.isEmpty()) {
        return Optional.empty(); // not one of our networks: another server's client
      }
      if (peersAddress(ctx, pool.get(), request.ciaddr(), mac)) {
        return Optional.empty();
      }
      return Optional.of(ackOrNak(ctx, request, pool.get(), request.ciaddr()));
    }
    return Optional.empty();
  }

  private static DhcpReply ackOrNak(ServerContext ctx, DhcpMessage request, Pool pool, Ipv4 address) {
    String mac = request.mac();
    long now = ctx.nowMs();
    Optional<Lease> current = ctx.leases().leaseOf(mac)
        .filter(l -> l.holds(now) && (l.state() == State.OFFERED || l.state() == State.BOUND));
    if (current.isPresent() && !current.get().ip().equals(address)) {
      return nak(ctx, request, "requested address is not the one this server gave the client");
    }
    if (!assignable(ctx, pool, address, mac)) {
      return nak(ctx, request, "requested address is not available");
    }
    ctx.leases().bind(mac, address, now + ctx.config().leaseSeconds() * 1000, now);
    return addressReply(ctx, request, MessageType.ACK, pool, address);
  }

  private static Optional<DhcpReply> decline(ServerContext ctx, DhcpMessage request) {
    String mac = request.mac();
    Optional<Ipv4> serverId = request.options().serverId();
    Optional<Ipv4> address = request.options().requestedIp();
    if ((serverId.isPresent() && !serverId.get().equals(ctx.config().serverAddress())) || address.isEmpty()) {
      return Optional.empty();
    }
    // Only the address we gave this client: nobody can block addresses that are not theirs.
    Optional<Lease> lease = ctx.leases().leaseOf(mac).filter(l -> l.ip().equals(address.get()))
        .filter(l -> l.state() == State.OFFERED || l.state() == State.BOUND);
    if (lease.isPresent()) {
      LOG.warn("{} declined {}: address in use by an unknown host; not offered for {} s", mac, address.get(),
          ctx.config().declineHoldSeconds());
      ctx.leases().decline(mac, address.get(), ctx.nowMs() + ctx.config().declineHoldSeconds() * 1000);
    }
    return Optional.empty();
  }

  private static Optional<DhcpReply> release(ServerContext ctx, DhcpMessage request) {
    Optional<Ipv4> serverId = request.options().serverId();
    if (serverId.isPresent() && !serverId.get().equals(ctx.config().serverAddress())) {
      return Optional.empty();
    }
    ctx.leases().release(request.mac(), request.ciaddr(), ctx.nowMs());
    return Optional.empty();
  }

  private static Optional<DhcpReply> inform(ServerContext ctx, DhcpMessage request, InetSocketAddress from) {
    Ipv4 client = request.ciaddr();
    if (client.isZero() && from.getAddress() != null && from.getAddress().getAddress().length == 4) {
      client = Ipv4.of(from.getAddress());
    }
    if (client.isZero()) {
      return Optional.empty();
    }
    Optional<Pool> pool = request.giaddr().isZero()
        ? ctx.config().poolContaining(client)
        : ctx.config().poolContaining(request.giaddr());
    if (pool.isEmpty()) {
      return Optional.empty();
    }
    // RFC 2131 §4.3.5: no lease time, no yiaddr; the client keeps its address.
    Optional<BootChoice> boot = bootChoice(ctx, request);
    DhcpOptions.Builder options = DhcpOptions.builder()
        .messageType(MessageType.ACK)
        .serverId(ctx.config().serverAddress());
    networkOptions(options, pool.get());
    Ipv4 siaddr = boot.map(b -> ctx.config().serverAddress()).orElse(Ipv4.ZERO);
    String file = bootOptions(ctx, options, boot, request, false);
    echoRelayInfo(options, request);
    DhcpMessage reply = request.replySkeleton(request.ciaddr(), Ipv4.ZERO, siaddr, file, options.build());
    return Optional.of(new DhcpReply(reply, destination(ctx, request, reply, client), boot));
  }

  /** OFFER or ACK carrying {@code address}, lease times, the pool's options and any boot information. */
  private static DhcpReply addressReply(ServerContext ctx, DhcpMessage request, MessageType type, Pool pool,
      Ipv4 address) {
    long lease = ctx.config().leaseSeconds();
    Optional<BootChoice> boot = bootChoice(ctx, request);
    DhcpOptions.Builder options = DhcpOptions.builder()
        .messageType(type)
        .serverId(ctx.config().serverAddress())
        .u32(OptionCode.LEASE_TIME, lease)
        .u32(OptionCode.RENEWAL_TIME, lease / 2)
        .u32(OptionCode.REBINDING_TIME, lease * 7 / 8);
    networkOptions(options, pool);
    String file = bootOptions(ctx, options, boot, request, false);
    echoRelayInfo(options, request);
    Ipv4 siaddr = boot.map(b -> ctx.config().serverAddress()).orElse(Ipv4.ZERO);
    Ipv4 ciaddr = type == MessageType.ACK ? request.ciaddr() : Ipv4.ZERO;
    DhcpMessage reply = request.replySkeleton(ciaddr, address, siaddr, file, options.build());
    return new DhcpReply(reply, destination(ctx, request, reply, Ipv4.ZERO), boot);
  }

  private static DhcpReply nak(ServerContext ctx, DhcpMessage request, String why) {
    LOG.debug("NAK to {} ({}): {}", request.mac(), request.options().requestedIp().orElse(request.ciaddr()), why);
    DhcpOptions.Builder options = DhcpOptions.builder()
        .messageType(MessageType.NAK)
        .serverId(ctx.config().serverAddress())
        .text(OptionCode.MESSAGE, why);
    echoRelayInfo(options, request);
    DhcpMessage reply = request.replySkeleton(Ipv4.ZERO, Ipv4.ZERO, Ipv4.ZERO, "", options.build());
    if (!request.giaddr().isZero()) {
      // RFC 2131 §4.3.2: through a relay, set the broadcast bit so the relay broadcasts the NAK.
      reply = reply.withFlags(reply.flags() | DhcpMessage.FLAG_BROADCAST);
    }
    return new DhcpReply(reply, destination(ctx, request, reply, Ipv4.ZERO), Optional.empty());
  }

  private static void networkOptions(DhcpOptions.Builder options, Pool pool) {
    options.address(OptionCode.SUBNET_MASK, pool.netmask());
    options.address(OptionCode.BROADCAST_ADDRESS, pool.broadcastAddress());
    pool.router().ifPresent(r -> options.address(OptionCode.ROUTER, r));
    options.addresses(OptionCode.DNS_SERVERS, pool.dns());
    if (!pool.domain().isBlank()) {
      options.text(OptionCode.DOMAIN_NAME, pool.domain());
    }
  }

  /** Relay agent information (RFC 3046 §2.2): copied unchanged, as the last option. */
  private static void echoRelayInfo(DhcpOptions.Builder options, DhcpMessage request) {
    request.options().relayAgentInfo().ifPresent(info -> options.set(OptionCode.RELAY_AGENT_INFO, info));
  }

  /** The pool for the client's network: the relay's (giaddr) or our own. */
  private static Optional<Pool> poolFor(ServerContext ctx, DhcpMessage request) {
    return request.giaddr().isZero()
        ? ctx.config().directPool()
        : ctx.config().poolContaining(request.giaddr());
  }

  /**
   * The address to offer: the client's reservation; else its current or last address; else the one
   * it asks for (option 50); else a free one. Empty when the pool is exhausted.
   */
  private static Optional<Ipv4> chooseAddress(ServerContext ctx, Pool pool, DhcpMessage request) {
    String mac = request.mac();
    long now = ctx.nowMs();
    LeaseStore leases = ctx.leases();
    Ipv4 reserved = ctx.config().reservations().get(mac);
    if (reserved != null && pool.contains(reserved)) {
      if (leases.isAvailable(reserved, mac, now)) {
        return Optional.of(reserved);
      }
      LOG.warn("{} is reserved for {} but unavailable ({}); offering a pool address", reserved, mac,
          leases.byIp(reserved).map(l -> l.state() + " by " + l.mac()).orElse("?"));
    }
    Optional<Ipv4> previous = leases.leaseOf(mac).map(Lease::ip)
        .filter(ip -> assignable(ctx, pool, ip, mac));
    if (previous.isPresent()) {
      return previous;
    }
    Optional<Ipv4> asked = request.options().requestedIp().filter(ip -> assignable(ctx, pool, ip, mac));
    if (asked.isPresent()) {
      return asked;
    }
    // A new address: a free one; else, rather than no answer, the address of the oldest offer that was
    // never REQUESTed (spoofed MACs, or clients that took another server's offer), so offers cannot
    // starve the pool. Its client, if it exists and REQUESTs it after all, gets a NAK and starts again.
    Predicate<Ipv4> allowed = ip -> allocatable(ctx, pool, ip, mac);
    Optional<Ipv4> free = leases.findFree(pool.rangeStart(), pool.rangeEnd(), allowed, now);
    if (free.isPresent()) {
      return free;
    }
    Optional<Ipv4> oldest = leases.oldestOffer(pool.rangeStart(), pool.rangeEnd(), mac, allowed, now);
    oldest.ifPresent(ip -> {
      LOG.debug("{}: pool {} has no free address; taking back the oldest offer never REQUESTed, {}", mac, pool, ip);
      leases.reclaim(ip, now);
      ctx.offerLimiter().reclaimed();
    });
    return oldest;
  }

  /**
   * An INIT-REBOOT, RENEWING or REBINDING client's address that another server of the segment hands
   * out ({@code dhcp.poolShare}), and not the client's reservation (which every server answers): that
   * server has the record of the client, we have none, so we remain silent (RFC 2131 §4.3.2) — neither
   * a NAK that would knock a client off the address its server just confirmed, nor an ACK for an
   * address whose lease we do not know. Addresses outside every range are still ours to NAK.
   */
  private static boolean peersAddress(ServerContext ctx, Pool pool, Ipv4 ip, String mac) {
    if (!ctx.config().inPeersShare(pool, ip) || ip.equals(ctx.config().reservations().get(mac))) {
      return false;
    }
    LOG.debug("REQUEST from {} for {}: another server's share ({} is ours), not answered", mac, ip,
        ctx.config().poolShare());
    return true;
  }

  /** {@code mac} may have {@code ip} now: its reservation, or a free/own dynamic address of {@code pool}. */
  private static boolean assignable(ServerContext ctx, Pool pool, Ipv4 ip, String mac) {
    if (!ctx.leases().isAvailable(ip, mac, ctx.nowMs())) {
      return false;
    }
    return ip.equals(ctx.config().reservations().get(mac)) && pool.contains(ip) || allocatable(ctx, pool, ip, mac);
  }

  /**
   * In the dynamic range and our share of it ({@code dhcp.poolShare}), and none of: our address, the
   * router, another client's reservation.
   */
  private static boolean allocatable(ServerContext ctx, Pool pool, Ipv4 ip, String mac) {
    return pool.inRange(ip)
        && ctx.config().poolShare().owns(ip)
        && !ip.equals(ctx.config().serverAddress())
        && !pool.router().map(ip::equals).orElse(false)
        && !pool.dns().contains(ip)
        && !ctx.reservedForOther(ip, mac);
  }

  // ------------------------------------------------------------------ proxy mode

  private static Optional<DhcpReply> proxy(ServerContext ctx, DhcpMessage request, InetSocketAddress from,
      Port port) {
    String vendor = request.options().vendorClass().orElse("");
    if (!vendor.startsWith("PXEClient") && !vendor.startsWith("HTTPClient")) {
      return Optional.empty();
    }
    Optional<BootChoice> boot = bootChoice(ctx, request);
    if (boot.isEmpty()) {
      return Optional.empty();
    }
    MessageType type = request.messageType().get();
    MessageType answer;
    if (port == Port.DHCP && type == MessageType.DISCOVER) {
      answer = MessageType.OFFER;
    } else if (port == Port.PXE && (type == MessageType.REQUEST || type == MessageType.INFORM)) {
      answer = MessageType.ACK;
    } else {
      return Optional.empty();
    }
    DhcpOptions.Builder options = DhcpOptions.builder()
        .messageType(answer)
        .serverId(ctx.config().serverAddress());
    String file = bootOptions(ctx, options, boot, request, true);
    request.options().clientUuid().ifPresent(uuid -> options.set(OptionCode.CLIENT_UUID, uuid));
    echoRelayInfo(options, request);
    Ipv4 ciaddr = answer == MessageType.ACK ? request.ciaddr() : Ipv4.ZERO;
    DhcpMessage reply = request.replySkeleton(ciaddr, Ipv4.ZERO, ctx.config().serverAddress(), file,
        options.build());
    InetSocketAddress destination;
    if (port == Port.PXE && from.getAddress() != null && !from.getAddress().isAnyLocalAddress()) {
      destination = from; // PXE spec: the boot server answers the client's address and port
    } else {
      destination = destination(ctx, request, reply, Ipv4.ZERO);
    }
    return Optional.of(new DhcpReply(reply, destination, boot));
  }

  // ------------------------------------------------------------------ boot information

  /** What this client should boot, if it is a PXE/HTTP/iPXE client we have a boot file for. */
  static Optional<BootChoice> bootChoice(ServerContext ctx, DhcpMessage request) {
    DhcpOptions options = request.options();
    String vendor = options.vendorClass().orElse("");
    boolean ipxe = options.hasUserClass("iPXE") || options.has(OptionCode.IPXE_ENCAPSULATED);
    boolean pxe = vendor.startsWith("PXEClient");
    boolean http = vendor.startsWith("HTTPClient");
    if (!ipxe && !pxe && !http) {
      return Optional.empty();
    }
    ClientArch arch = arch(options, vendor);
    if (ipxe) {
      return Optional.of(new BootChoice(arch, Kind.IPXE, ctx.config().ipxeScriptUrl()));
    }
    Optional<String> file = ctx.config().hostBootFile(request.mac()).or(() -> ctx.config().bootFile(arch));
    if (file.isEmpty() && (http || arch.isHttpBoot())) {
      file = ctx.config().bootFile(ClientArch.HTTP_X64).filter(f -> arch.isHttpBoot());
    }
    if (file.isEmpty()) {
      LOG.debug("{}: no dhcp.bootFiles.{} for architecture {}", request.mac(), DhcpConfig.bootFileKey(arch), arch);
      return Optional.empty();
    }
    if (http || arch.isHttpBoot()) {
      String f = file.get();
      String url = f.startsWith("http://") || f.startsWith("https://") ? f : ctx.config().httpBootBaseUrl() + f;
      return Optional.of(new BootChoice(arch, Kind.HTTP, url));
    }
    return Optional.of(new BootChoice(arch, Kind.PXE, file.get()));
  }

  /** Option 93's first entry, else the "Arch:NNNNN" of the vendor class, else BIOS. */
  private static ClientArch arch(DhcpOptions options, String vendor) {
    List<ClientArch> archs = options.clientArchitectures();
    if (!archs.isEmpty()) {
      return archs.get(0);
    }
    Matcher m = VENDOR_ARCH.matcher(vendor);
    if (m.find()) {
      int code = Integer.parseInt(m.group(1));
      if (code <= 0xFFFF) {
        return new ClientArch(code);
      }
    }
    return ClientArch.BIOS;
  }

  /**
   * Adds the boot options of {@code boot} and returns the header {@code file} value ("" if none or
   * if the name does not fit the 128-byte field; option 67 carries it anyway).
   */
  private static final byte[] IPXE_NO_PXEDHCP = {(byte) 176, 1, 1};

  private static String bootOptions(ServerContext ctx, DhcpOptions.Builder options, Optional<BootChoice> boot,
      DhcpMessage request, boolean proxy) {
    if (boot.isEmpty()) {
      return "";
    }
    BootChoice choice = boot.get();
    switch (choice.kind()) {
      case PXE -> {
        options.text(OptionCode.VENDOR_CLASS, "PXEClient");
        options.set(OptionCode.VENDOR_SPECIFIC, PXE_USE_BOOTFILE);
        options.text(OptionCode.TFTP_SERVER_NAME, ctx.config().serverAddress().toString());
      }
      case HTTP -> options.text(OptionCode.VENDOR_CLASS, "HTTPClient");
      case IPXE -> {
        if (proxy) {
          options.text(OptionCode.VENDOR_CLASS, "PXEClient"); // iPXE recognises proxyDHCP offers by it
        } else {
          // iPXE setting 176 "no-pxedhcp": we are the only DHCP server, so iPXE need not wait 2 s for
          // ProxyDHCP offers (option 175, encapsulated sub-option 176, length 1, value 1).
          options.set(OptionCode.IPXE_ENCAPSULATED, IPXE_NO_PXEDHCP);
        }
      }
      default -> throw new IllegalStateException();
    }
    options.text(OptionCode.BOOTFILE_NAME, choice.bootFile());
    return choice.bootFile().length() < DhcpMessage.FILE_LENGTH ? choice.bootFile() : "";
  }

  // ------------------------------------------------------------------ where replies go

  /**
   * RFC 2131 §4.1: through a relay → the relay's address on the server port; a client with an address
   * (ciaddr, or INFORM's source) → unicast to it on the client port; otherwise → 255.255.255.255 on the
   * client port. RFC 2131 would unicast to yiaddr/chaddr when the broadcast bit is clear, but that needs
   * an ARP entry injected for an address the client does not have yet, which Java cannot do, so we
   * broadcast (every client accepts a broadcast reply). NAKs without a relay are always broadcast.
   */
  private static InetSocketAddress destination(ServerContext ctx, DhcpMessage request, DhcpMessage reply,
      Ipv4 clientAddress) {
    if (!request.giaddr().isZero()) {
      return new InetSocketAddress(request.giaddr().toInetAddress(), ctx.config().relayPort());
    }
    boolean nak = reply.messageType().filter(t -> t == MessageType.NAK).isPresent();
    Ipv4 unicast = !request.ciaddr().isZero() ? request.ciaddr() : clientAddress;
    if (!nak && !unicast.isZero()) {
      return new InetSocketAddress(unicast.toInetAddress(), ctx.config().clientPort());
    }
    return new InetSocketAddress(Ipv4.BROADCAST.toInetAddress(), ctx.config().clientPort());
  }
}
