package io.boottorrent.dhcp.protocol;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address as its 32 bits (network order, so {@code 10.0.0.1} is {@code 0x0A000001}).
 * Immutable, cheap to compare and to do arithmetic on for address pools; no DNS is ever involved.
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {
  public static final Ipv4 ZERO = new Ipv4(0);
  public static final Ipv4 BROADCAST = new Ipv4(0xFFFFFFFF);

  /** Parses a dotted quad ({@code "10.213.0.1"}); nothing else (no host names, no shorthand). */
  public static Ipv4 parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("IPv4 address is missing");
    }
    String[] parts = text.trim().split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
    }
    int bits = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
      }
      bits = (bits << 8) | octet;
    }
    return new Ipv4(bits);
  }

  /** The address in {@code bytes[offset..offset+3]}. */
  public static Ipv4 of(byte[] bytes, int offset) {
    return new Ipv4(((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
        | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF));
  }

  public static Ipv4 of(InetAddress address) {
    if (!(address instanceof Inet4Address)) {
      throw new IllegalArgumentException("not an IPv4 address: " + address);
    }
    return of(address.getAddress(), 0);
  }

  /** The netmask of a prefix length 0..32 ({@code 24 → 255.255.255.0}). */
  public static Ipv4 netmask(int prefixLength) {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length must be 0..32: " + prefixLength);
    }
    return new Ipv4(prefixLength == 0 ? 0 : -1 << (32 - prefixLength));
  }

  public byte[] toBytes() {
    return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
  }

  public InetAddress toInetAddress() {
    try {
      return InetAddress.getByAddress(toBytes());
    } catch (UnknownHostException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  public boolean isZero() {
    return bits == 0;
  }

  /** Unsigned value, for ordering and ranges. */
  public long unsigned() {
    return bits & 0xFFFFFFFFL;
  }

  public Ipv4 plus(long delta) {
    return new Ipv4((int) (unsigned() + delta));
  }

  @Override
  public int compareTo(Ipv4 other) {
    return Integer.compareUnsigned(bits, other.bits);
  }

  @Override
  public String toString() {
    return (bits >>> 24) + "." + ((bits >>> 16) & 0xFF) + "." + ((bits >>> 8) & 0xFF) + "." + (bits & 0xFF);
  }
}
