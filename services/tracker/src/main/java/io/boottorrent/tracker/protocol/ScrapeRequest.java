package io.boottorrent.tracker.protocol;

import io.boottorrent.core.InfoHash;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A scrape (BEP 48): one or more {@code info_hash} parameters. A scrape without any ("full scrape" of
 * every swarm) is refused: it would walk the whole cluster-wide state for one request.
 */
public record ScrapeRequest(List<InfoHash> infoHashes) {
  public static final int MAX_INFO_HASHES = 100;

  public ScrapeRequest {
    infoHashes = List.copyOf(infoHashes);
  }

  /** @throws MalformedRequestException with the failure reason for the client */
  public static ScrapeRequest parse(String rawQuery) throws MalformedRequestException {
    List<byte[]> values = QueryString.parse(rawQuery).all("info_hash");
    if (values.isEmpty()) {
      throw new MalformedRequestException("missing info_hash (full scrape is not supported)");
    }
    if (values.size() > MAX_INFO_HASHES) {
      throw new MalformedRequestException("more than " + MAX_INFO_HASHES + " info_hash values");
    }
    Set<InfoHash> hashes = new LinkedHashSet<>();
    for (byte[] value : values) {
      if (value.length != InfoHash.LENGTH) {
        throw new MalformedRequestException("info_hash must be 20 bytes, got " + value.length);
      }
      hashes.add(new InfoHash(value));
    }
    return new ScrapeRequest(new ArrayList<>(hashes));
  }
}
