package io.boottorrent.tracker;

import java.util.OptionalInt;

/**
 * A well-formed request the tracker does not serve (its info-hash is not a catalog image, or the
 * tracker has not heard from the catalog yet). The message is the {@code failure reason} for the
 * client; {@link #metricReason} tags the refusal in {@code boottorrent_tracker_refusals_total}.
 */
final class RefusedRequestException extends Exception {
  private final String metricReason;
  private final OptionalInt retryInterval;

  RefusedRequestException(String reason, String metricReason, OptionalInt retryInterval) {
    super(reason);
    this.metricReason = metricReason;
    this.retryInterval = retryInterval;
  }

  String metricReason() {
    return metricReason;
  }

  /** Seconds after which asking again may succeed, sent as {@code interval}/{@code min interval}. */
  OptionalInt retryInterval() {
    return retryInterval;
  }
}
