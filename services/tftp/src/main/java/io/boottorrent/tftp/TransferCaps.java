package io.boottorrent.tftp;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many read transfers run at once, in total and per client address ({@code tftp.maxTransfers},
 * {@code tftp.maxTransfersPerClient}). Each transfer holds a socket (its TID) and an open file, so
 * without a cap a flood of read requests from spoofed ports and addresses, none of which ever ACKs,
 * holds two descriptors each for the whole retransmission timeout and runs the process out of them.
 * Pure and single-threaded: {@link TftpVerticle} calls it on its own context.
 */
final class TransferCaps {
  /** Which cap refused a request: the tag of the over-cap counter. */
  enum Cap {
    TOTAL("total"), CLIENT("client");

    final String tag;

    Cap(String tag) {
      this.tag = tag;
    }
  }

  private final int maxTotal;
  private final int maxPerClient;
  private final Map<String, Integer> perClient = new HashMap<>();
  private int total;

  /** @throws IllegalArgumentException for a cap below 1 */
  TransferCaps(int maxTotal, int maxPerClient) {
    if (maxTotal < 1 || maxPerClient < 1) {
      throw new IllegalArgumentException("transfer caps must be at least 1: total " + maxTotal + ", per client "
          + maxPerClient);
    }
    this.maxTotal = maxTotal;
    this.maxPerClient = maxPerClient;
  }

  /**
   * Counts a new transfer for {@code host} and returns empty, or returns the cap it would exceed
   * (nothing is counted then).
   */
  Optional<Cap> admit(String host) {
    if (total >= maxTotal) {
      return Optional.of(Cap.TOTAL);
    }
    int mine = perClient.getOrDefault(host, 0);
    if (mine >= maxPerClient) {
      return Optional.of(Cap.CLIENT);
    }
    perClient.put(host, mine + 1);
    total++;
    return Optional.empty();
  }

  /** A transfer {@link #admit}ted for {@code host} is over (its socket and file are being closed). */
  void release(String host) {
    Integer mine = perClient.get(host);
    if (mine == null) {
      throw new IllegalStateException("no transfer counted for " + host);
    }
    if (mine == 1) {
      perClient.remove(host); // an address with nothing running costs no memory
    } else {
      perClient.put(host, mine - 1);
    }
    total--;
  }

  /** The ERROR message for a request refused by {@code cap}: what is full and that a retry helps. */
  String message(Cap cap) {
    return cap == Cap.TOTAL
        ? "server busy: " + maxTotal + " transfers running (tftp.maxTransfers), try again later"
        : "too many transfers from your address: " + maxPerClient + " running (tftp.maxTransfersPerClient),"
            + " try again later";
  }

  int total() {
    return total;
  }

  /** Addresses with a transfer running (what the per-client map holds). */
  int clients() {
    return perClient.size();
  }
}
