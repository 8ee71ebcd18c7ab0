package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.MessageType;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * A reply and where to send it, with the boot decision behind it (for the PXE_OFFER boot event).
 *
 * @param destination per RFC 2131 §4.1: the relay (giaddr, server port), the client's ciaddr, or
 *     the limited broadcast 255.255.255.255 on the client port
 * @param boot present when the reply carries boot information for a PXE/HTTP/iPXE client
 */
public record DhcpReply(DhcpMessage message, InetSocketAddress destination, Optional<BootChoice> boot) {

  public MessageType type() {
    return message.messageType().orElseThrow();
  }

  /** An ACK that binds an address (not an INFORM answer, not a proxyDHCP answer). */
  public boolean grantsLease() {
    return type() == MessageType.ACK && !message.yiaddr().isZero();
  }

  /** An OFFER with boot information: what the PXE_OFFER event reports. */
  public boolean isPxeOffer() {
    return type() == MessageType.OFFER && boot.isPresent();
  }
}
