package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.Ipv4;

/**
 * What the server knows of one address: who has (or had) it, in which state, until when.
 *
 * @param mac lowercase colon-separated hardware address of the client (for DECLINED: the decliner)
 * @param expiresAtMs wall-clock ms; OFFERED/BOUND/DECLINED hold the address until then
 */
public record Lease(Ipv4 ip, State state, String mac, long expiresAtMs) {
  private static final java.util.regex.Pattern HARDWARE_ADDRESS =
      java.util.regex.Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){0,15}");

  public enum State {
    /** Offered and held for the client until it requests it or the hold expires. */
    OFFERED,
    /** Acknowledged: the client uses it until expiry (or release). */
    BOUND,
    /** Given back (or taken over by another offer of ours): free, remembered so the client can get it again. */
    RELEASED,
    /** A client found it in use (DHCPDECLINE): nobody gets it until expiry. */
    DECLINED
  }

  public Lease {
    if (ip == null || state == null || mac == null || mac.isEmpty() || mac.contains(" ")) {
      throw new IllegalArgumentException("lease needs an address, a state and a hardware address");
    }
  }

  /** Whether the address is unavailable to anybody but {@code mac}'s owner at {@code nowMs}. */
  public boolean holds(long nowMs) {
    return state != State.RELEASED && expiresAtMs > nowMs;
  }

  /** Journal line: {@code ip state mac expiresAtMs}. */
  String toLine() {
    return ip + " " + state + " " + mac + " " + expiresAtMs;
  }

  static Lease parseLine(String line) {
    String[] parts = line.trim().split(" ");
    if (parts.length != 4) {
      throw new IllegalArgumentException("lease line needs 4 fields: '" + line + "'");
    }
    if (!HARDWARE_ADDRESS.matcher(parts[2]).matches()) {
      throw new IllegalArgumentException("not a hardware address: '" + parts[2] + "'");
    }
    return new Lease(Ipv4.parse(parts[0]), State.valueOf(parts[1]), parts[2], Long.parseLong(parts[3]));
  }
}
