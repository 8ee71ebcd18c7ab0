package io.boottorrent.dhcp;

import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.DhcpOptions;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.dhcp.protocol.OptionCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.util.HexFormat;

/** Requests as real clients send them, and a test config. */
final class Clients {
  static final InetSocketAddress UNCONFIGURED = new InetSocketAddress("0.0.0.0", 68);
  static final Ipv4 SERVER = Ipv4.parse("10.213.0.1");

  private Clients() {}

  /**
   * A config tree (the embedded defaults underneath) with the lab subnet 10.213.0.0/24 (range
   * .100-.109), a relayed 10.213.5.0/24 and boot files.
   */
  static JsonObject config() {
    return BtConfig.merge(BtConfig.defaults(), new JsonObject()
        .put("publicHost", "10.213.0.1")
        .put("catalog", new JsonObject().put("httpPort", 8080))
        .put("dhcp", new JsonObject()
            .put("mode", "full")
            .put("leaseSeconds", 3600)
            .put("offerHoldSeconds", 60)
            .put("declineHoldSeconds", 600)
            .put("pools", new JsonArray()
                .add(new JsonObject().put("subnet", "10.213.0.0/24").put("rangeStart", "10.213.0.100")
                    .put("rangeEnd", "10.213.0.109").put("router", "10.213.0.1")
                    .put("dns", new JsonArray().add("10.213.0.53").add("10.213.0.54")).put("domain", "lab.test"))
                .add(new JsonObject().put("subnet", "10.213.5.0/24").put("rangeStart", "10.213.5.10")
                    .put("rangeEnd", "10.213.5.20").put("router", "10.213.5.1")))
            .put("reservations", new JsonObject().put("02-00-00-00-99-01", "10.213.0.7"))
            .put("bootFiles", new JsonObject().put("bios", "undionly.kpxe").put("efi64", "ipxe.efi")
                .put("arm64", "ipxe-arm64.efi").put("httpBoot", "ipxe.efi"))));
  }

  /** The DHCP config of a tree, resolved as the process assembly does it. */
  static DhcpConfig resolved(JsonObject tree) {
    return DhcpServerOptions.fromSection(tree.getJsonObject("dhcp"))
        .resolve(tree.getString("publicHost"), ServiceLinks.bootHttpPort(tree));
  }

  static byte[] mac(int n) {
    return new byte[] {0x02, 0x00, 0x00, 0x00, (byte) (n >>> 8), (byte) n};
  }

  static String macText(int n) {
    return HexFormat.ofDelimiter(":").formatHex(mac(n));
  }

  static DhcpOptions.Builder base(MessageType type) {
    return DhcpOptions.builder().messageType(type).parameterRequestList(1, 3, 6, 15, 28, 51, 54);
  }

  static DhcpMessage discover(int n) {
    return DhcpMessage.request(mac(n), 0x1000 + n, base(MessageType.DISCOVER).build());
  }

  static DhcpMessage discover(int n, DhcpOptions.Builder options) {
    return DhcpMessage.request(mac(n), 0x1000 + n, options.build());
  }

  /** REQUEST in SELECTING state: server id + requested address. */
  static DhcpMessage select(int n, Ipv4 offered, Ipv4 serverId) {
    return DhcpMessage.request(mac(n), 0x2000 + n,
        base(MessageType.REQUEST).serverId(serverId).requestedIp(offered).build());
  }

  /** REQUEST in INIT-REBOOT state: requested address, no server id. */
  static DhcpMessage initReboot(int n, Ipv4 remembered) {
    return DhcpMessage.request(mac(n), 0x3000 + n, base(MessageType.REQUEST).requestedIp(remembered).build());
  }

  /** REQUEST in RENEWING/REBINDING state: ciaddr, nothing else. */
  static DhcpMessage renew(int n, Ipv4 current) {
    return DhcpMessage.request(mac(n), 0x4000 + n, base(MessageType.REQUEST).build()).withCiaddr(current);
  }

  static DhcpMessage release(int n, Ipv4 current) {
    return DhcpMessage.request(mac(n), 0x5000 + n,
        DhcpOptions.builder().messageType(MessageType.RELEASE).serverId(SERVER).build()).withCiaddr(current);
  }

  static DhcpMessage decline(int n, Ipv4 address) {
    return DhcpMessage.request(mac(n), 0x6000 + n,
        DhcpOptions.builder().messageType(MessageType.DECLINE).serverId(SERVER).requestedIp(address).build());
  }

  static DhcpMessage inform(int n, Ipv4 own) {
    return DhcpMessage.request(mac(n), 0x7000 + n, base(MessageType.INFORM).build()).withCiaddr(own);
  }

  /** Firmware PXE DISCOVER (vendor class + option 93 + NDI + UUID), as PXE ROMs send it. */
  static DhcpOptions.Builder pxe(ClientArch arch) {
    String vendor = String.format("PXEClient:Arch:%05d:UNDI:002001", arch.code());
    byte[] uuid = new byte[17];
    uuid[1] = 0x11;
    return base(MessageType.DISCOVER).parameterRequestList(1, 3, 6, 43, 60, 66, 67, 97)
        .text(OptionCode.VENDOR_CLASS, vendor).clientArch(arch)
        .set(OptionCode.CLIENT_NDI, new byte[] {1, 2, 1}).set(OptionCode.CLIENT_UUID, uuid);
  }
}
