package io.boottorrent.tracker.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * One address or CIDR block ({@code 10.1.2.3}, {@code 10.0.0.0/8}, {@code fd00::/8}), parsed without
 * any name lookup. An IPv4 block never contains an IPv6 address nor the other way round; IPv4-mapped
 * IPv6 literals ({@code ::ffff:10.1.2.3}) are IPv4 addresses already ({@link IpAddresses}).
 *
 * @param network the block's first address (host bits cleared)
 * @param prefixLength leading bits that must match: 0..32 for IPv4, 0..128 for IPv6
 */
public record AddressBlock(InetAddress network, int prefixLength) {
  public AddressBlock {
    int bits = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix length must be 0.." + bits + ", got " + prefixLength);
    }
    if (!Arrays.equals(mask(network.getAddress(), prefixLength), network.getAddress())) {
      throw new IllegalArgumentException(network.getHostAddress() + "/" + prefixLength + " has host bits set");
    }
  }

  /**
   * An address literal (a block of one) or {@code address/prefix}. Host bits under the prefix are
   * refused ({@code 10.1.2.3/8}): they usually mean a typo in the prefix.
   *
   * @throws IllegalArgumentException naming {@code text}
   */
  public static AddressBlock parse(String text) {
    int slash = text.indexOf('/');
    String literal = slash < 0 ? text : text.substring(0, slash);
    Optional<InetAddress> address = IpAddresses.parseLiteral(literal);
    if (address.isEmpty()) {
      throw new IllegalArgumentException("expected an IP address or CIDR block like 10.0.0.0/8, got \"" + text + "\"");
    }
    int bits = address.get().getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String digits = text.substring(slash + 1);
      if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(digits) > bits) {
        throw new IllegalArgumentException("prefix length of \"" + text + "\" must be 0.." + bits);
      }
      prefix = Integer.parseInt(digits);
    }
    byte[] bytes = address.get().getAddress();
    byte[] masked = mask(bytes, prefix);
    if (!Arrays.equals(masked, bytes)) {
      throw new IllegalArgumentException("\"" + text + "\" has host bits set under /" + prefix
          + " (the block starts at " + byAddress(masked).getHostAddress() + ")");
    }
    return new AddressBlock(address.get(), prefix);
  }

  public boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == network.getAddress().length
        && Arrays.equals(mask(bytes, prefixLength), network.getAddress());
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefixLength;
  }

  private static InetAddress byAddress(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes); // never a lookup
    } catch (UnknownHostException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] = (byte) (out[i] & (0xff << (8 - keep)));
    }
    return out;
  }
}
