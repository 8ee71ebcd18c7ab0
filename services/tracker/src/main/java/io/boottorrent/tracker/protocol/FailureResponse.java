package io.boottorrent.tracker.protocol;

/**
 * A refused announce or scrape (BEP 3, BEP 48): a dictionary with only {@code failure reason}. Sent
 * with HTTP 200, because clients read the reason from the body and ignore bodies of error statuses.
 */
public record FailureResponse(String reason) {
  public byte[] encode() {
    return Bencode.encode(BDict.builder().put("failure reason", reason).build());
  }
}
