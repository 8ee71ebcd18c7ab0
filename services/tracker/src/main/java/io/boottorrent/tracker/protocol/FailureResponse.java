package io.boottorrent.tracker.protocol;

import java.util.OptionalInt;

/**
 * A refused announce or scrape (BEP 3, BEP 48): a dictionary with {@code failure reason}. Sent with
 * HTTP 200, because clients read the reason from the body and ignore bodies of error statuses.
 *
 * @param retryInterval for a refusal that may go away soon, seconds after which to ask again, sent
 *     as {@code interval} and {@code min interval}: BEP 3 defines neither for a failure, so this is a
 *     hint that clients reading those keys from any answer follow, and others ignore (they retry on
 *     their own backoff)
 */
public record FailureResponse(String reason, OptionalInt retryInterval) {
  public FailureResponse {
    if (retryInterval.isPresent() && retryInterval.getAsInt() < 1) {
      throw new IllegalArgumentException("retry interval must be at least 1 s, got " + retryInterval.getAsInt());
    }
  }

  /** A failure with nothing but its reason. */
  public FailureResponse(String reason) {
    this(reason, OptionalInt.empty());
  }

  public byte[] encode() {
    BDict.Builder dict = BDict.builder().put("failure reason", reason);
    retryInterval.ifPresent(seconds -> dict.put("interval", seconds).put("min interval", seconds));
    return Bencode.encode(dict.build());
  }
}
