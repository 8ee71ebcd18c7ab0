package io.boottorrent.dhcp;

/**
 * How many offers the server makes, against a burst of DISCOVERs from spoofed MACs (the {@code dhcp}
 * keys of the same names; {@link OfferLimiter} applies them).
 *
 * @param burstPerMac DISCOVERs answered from one MAC in a row; refilled at {@code ratePerMacPerMinute}
 * @param ratePerMacPerMinute DISCOVERs answered per MAC per minute, after the burst
 * @param burstPerRelay DISCOVERs that would take a new address answered in a row from one relay
 *     ({@code giaddr}; clients on our own segment share the relay 0.0.0.0); refilled at {@code ratePerRelay}
 * @param ratePerRelay such DISCOVERs answered per relay per second, after the burst
 */
public record OfferLimits(int burstPerMac, int ratePerMacPerMinute, int burstPerRelay, int ratePerRelay) {
  /** No limit that tests of other things would notice. */
  public static final OfferLimits NONE = new OfferLimits(1_000_000, 1_000_000, 1_000_000, 1_000_000);

  public OfferLimits {
    positive("dhcp.offerBurstPerMac", burstPerMac);
    positive("dhcp.offerRatePerMacPerMinute", ratePerMacPerMinute);
    positive("dhcp.offerBurstPerRelay", burstPerRelay);
    positive("dhcp.offerRatePerRelay", ratePerRelay);
  }

  private static void positive(String key, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1, got " + value);
    }
  }
}
